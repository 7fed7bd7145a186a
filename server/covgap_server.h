// covgapd's facade: owns the store, the group committer and the gRPC server with every service,
// the standard health service and server reflection. covgapd's main only parses flags and calls
// this; tests start it in-process (listen address empty) and talk to InProcessChannel().
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "geo/base/status.h"
#include "geo/gaps/gap_attribution.h"
#include "geo/model/measurement_rules.h"
#include "server/access_control.h"
#include "server/access_service.h"
#include "server/analysis_service.h"
#include "server/audit_trail.h"
#include "server/gap_lifecycle.h"
#include "server/gap_service.h"
#include "server/lifecycle_service.h"
#include "server/measurement_service.h"
#include "server/metrics.h"
#include "server/prediction_service.h"
#include "server/registry_service.h"
#include "server/report_service.h"
#include "server/school_service.h"
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
  // Bearer-token access control. covgapd always turns it on; off only for in-process tests of
  // other behaviour (every call is then the authority).
  bool auth_enabled = false;
  // The first authority token's text when the store has none (empty: a random one).
  std::string bootstrap_token;
  // TLS (PEM text); with a client CA, clients must present a certificate it signed.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::string tls_client_ca_pem;
  int max_threads = 64;                 // sync server threads; calls beyond get RESOURCE_EXHAUSTED
  int max_waiting_analyses = 1;         // besides the running one
  geo::RankingWeights ranking_weights;  // default ranking weights (covgapd --ranking-weights)
  // The progress report (docs/report.md): the default deadline (00:00 UTC of the day, 0 = none)
  // and where the per-school coverage records come from (empty: Store::LatestSchoolCoverage).
  std::int64_t report_deadline_ms = 0;
  SchoolCoverageSource school_coverage;
  // Threads of an analysis run (grids, tiles, components); 0 = every core.
  unsigned analysis_threads = 0;
  // The embedded store's directory, for the store-size metric (empty on PostgreSQL).
  std::string store_dir;
};

class CovgapServer {
 public:
  static StatusOr<std::unique_ptr<CovgapServer>> Start(std::unique_ptr<store::Store> store,
                                                       const ServerOptions& options);
  ~CovgapServer();

  // The port actually bound (0 when in-process only).
  int port() const { return port_; }
  // The authority token created at start because the store had none (shown once).
  const std::optional<std::string>& bootstrap_token() const { return bootstrap_token_; }
  std::shared_ptr<grpc::Channel> InProcessChannel();
  // covgapd's metrics (the HTTP listener serves them at /metrics).
  Metrics& metrics() { return *metrics_; }
  // The gap-event wake-up of WatchGaps (tests wait on its idle watches).
  const GapEventNotifier& gap_events() const { return *gap_notifier_; }
  // For the HTTP listener (server/http/), which serves the same store with the same tokens; stop
  // it before Shutdown, which closes the store.
  store::Store& store() { return *store_; }
  const AccessControl& access() const { return *access_; }

  // Stops accepting calls, lets running calls finish until the deadline (then cancels them),
  // commits what was acknowledged-to-be and closes the store. Idempotent.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  CovgapServer() = default;

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<AccessControl> access_;
  std::unique_ptr<AuditTrail> audit_;
  std::unique_ptr<AccessService> access_service_;
  std::optional<std::string> bootstrap_token_;
  std::unique_ptr<BatchCommitter> committer_;
  std::unique_ptr<MeasurementService> measurement_service_;
  std::unique_ptr<RegistryService> registry_service_;
  std::unique_ptr<AnalysisService> analysis_service_;
  std::unique_ptr<GapService> gap_service_;
  // Shared so the store's external-change callback (a store thread) can hold it weakly.
  std::shared_ptr<GapEventNotifier> gap_notifier_;
  std::unique_ptr<GapLifecycle> gap_lifecycle_;
  std::unique_ptr<LifecycleService> lifecycle_service_;
  std::unique_ptr<SchoolService> school_service_;
  std::unique_ptr<ReportService> report_service_;
  std::unique_ptr<PredictionService> prediction_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace covgap::server
