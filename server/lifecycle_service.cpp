#include "server/lifecycle_service.h"

#include <chrono>

#include "server/api/conversions.h"
#include "server/grpc_access.h"
#include "server/status_mapping.h"

namespace covgap::server {
namespace {

constexpr std::uint64_t kReplayPage = 1000;
constexpr std::chrono::milliseconds kWatchPoll{200};

// Operators see their own gaps and common gaps only.
bool Visible(const Caller& caller, const std::string& gap_operator) {
  return caller.role != Role::kOperator || gap_operator.empty() ||
         gap_operator == caller.operator_id;
}

}  // namespace

grpc::Status LifecycleService::PlanGap(grpc::ServerContext* context,
                                       const v1::PlanGapRequest* request, v1::Gap* response) {
  auto caller = CheckCall(access_, *context, Rpc::kPlanGap);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto gap = lifecycle_.Plan(caller.value(), request->gap_id(), request->action(),
                             request->target_unix_ms());
  if (!gap.ok()) return ToGrpcStatus(gap.status());
  api::ToProto(gap.value(), false, *response);
  return grpc::Status::OK;
}

grpc::Status LifecycleService::ClearGap(grpc::ServerContext* context,
                                        const v1::ClearGapRequest* request, v1::Gap* response) {
  auto caller = CheckCall(access_, *context, Rpc::kClearGap);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  std::optional<std::int64_t> when;
  if (request->has_cleared_unix_ms()) when = request->cleared_unix_ms();
  auto gap = lifecycle_.Clear(caller.value(), request->gap_id(), request->note(), when);
  if (!gap.ok()) return ToGrpcStatus(gap.status());
  api::ToProto(gap.value(), false, *response);
  return grpc::Status::OK;
}

grpc::Status LifecycleService::ReopenGap(grpc::ServerContext* context,
                                         const v1::ReopenGapRequest* request, v1::Gap* response) {
  auto caller = CheckCall(access_, *context, Rpc::kReopenGap);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto gap = lifecycle_.Reopen(caller.value(), request->gap_id(), request->reason());
  if (!gap.ok()) return ToGrpcStatus(gap.status());
  api::ToProto(gap.value(), false, *response);
  return grpc::Status::OK;
}

grpc::Status LifecycleService::VerifyGaps(grpc::ServerContext* context,
                                          const v1::VerifyGapsRequest* request,
                                          v1::VerifyGapsResponse* response) {
  auto caller = CheckCall(access_, *context, Rpc::kVerifyGaps);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  geo::VerificationRule rule;
  if (request->has_samples_per_km2()) rule.samples_per_km2 = request->samples_per_km2();
  if (request->has_min_good_percent()) rule.min_good_percent = request->min_good_percent();
  const std::vector<std::string> ids(request->gap_ids().begin(), request->gap_ids().end());
  auto outcomes = lifecycle_.Verify(caller.value(), ids, rule);
  if (!outcomes.ok()) return ToGrpcStatus(outcomes.status());
  for (const VerifyOutcome& o : outcomes.value()) api::ToProto(o, *response->add_results());
  return grpc::Status::OK;
}

grpc::Status LifecycleService::GetGapHistory(grpc::ServerContext* context,
                                             const v1::GetGapHistoryRequest* request,
                                             v1::GetGapHistoryResponse* response) {
  auto caller = CheckCall(access_, *context, Rpc::kGetGapHistory);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (request->gap_id().empty()) {
    return ToGrpcStatus(InvalidArgument("which gap? give its id"));
  }
  auto events = store_.ListGapEvents(0, UINT64_MAX >> 1, request->gap_id());
  if (!events.ok()) return ToGrpcStatus(events.status());
  if (events->empty()) {
    auto gap = store_.GetGap(request->gap_id());
    if (!gap.ok()) return ToGrpcStatus(gap.status());
  } else if (!Visible(caller.value(), events->front().operator_id)) {
    return ToGrpcStatus(PermissionDenied(caller->Describe() + " may not read the history of gap " +
                                         request->gap_id() + ": it is " +
                                         events->front().operator_id + "'s"));
  }
  for (const auto& e : events.value()) api::ToProto(e, *response->add_events());
  return grpc::Status::OK;
}

grpc::Status LifecycleService::WatchGaps(grpc::ServerContext* context,
                                         const v1::WatchGapsRequest* request,
                                         grpc::ServerWriter<v1::GapEvent>* writer) {
  auto caller = CheckCall(access_, *context, Rpc::kWatchGaps);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  const std::string& filter = request->operator_id();
  if (caller->role == Role::kOperator && !filter.empty() && filter != caller->operator_id) {
    return ToGrpcStatus(PermissionDenied(
        caller->Describe() + " may watch only its own and common gaps, not " + filter + "'s"));
  }
  if (request->after_event_id() < 0) {
    return ToGrpcStatus(InvalidArgument("after_event_id must be 0 or more"));
  }
  std::int64_t last = request->after_event_id();
  // Read the generation before listing: an event appended after the listing moves it, so the
  // wait below returns at once and no event is missed.
  std::uint64_t generation = notifier_.generation();
  while (!context->IsCancelled() && !notifier_.stopped()) {
    auto events = store_.ListGapEvents(last, kReplayPage);
    if (!events.ok()) return ToGrpcStatus(events.status());
    for (const auto& e : events.value()) {
      last = e.event_id;
      if (!Visible(caller.value(), e.operator_id)) continue;
      if (!filter.empty() && !e.operator_id.empty() && e.operator_id != filter) continue;
      v1::GapEvent out;
      api::ToProto(e, out);
      if (!writer->Write(out)) return grpc::Status::OK;  // the client went away
    }
    if (events->size() == kReplayPage) continue;
    generation = notifier_.Wait(generation, kWatchPoll);
  }
  if (notifier_.stopped()) return ToGrpcStatus(Unavailable("covgapd is shutting down"));
  return ToGrpcStatus(Status(StatusCode::kCancelled, "the watch was cancelled"));
}

}  // namespace covgap::server
