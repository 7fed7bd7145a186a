#include "server/covgap_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <filesystem>

#include "geo/base/log.h"
#include "server/grpc_metrics.h"

namespace covgap::server {

StatusOr<std::unique_ptr<CovgapServer>> CovgapServer::Start(std::unique_ptr<store::Store> store,
                                                            const ServerOptions& options) {
  std::unique_ptr<CovgapServer> s(new CovgapServer());
  s->store_ = std::move(store);
  s->metrics_ = std::make_unique<Metrics>(options.store_dir);
  s->access_ = std::make_unique<AccessControl>(*s->store_, options.auth_enabled);
  s->audit_ = std::make_unique<AuditTrail>(*s->store_);
  if (options.auth_enabled) {
    auto created = s->access_->Bootstrap(options.bootstrap_token);
    if (!created.ok()) return created.status();
    s->bootstrap_token_ = std::move(created.value());
  }
  BatchCommitterOptions commit_options = options.commit_options;
  if (!commit_options.on_commit) {
    commit_options.on_commit = [metrics = s->metrics_.get()](double seconds) {
      metrics->RecordCommit(seconds);
    };
  }
  s->committer_ = std::make_unique<BatchCommitter>(*s->store_, commit_options);
  s->measurement_service_ =
      std::make_unique<MeasurementService>(*s->store_, *s->committer_, options.rules,
                                           options.ingest_limits, *s->access_, s->metrics_.get());
  s->registry_service_ = std::make_unique<RegistryService>(
      *s->store_, options.rules.region, options.max_upload_bytes, *s->access_, *s->audit_);
  s->gap_notifier_ = std::make_shared<GapEventNotifier>();
  // Replicas on one database: gap events appended and analyses stored through another covgapd
  // wake this one's WatchGaps streams at once (docs/deployment.md). Held weakly: the store may
  // call from its thread until it is closed, after the notifier is gone.
  s->store_->OnExternalChange([weak = std::weak_ptr<GapEventNotifier>(s->gap_notifier_)] {
    if (auto notifier = weak.lock()) notifier->Notify();
  });
  s->gap_lifecycle_ = std::make_unique<GapLifecycle>(*s->store_, *s->audit_, *s->gap_notifier_);
  s->lifecycle_service_ = std::make_unique<LifecycleService>(*s->store_, *s->access_,
                                                             *s->gap_lifecycle_, *s->gap_notifier_);
  s->analysis_service_ = std::make_unique<AnalysisService>(
      *s->store_, *s->access_, *s->audit_, options.max_waiting_analyses, options.ranking_weights,
      s->gap_lifecycle_.get(), options.analysis_threads, s->metrics_.get());
  const std::string scratch_dir = options.scratch_dir.empty()
                                      ? std::filesystem::temp_directory_path().string()
                                      : options.scratch_dir;
  s->gap_service_ = std::make_unique<GapService>(*s->store_, scratch_dir, *s->access_);
  s->prediction_service_ = std::make_unique<PredictionService>(*s->store_, scratch_dir, *s->access_,
                                                               options.analysis_threads);
  s->access_service_ = std::make_unique<AccessService>(*s->store_, *s->access_, *s->audit_);
  s->school_service_ = std::make_unique<SchoolService>(*s->store_, *s->access_);
  // The report's white zones: the latest run's per-school coverage, unless a test gives its own.
  SchoolCoverageSource coverage = options.school_coverage;
  if (!coverage) coverage = LatestSchoolCoverageSource();
  s->report_service_ = std::make_unique<ReportService>(*s->store_, *s->access_,
                                                       options.report_deadline_ms, coverage);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (!options.listen_address.empty()) {
    std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
    if (!options.tls_cert_pem.empty()) {
      grpc::SslServerCredentialsOptions ssl(
          options.tls_client_ca_pem.empty()
              ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
              : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
      ssl.pem_root_certs = options.tls_client_ca_pem;
      ssl.pem_key_cert_pairs.push_back({options.tls_key_pem, options.tls_cert_pem});
      credentials = grpc::SslServerCredentials(ssl);
    }
    builder.AddListeningPort(options.listen_address, credentials, &s->port_);
  }
  grpc::ResourceQuota quota("covgapd");
  quota.SetMaxThreads(options.max_threads);
  builder.SetResourceQuota(quota);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<MetricsInterceptorFactory>(*s->metrics_));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.SetMaxSendMessageSize(64 << 20);
  builder.RegisterService(s->measurement_service_.get());
  builder.RegisterService(s->registry_service_.get());
  builder.RegisterService(s->analysis_service_.get());
  builder.RegisterService(s->gap_service_.get());
  builder.RegisterService(s->access_service_.get());
  builder.RegisterService(s->lifecycle_service_.get());
  builder.RegisterService(s->school_service_.get());
  builder.RegisterService(s->report_service_.get());
  builder.RegisterService(s->prediction_service_.get());
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || (!options.listen_address.empty() && s->port_ == 0)) {
    return Unavailable("cannot listen on " + options.listen_address +
                       " (address in use or not valid?)");
  }
  s->server_->GetHealthCheckService()->SetServingStatus(true);
  return s;
}

CovgapServer::~CovgapServer() { Shutdown(); }

std::shared_ptr<grpc::Channel> CovgapServer::InProcessChannel() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  return server_->InProcessChannel(args);
}

void CovgapServer::Shutdown(std::chrono::milliseconds grace) {
  if (shut_down_) return;
  shut_down_ = true;
  // WatchGaps streams end now, not at the deadline.
  if (gap_notifier_) gap_notifier_->Stop();
  if (server_) {  // null when Start failed before the server was built
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(std::chrono::system_clock::now() + grace);
    server_->Wait();
  }
  committer_.reset();  // commits everything still queued
  measurement_service_.reset();
  registry_service_.reset();
  analysis_service_.reset();
  gap_service_.reset();
  access_service_.reset();
  lifecycle_service_.reset();
  gap_lifecycle_.reset();
  gap_notifier_.reset();
  school_service_.reset();
  report_service_.reset();
  prediction_service_.reset();
  store_.reset();
}

}  // namespace covgap::server
