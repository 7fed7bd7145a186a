#include "server/measurement_service.h"

#include <string>
#include <vector>

#include "geo/base/log.h"
#include "server/api/conversions.h"
#include "server/grpc_access.h"
#include "server/status_mapping.h"

namespace covgap::server {

MeasurementService::MeasurementService(store::Store& store, BatchCommitter& committer,
                                       geo::ValidationRules rules, IngestLimits limits,
                                       const AccessControl& access, Metrics* metrics)
    : store_(store),
      committer_(committer),
      rules_(rules),
      limits_(limits),
      access_(access),
      rate_(limits),
      metrics_(metrics) {}

grpc::Status MeasurementService::Ingest(grpc::ServerContext* context,
                                        grpc::ServerReader<v1::MeasurementBatch>* reader,
                                        v1::IngestSummary* summary) {
  auto caller = CheckCall(access_, *context, Rpc::kIngest);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto operators = store_.Operators();
  if (!operators.ok()) return ToGrpcStatus(operators.status());
  IngestCall call(committer_, limits_, rate_,
                  geo::MeasurementValidator(rules_, std::move(operators.value())), caller.value());
  Status failure;
  v1::MeasurementBatch message;
  while (call.ok() && reader->Read(&message)) {
    const auto n = static_cast<std::size_t>(message.measurements_size());
    if (failure = call.Check(message.batch_id(), n); !failure.ok()) break;
    std::vector<ReceivedRow> rows(n);
    for (std::size_t i = 0; i < n; ++i) {
      rows[i].unreadable =
          api::FromProto(message.measurements(static_cast<int>(i)), rows[i].measurement);
    }
    call.Submit(message.batch_id(), std::move(rows));
    if (context->IsCancelled()) {
      failure = Status(StatusCode::kCancelled, "the client cancelled the call");
      break;
    }
  }
  const Status committed = call.Finish();
  if (failure.ok()) failure = committed;
  if (!failure.ok()) {
    LogWarning("Ingest from " + context->peer() + " failed: " + failure.message());
    return ToGrpcStatus(failure);
  }
  if (metrics_ != nullptr) metrics_->RecordIngest(call.report());
  api::ToProto(call.report(), *summary);
  LogInfo("Ingest from " + caller->Describe() + " at " + context->peer() + ": " +
          std::to_string(summary->batches_size()) + " batches, accepted " +
          std::to_string(summary->accepted()) + ", rejected " +
          std::to_string(summary->rejected()) + ", duplicate " +
          std::to_string(summary->duplicate()));
  return grpc::Status::OK;
}

grpc::Status MeasurementService::GetStats(grpc::ServerContext* context, const v1::GetStatsRequest*,
                                          v1::Stats* response) {
  auto caller = CheckCall(access_, *context, Rpc::kGetStats);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto stats = store_.Stats();
  if (!stats.ok()) return ToGrpcStatus(stats.status());
  api::ToProto(stats.value(), *response);
  return grpc::Status::OK;
}

}  // namespace covgap::server
