// covgapd's facade: owns the store, the group committer and the gRPC server with every service,
// the standard health service and server reflection. covgapd's main only parses flags and calls
// this; tests start it in-process (listen address empty) and talk to InProcessChannel().
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "geo/measurement_rules.h"
#include "geo/status.h"
#include "server/analysis_service.h"
#include "server/gap_service.h"
#include "server/measurement_service.h"
#include "server/registry_service.h"
#include "server/store/store.h"

namespace covgap::server {

struct ServerOptions {
  std::string listen_address;  // "host:port"; port 0 picks a free one; empty = in-process only
  geo::ValidationRules rules;
  IngestLimits ingest_limits;
  BatchCommitterOptions commit_options;
  int max_receive_message_bytes = 64 << 20;
  std::string scratch_dir;  // for export files; default: the system temporary directory
  std::uint64_t max_upload_bytes = 256ull << 20;  // largest import upload
};

class CovgapServer {
 public:
  static StatusOr<std::unique_ptr<CovgapServer>> Start(std::unique_ptr<store::Store> store,
                                                       const ServerOptions& options);
  ~CovgapServer();

  // The port actually bound (0 when in-process only).
  int port() const { return port_; }
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // Stops accepting calls, lets running calls finish until the deadline (then cancels them),
  // commits what was acknowledged-to-be and closes the store. Idempotent.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  CovgapServer() = default;

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<BatchCommitter> committer_;
  std::unique_ptr<MeasurementService> measurement_service_;
  std::unique_ptr<RegistryService> registry_service_;
  std::unique_ptr<AnalysisService> analysis_service_;
  std::unique_ptr<GapService> gap_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace covgap::server
