// GapLifecycleService: plan, clear, reopen and verify gaps, read a gap's history and watch gap
// events as they happen (proto/covgap/v1/lifecycle.proto). The rules are GapLifecycle's
// (server/gap_lifecycle.h); this layer checks the role table, converts and streams.
//
// WatchGaps first replays the stored events after `after_event_id`, then follows: it sleeps on
// the GapEventNotifier (woken by every event append and analysis save) and wakes at least every
// 200 ms to notice a cancelled call; it ends when the client cancels or when the server stops
// (GapEventNotifier::Stop, called before the gRPC server's shutdown, so a watch never holds it).
#pragma once

#include "covgap/v1/lifecycle.grpc.pb.h"
#include "server/access_control.h"
#include "server/gap_lifecycle.h"
#include "server/store/store.h"

namespace covgap::server {

class LifecycleService final : public v1::GapLifecycleService::Service {
 public:
  LifecycleService(store::Store& store, const AccessControl& access, GapLifecycle& lifecycle,
                   GapEventNotifier& notifier)
      : store_(store), access_(access), lifecycle_(lifecycle), notifier_(notifier) {}

  grpc::Status PlanGap(grpc::ServerContext* context, const v1::PlanGapRequest* request,
                       v1::Gap* response) override;
  grpc::Status ClearGap(grpc::ServerContext* context, const v1::ClearGapRequest* request,
                        v1::Gap* response) override;
  grpc::Status ReopenGap(grpc::ServerContext* context, const v1::ReopenGapRequest* request,
                         v1::Gap* response) override;
  grpc::Status VerifyGaps(grpc::ServerContext* context, const v1::VerifyGapsRequest* request,
                          v1::VerifyGapsResponse* response) override;
  grpc::Status GetGapHistory(grpc::ServerContext* context, const v1::GetGapHistoryRequest* request,
                             v1::GetGapHistoryResponse* response) override;
  grpc::Status WatchGaps(grpc::ServerContext* context, const v1::WatchGapsRequest* request,
                         grpc::ServerWriter<v1::GapEvent>* writer) override;

 private:
  store::Store& store_;
  const AccessControl& access_;
  GapLifecycle& lifecycle_;
  GapEventNotifier& notifier_;
};

}  // namespace covgap::server
