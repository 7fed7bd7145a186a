#include "server/measurement_service.h"

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "geo/base/log.h"
#include "geo/base/time_format.h"
#include "server/api/conversions.h"
#include "server/status_mapping.h"

namespace covgap::server {
namespace {

bool IsValidBatchId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

struct InFlightBatch {
  std::future<StatusOr<store::BatchOutcome>> outcome;
  std::string batch_id;
  std::uint32_t rows = 0;
  std::uint32_t accepted = 0;
  std::vector<v1::RejectedRow> rejections;
};

}  // namespace

MeasurementService::MeasurementService(store::Store& store, BatchCommitter& committer,
                                       geo::ValidationRules rules, IngestLimits limits,
                                       const AccessControl& access)
    : store_(store), committer_(committer), rules_(rules), limits_(limits), access_(access) {}

bool MeasurementService::TakeRows(const std::string& token_id, std::size_t rows) {
  if (limits_.rows_per_second_per_token <= 0) return true;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(buckets_mu_);
  auto [it, inserted] = buckets_.try_emplace(token_id);
  Bucket& b = it->second;
  if (inserted) {
    b.rows = limits_.burst_rows_per_token;
  } else {
    const double elapsed = std::chrono::duration<double>(now - b.refilled).count();
    b.rows = std::min(limits_.burst_rows_per_token,
                      b.rows + elapsed * limits_.rows_per_second_per_token);
  }
  b.refilled = now;
  if (b.rows < static_cast<double>(rows)) return false;
  b.rows -= static_cast<double>(rows);
  return true;
}

grpc::Status MeasurementService::Ingest(grpc::ServerContext* context,
                                        grpc::ServerReader<v1::MeasurementBatch>* reader,
                                        v1::IngestSummary* summary) {
  auto caller = access_.Check(*context, Rpc::kIngest);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  const bool own_rows_only = caller->role == Role::kOperator;
  auto operators = store_.Operators();
  if (!operators.ok()) return ToGrpcStatus(operators.status());
  const geo::MeasurementValidator validator(rules_, std::move(operators.value()));

  std::deque<InFlightBatch> in_flight;
  Status failure;
  // Waits for the oldest batch's commit and adds its result to the summary.
  auto settle_oldest = [&] {
    InFlightBatch b = std::move(in_flight.front());
    in_flight.pop_front();
    StatusOr<store::BatchOutcome> outcome = b.outcome.get();
    if (!outcome.ok()) {
      if (failure.ok()) failure = outcome.status();
      return;
    }
    v1::BatchResult* result = summary->add_batches();
    result->set_batch_id(b.batch_id);
    if (outcome.value() == store::BatchOutcome::kDuplicate) {
      result->set_duplicate(b.rows);
      summary->set_duplicate(summary->duplicate() + b.rows);
      return;
    }
    const auto rejected = static_cast<std::uint32_t>(b.rows - b.accepted);
    result->set_accepted(b.accepted);
    result->set_rejected(rejected);
    summary->set_accepted(summary->accepted() + b.accepted);
    summary->set_rejected(summary->rejected() + rejected);
    for (auto& r : b.rejections) {
      if (static_cast<std::size_t>(summary->rejections_size()) < limits_.max_reported_rejections) {
        *summary->add_rejections() = std::move(r);
      } else {
        summary->set_rejections_omitted(summary->rejections_omitted() + 1);
      }
    }
  };

  v1::MeasurementBatch message;
  std::uint64_t batch_index = 0;
  while (failure.ok() && reader->Read(&message)) {
    if (!IsValidBatchId(message.batch_id())) {
      failure = InvalidArgument("batch " + std::to_string(batch_index) +
                                " of this call has no valid batch_id (1..128 printable ASCII "
                                "characters, no spaces)");
      break;
    }
    if (static_cast<std::size_t>(message.measurements_size()) > limits_.max_rows_per_batch) {
      failure = InvalidArgument(
          "batch " + message.batch_id() + " has " + std::to_string(message.measurements_size()) +
          " rows; the limit is " + std::to_string(limits_.max_rows_per_batch) + " per batch");
      break;
    }
    if (limits_.rows_per_second_per_token > 0 &&
        message.measurements_size() > limits_.burst_rows_per_token) {
      failure = InvalidArgument(
          "batch " + message.batch_id() + " has " + std::to_string(message.measurements_size()) +
          " rows, more than the ingestion rate limit lets through at once (" +
          std::to_string(static_cast<long long>(limits_.burst_rows_per_token)) +
          "); send smaller batches");
      break;
    }
    if (!TakeRows(caller->token_id, static_cast<std::size_t>(message.measurements_size()))) {
      failure = ResourceExhausted(
          "ingestion rate limit exceeded for " + caller->Describe() + " (" +
          std::to_string(static_cast<long long>(limits_.rows_per_second_per_token)) +
          " rows/s): slow down and send the rest again; the batches before batch " +
          message.batch_id() + " are stored");
      break;
    }
    InFlightBatch b;
    b.batch_id = message.batch_id();
    b.rows = static_cast<std::uint32_t>(message.measurements_size());
    store::BatchToStore batch;
    batch.batch_id = message.batch_id();
    batch.rows.reserve(message.measurements_size());
    const std::int64_t now = geo::NowUnixMs();
    for (int i = 0; i < message.measurements_size(); ++i) {
      geo::Measurement m;
      auto rejection = api::FromProto(message.measurements(i), m);
      if (!rejection && own_rows_only && m.operator_id != caller->operator_id) {
        rejection =
            geo::Rejection{"operator_mismatch", "the token of operator " + caller->operator_id +
                                                    " may only submit " + caller->operator_id +
                                                    "'s measurements, not " + m.operator_id + "'s"};
      }
      if (!rejection) rejection = validator.Check(m, now);
      if (rejection) {
        v1::RejectedRow& row = b.rejections.emplace_back();
        row.set_batch_id(b.batch_id);
        row.set_index(static_cast<std::uint32_t>(i));
        row.set_code(std::move(rejection->code));
        row.set_reason(std::move(rejection->reason));
        continue;
      }
      batch.rows.push_back(std::move(m));
    }
    b.accepted = static_cast<std::uint32_t>(batch.rows.size());
    batch.rejected = b.rows - b.accepted;
    b.outcome = committer_.Submit(std::move(batch));
    in_flight.push_back(std::move(b));
    while (in_flight.size() > limits_.max_in_flight_batches) settle_oldest();
    ++batch_index;
    if (context->IsCancelled()) {
      failure = Status(StatusCode::kCancelled, "the client cancelled the call");
    }
  }
  while (!in_flight.empty()) settle_oldest();
  if (!failure.ok()) {
    LogWarning("Ingest from " + context->peer() + " failed: " + failure.message());
    return ToGrpcStatus(failure);
  }
  LogInfo("Ingest from " + caller->Describe() + " at " + context->peer() + ": " +
          std::to_string(summary->batches_size()) + " batches, accepted " +
          std::to_string(summary->accepted()) + ", rejected " +
          std::to_string(summary->rejected()) + ", duplicate " +
          std::to_string(summary->duplicate()));
  return grpc::Status::OK;
}

grpc::Status MeasurementService::GetStats(grpc::ServerContext* context, const v1::GetStatsRequest*,
                                          v1::Stats* response) {
  auto caller = access_.Check(*context, Rpc::kGetStats);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto stats = store_.Stats();
  if (!stats.ok()) return ToGrpcStatus(stats.status());
  api::ToProto(stats.value(), *response);
  return grpc::Status::OK;
}

}  // namespace covgap::server
