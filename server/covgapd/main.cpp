// covgapd: flags, wiring, signals. Everything else lives in server/.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "geo/base/log.h"
#include "geo/base/numbers.h"
#include "geo/base/time_format.h"
#include "server/covgap_server.h"
#include "server/http/dashboard/dashboard.h"
#include "server/http/http_server.h"
#include "server/http/metrics_handler.h"
#include "server/http/ogc/ogc_api.h"
#include "server/store/postgres_store.h"
#include "server/store/sqlite_store.h"

namespace {

constexpr const char* kUsage =
    R"(covgapd - the covgap server: finds mobile-coverage gaps and gets them cleared.

Usage: covgapd [--data DIR] [--store postgresql://USER@HOST:PORT/DB] [--listen HOST:PORT] [options]

Options:
  --data DIR            data directory; the embedded store is DIR/covgap.sqlite
                        (created if missing; default ./covgap-data)
  --store URI           keep everything in PostgreSQL 15 + PostGIS 3 instead, shared by every
                        covgapd replica given the same URI (postgresql:// or postgres://, e.g.
                        postgresql://covgap@db.local:5432/covgap; password from ~/.pgpass or
                        PGPASSWORD; docs/postgresql.md). The schema is created or migrated at
                        start. --data is then only the scratch directory for uploads.
  --listen HOST:PORT    address to serve gRPC on (default 127.0.0.1:50051; port 0 picks a
                        free port, see --port-file)
  --port-file FILE      write the bound port to FILE once serving (for scripts and tests)
  --http HOST:PORT      also serve HTTP (off by default; docs/web.md): the browser dashboard
                        at / and the OGC API - Features layers for QGIS/ArcGIS, with the same
                        tokens and roles; HTTPS with the
                        --tls-cert/--tls-key below (client certificates are gRPC's only)
  --http-port-file FILE write the bound HTTP port to FILE once serving
  --max-batch-rows N    largest accepted measurement batch (default 50000)
  --max-upload-mb N     largest import upload, in MiB (default 256)
  --ingest-rate-limit N rows per second each token may ingest, with bursts of two seconds'
                        worth (default 5000000; 0 = no limit)
  --max-threads N       gRPC worker threads; calls beyond them get RESOURCE_EXHAUSTED (64)

Access (docs/security.md): every call needs a bearer token. On first start, when the store has
no authority token, covgapd creates one:
  --bootstrap-token-file FILE  take it from FILE if FILE exists, else write the new one there
                               (mode 0600); without this option: $COVGAP_BOOTSTRAP_TOKEN, else a
                               random one printed once to stderr
TLS:
  --tls-cert FILE --tls-key FILE   serve TLS with this certificate chain and key (PEM)
  --tls-client-ca FILE             also require client certificates signed by this CA (mTLS)
  --shutdown-grace S    seconds running calls get to finish on SIGTERM/SIGINT (default 10)
  --ranking-weights FILE  ranking weights, `key = value` lines (docs/gaps.md "Ranking"); the
                        default of every analysis (a run's own weights override them)
  --analysis-threads N  threads of an analysis run (default: every core)
  --deadline YYYY-MM-DD default deadline of the progress report (covgap report; docs/report.md)
  --log-level LEVEL     debug, info, warn or error (default info)
  -h, --help            show this help
  --version             print the version

Logs go to stderr. SIGTERM or SIGINT stops the server cleanly: it stops accepting calls, lets
running calls finish, commits every acknowledged batch and closes the store.
)";

// Writes `port` to `path` atomically (a temporary file renamed into place).
void WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << port << "\n";
  std::rename(tmp.c_str(), path.c_str());
}

[[noreturn]] void Die(const std::string& message, int code = 1) {
  std::fprintf(stderr, "covgapd: %s\n", message.c_str());
  std::exit(code);
}

// A whole number of `flag` between min and max, or Die with what is expected.
long long ParseWhole(std::string_view flag, const std::string& text, long long min, long long max,
                     std::string_view what) {
  const auto n = covgap::geo::ParseInteger(text, min, max);
  if (!n) {
    Die(std::string(flag) + " needs " + std::string(what) + " from " + std::to_string(min) +
            " to " + std::to_string(max) + ", not '" + text + "'",
        2);
  }
  return *n;
}

// A number >= 0 (decimals allowed) for `flag`, or Die.
double ParseRate(std::string_view flag, const std::string& text, std::string_view what) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v) || v < 0) {
    Die(std::string(flag) + " needs " + std::string(what) + " (a number >= 0), not '" + text + "'",
        2);
  }
  return v;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir = "covgap-data";
  std::string store_uri;  // --store: PostgreSQL instead of the embedded store
  std::string port_file;
  std::string bootstrap_file, tls_cert, tls_key, tls_client_ca, http_address, http_port_file;
  int grace_s = 10;
  covgap::server::ServerOptions options;
  options.listen_address = "127.0.0.1:50051";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(std::string(arg) + " needs a value (see --help)", 2);
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--version") {
      std::puts("covgapd 0.1.0");
      return 0;
    } else if (arg == "--data") {
      data_dir = value();
    } else if (arg == "--store") {
      store_uri = value();
      if (!covgap::store::IsPostgresUri(store_uri)) {
        Die("--store needs a PostgreSQL URI (postgresql://USER@HOST:PORT/DB or postgres://...), "
            "not '" +
                store_uri + "'; without --store the embedded store in --data is used",
            2);
      }
    } else if (arg == "--http") {
      http_address = value();
    } else if (arg == "--http-port-file") {
      http_port_file = value();
    } else if (arg == "--listen") {
      options.listen_address = value();
    } else if (arg == "--port-file") {
      port_file = value();
    } else if (arg == "--max-batch-rows") {
      options.ingest_limits.max_rows_per_batch =
          ParseWhole(arg, value(), 1, 10'000'000, "a number of rows");
    } else if (arg == "--bootstrap-token-file") {
      bootstrap_file = value();
    } else if (arg == "--tls-cert") {
      tls_cert = value();
    } else if (arg == "--tls-key") {
      tls_key = value();
    } else if (arg == "--tls-client-ca") {
      tls_client_ca = value();
    } else if (arg == "--ingest-rate-limit") {
      options.ingest_limits.rows_per_second_per_token =
          ParseRate(arg, value(), "rows per second per token");
      // A burst of two seconds' worth (at least one full batch, see MeasurementService).
      options.ingest_limits.burst_rows_per_token =
          2 * options.ingest_limits.rows_per_second_per_token;
    } else if (arg == "--max-threads") {
      options.max_threads =
          static_cast<int>(ParseWhole(arg, value(), 1, 4096, "a number of threads"));
    } else if (arg == "--max-upload-mb") {
      options.max_upload_bytes =
          static_cast<std::uint64_t>(ParseWhole(arg, value(), 1, 1 << 20, "a size in MiB")) << 20;
    } else if (arg == "--shutdown-grace") {
      grace_s = static_cast<int>(ParseWhole(arg, value(), 0, 3600, "a number of seconds"));
    } else if (arg == "--ranking-weights") {
      const std::string path = value();
      std::ifstream file(path, std::ios::binary);
      if (!file) Die("--ranking-weights " + path + ": cannot read the file", 2);
      auto weights =
          covgap::geo::ParseRankingWeights(std::string(std::istreambuf_iterator<char>(file), {}));
      if (!weights.ok()) Die("--ranking-weights " + path + ": " + weights.status().message(), 2);
      options.ranking_weights = weights.value();
    } else if (arg == "--analysis-threads") {
      options.analysis_threads =
          static_cast<unsigned>(ParseWhole(arg, value(), 1, 1024, "a number of threads"));
    } else if (arg == "--deadline") {
      const std::string text = value();
      const auto day = covgap::geo::ParseIso8601(text);
      if (text.size() != 10 || !day) {
        Die("--deadline needs a date YYYY-MM-DD (e.g. 2021-12-20), not '" + text + "'", 2);
      }
      options.report_deadline_ms = *day;
    } else if (arg == "--log-level") {
      const std::string level = value();
      if (level == "debug")
        covgap::SetLogLevel(covgap::LogLevel::kDebug);
      else if (level == "info")
        covgap::SetLogLevel(covgap::LogLevel::kInfo);
      else if (level == "warn")
        covgap::SetLogLevel(covgap::LogLevel::kWarning);
      else if (level == "error")
        covgap::SetLogLevel(covgap::LogLevel::kError);
      else
        Die("unknown log level '" + level + "' (debug, info, warn, error)", 2);
    } else {
      Die("unknown argument '" + std::string(arg) + "' (see --help)", 2);
    }
  }

  // Block the stop signals in every thread (gRPC's included) and take them with sigwait below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  options.scratch_dir = data_dir;
  options.auth_enabled = true;
  if (!bootstrap_file.empty()) {
    options.bootstrap_token = ReadFileOrEmpty(bootstrap_file);
    while (!options.bootstrap_token.empty() &&
           std::isspace(static_cast<unsigned char>(options.bootstrap_token.back()))) {
      options.bootstrap_token.pop_back();
    }
  } else if (const char* env = std::getenv("COVGAP_BOOTSTRAP_TOKEN"); env != nullptr) {
    options.bootstrap_token = env;
  }
  if (tls_cert.empty() != tls_key.empty()) Die("--tls-cert and --tls-key go together", 2);
  if (!tls_client_ca.empty() && tls_cert.empty()) Die("--tls-client-ca needs --tls-cert", 2);
  for (auto [path, pem] :
       {std::pair{&tls_cert, &options.tls_cert_pem}, std::pair{&tls_key, &options.tls_key_pem},
        std::pair{&tls_client_ca, &options.tls_client_ca_pem}}) {
    if (path->empty()) continue;
    *pem = ReadFileOrEmpty(*path);
    if (pem->empty()) Die("cannot read " + *path);
  }
  covgap::StatusOr<std::unique_ptr<covgap::store::Store>> store =
      covgap::Status(covgap::StatusCode::kInternal, "no store");
  if (store_uri.empty()) {
    store = covgap::store::OpenSqliteStore(data_dir);
    options.store_dir = data_dir;
    if (!store.ok()) Die("cannot open the store: " + store.status().message());
    covgap::LogInfo("store: " + data_dir + "/covgap.sqlite");
  } else {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    if (ec) Die("cannot create the scratch directory " + data_dir + ": " + ec.message());
    store = covgap::store::OpenPostgresStore(store_uri);
    if (!store.ok()) Die("cannot open the PostgreSQL store: " + store.status().message());
    covgap::LogInfo("store: " + covgap::store::RedactConninfo(store_uri) + " (PostgreSQL)");
  }
  auto server = covgap::server::CovgapServer::Start(std::move(store.value()), options);
  if (!server.ok()) Die(server.status().message());
  if (const auto& token = server.value()->bootstrap_token(); token) {
    if (!bootstrap_file.empty() && options.bootstrap_token.empty()) {
      const int fd = ::open(bootstrap_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const std::string line = *token + "\n";
      if (fd < 0 || ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        Die("cannot write the bootstrap token to " + bootstrap_file);
      }
      ::close(fd);
      covgap::LogInfo("created the first authority token; it is in " + bootstrap_file);
    } else if (!options.bootstrap_token.empty()) {
      covgap::LogInfo("created the first authority token from the given one");
    } else {
      std::fprintf(stderr,
                   "covgapd: created the first authority token (shown once; keep it safe, "
                   "covgap --token-file / COVGAP_TOKEN):\n%s\n",
                   token->c_str());
    }
  }
  const std::string host = options.listen_address.substr(0, options.listen_address.rfind(':'));
  covgap::LogInfo("covgapd listening on " + host + ":" + std::to_string(server.value()->port()) +
                  (options.tls_cert_pem.empty()        ? " (plaintext)"
                   : options.tls_client_ca_pem.empty() ? " (TLS)"
                                                       : " (mutual TLS)"));
  if (!port_file.empty()) WritePortFile(port_file, server.value()->port());
  // The HTTP listener serves the same store with the same tokens (docs/web.md).
  std::unique_ptr<covgap::server::http::ogc::OgcContext> ogc;
  std::unique_ptr<covgap::server::http::dashboard::DashboardContext> dashboard;
  std::unique_ptr<covgap::server::http::HttpServer> http;
  if (!http_address.empty()) {
    ogc = std::make_unique<covgap::server::http::ogc::OgcContext>(server.value()->store(),
                                                                  server.value()->access());
    dashboard = std::make_unique<covgap::server::http::dashboard::DashboardContext>(
        covgap::server::http::dashboard::DashboardContext{
            *ogc, options.report_deadline_ms, covgap::server::LatestSchoolCoverageSource()});
    covgap::server::http::HttpOptions http_options;
    http_options.address = http_address;
    http_options.tls_cert_pem = options.tls_cert_pem;
    http_options.tls_key_pem = options.tls_key_pem;
    auto routes = covgap::server::http::dashboard::WebRoutes(*dashboard);
    routes.push_back(covgap::server::http::MetricsRoute(
        server.value()->metrics(), server.value()->store(), server.value()->access()));
    auto started = covgap::server::http::HttpServer::Start(http_options, std::move(routes));
    if (!started.ok()) Die(started.status().message());
    http = std::move(started.value());
    const std::string http_host = http_address.substr(0, http_address.rfind(':'));
    covgap::LogInfo(std::string("HTTP (dashboard and OGC API - Features) on ") +
                    (http->tls() ? "https://" : "http://") + http_host + ":" +
                    std::to_string(http->port()) + "/");
    if (!http_port_file.empty()) WritePortFile(http_port_file, http->port());
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  covgap::LogInfo(std::string("received ") + strsignal(signal_number) + ", shutting down");
  if (http) http->Stop();
  server.value()->Shutdown(std::chrono::seconds(grace_s));
  covgap::LogInfo("covgapd stopped; every acknowledged batch is committed");
  return 0;
}
