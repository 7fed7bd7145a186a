#include "server/app/ingest_call.h"

#include <algorithm>

#include "geo/base/time_format.h"

namespace covgap::server {
namespace {

bool IsValidBatchId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

bool IngestRateLimiter::Take(const std::string& token_id, std::size_t rows) {
  if (limits_.rows_per_second_per_token <= 0) return true;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
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

IngestCall::IngestCall(BatchCommitter& committer, const IngestLimits& limits,
                       IngestRateLimiter& rate, geo::MeasurementValidator validator, Caller caller)
    : committer_(committer),
      limits_(limits),
      rate_(rate),
      validator_(std::move(validator)),
      caller_(std::move(caller)) {}

Status IngestCall::Check(const std::string& batch_id, std::size_t rows) {
  if (!failure_.ok()) return failure_;
  if (!IsValidBatchId(batch_id)) {
    return InvalidArgument("batch " + std::to_string(batch_index_) +
                           " of this call has no valid batch_id (1..128 printable ASCII "
                           "characters, no spaces)");
  }
  if (rows > limits_.max_rows_per_batch) {
    return InvalidArgument("batch " + batch_id + " has " + std::to_string(rows) +
                           " rows; the limit is " + std::to_string(limits_.max_rows_per_batch) +
                           " per batch");
  }
  if (limits_.rows_per_second_per_token > 0 &&
      static_cast<double>(rows) > limits_.burst_rows_per_token) {
    return InvalidArgument("batch " + batch_id + " has " + std::to_string(rows) +
                           " rows, more than the ingestion rate limit lets through at once (" +
                           std::to_string(static_cast<long long>(limits_.burst_rows_per_token)) +
                           "); send smaller batches");
  }
  if (!rate_.Take(caller_.token_id, rows)) {
    return ResourceExhausted(
        "ingestion rate limit exceeded for " + caller_.Describe() + " (" +
        std::to_string(static_cast<long long>(limits_.rows_per_second_per_token)) +
        " rows/s): slow down and send the rest again; the batches before batch " + batch_id +
        " are stored");
  }
  return Status::Ok();
}

void IngestCall::Submit(const std::string& batch_id, std::vector<ReceivedRow> rows) {
  const bool own_rows_only = caller_.role == Role::kOperator;
  InFlight b;
  b.batch_id = batch_id;
  b.rows = static_cast<std::uint32_t>(rows.size());
  store::BatchToStore batch;
  batch.batch_id = batch_id;
  batch.rows.reserve(rows.size());
  const std::int64_t now = geo::NowUnixMs();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    geo::Measurement& m = rows[i].measurement;
    std::optional<geo::Rejection> rejection = std::move(rows[i].unreadable);
    if (!rejection && own_rows_only && m.operator_id != caller_.operator_id) {
      rejection =
          geo::Rejection{"operator_mismatch", "the token of operator " + caller_.operator_id +
                                                  " may only submit " + caller_.operator_id +
                                                  "'s measurements, not " + m.operator_id + "'s"};
    }
    if (!rejection) rejection = validator_.Check(m, now);
    if (rejection) {
      b.rejections.push_back({batch_id, static_cast<std::uint32_t>(i), std::move(rejection->code),
                              std::move(rejection->reason)});
      continue;
    }
    batch.rows.push_back(std::move(m));
  }
  b.accepted = static_cast<std::uint32_t>(batch.rows.size());
  batch.rejected = b.rows - b.accepted;
  b.outcome = committer_.Submit(std::move(batch));
  in_flight_.push_back(std::move(b));
  while (in_flight_.size() > limits_.max_in_flight_batches) SettleOldest();
  ++batch_index_;
}

Status IngestCall::Finish() {
  while (!in_flight_.empty()) SettleOldest();
  return failure_;
}

void IngestCall::SettleOldest() {
  InFlight b = std::move(in_flight_.front());
  in_flight_.pop_front();
  StatusOr<store::BatchOutcome> outcome = b.outcome.get();
  if (!outcome.ok()) {
    if (failure_.ok()) failure_ = outcome.status();
    return;
  }
  geo::BatchReport& result = report_.batches.emplace_back();
  result.batch_id = b.batch_id;
  if (outcome.value() == store::BatchOutcome::kDuplicate) {
    result.duplicate = b.rows;
    report_.duplicate += b.rows;
    return;
  }
  const auto rejected = static_cast<std::uint32_t>(b.rows - b.accepted);
  result.accepted = b.accepted;
  result.rejected = rejected;
  report_.accepted += b.accepted;
  report_.rejected += rejected;
  for (auto& r : b.rejections) {
    if (report_.rejections.size() < limits_.max_reported_rejections) {
      report_.rejections.push_back(std::move(r));
    } else {
      ++report_.rejections_omitted;
    }
  }
}

}  // namespace covgap::server
