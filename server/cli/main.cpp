// covgap: the command-line client of covgapd. Parses the global options, dispatches to a command.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/cli/commands.h"

namespace {

constexpr const char* kUsage = R"(covgap - command-line client of covgapd (mobile-coverage gaps).

Usage: covgap [--server HOST:PORT] [--token-file FILE] [--tls-ca FILE] [--json] COMMAND [ARGS]

Commands:
  ingest FILE...   stream measurement CSV files to covgapd
  stats            measurement counts per operator and technology
  import KIND FILE import areas (boundaries), schools, households or operators' sites
  sites            the operators' sites (base stations)
  analyse          run the gap analysis (binned, predicted or hybrid)
  gaps             list the ranked gaps of the latest analysis
  gap GAP_ID       one gap in full
  export           write the gaps to a Shapefile, GeoPackage, GeoJSON, CSV or KML file, or a
                   coverage raster (Cloud-Optimised GeoTIFF)
  validate         block cross-validation of the coverage prediction (RMSE, bias, ±σ)
  campaign         where to measure next: a drive-test plan for one operator
  token create|list|revoke   access tokens (authority)
  audit            who did what and when (authority)
  gap plan|clear|reopen|history GAP_ID   the gap life cycle (covgap help gap)
  verify [GAP_ID...]  verify cleared gaps by re-measurement (authority)
  watch            print gap life-cycle events as they happen
  schools          per-school coverage of the latest analysis, white zones
  report           progress report against the deadline (table, JSON, CSV, printable HTML)
  doctor           check the set-up: server, token, store, imported layers, latest run
  help COMMAND     help on one command

Global options:
  --server HOST:PORT     covgapd's address (default $COVGAP_SERVER or 127.0.0.1:50051)
  --connect-timeout S    seconds to wait for covgapd to answer (default 5)
  --token-file FILE      the access token (default $COVGAP_TOKEN, or the file $COVGAP_TOKEN_FILE)
  --tls-ca FILE          use TLS, trusting this CA for covgapd's certificate ($COVGAP_TLS_CA)
  --tls-cert FILE, --tls-key FILE   client certificate and key, for mutual TLS
  --tls-server-name N    the name to check in covgapd's certificate (default: the host)
  --json                 print one machine-readable JSON document instead of tables
  -h, --help             this help

Exit status: 0 ok, 1 error (bad file, request refused), 2 bad command line,
3 covgapd unreachable or the connection broke off, 4 no valid token or not allowed.
)";

struct Command {
  const char* name;
  int (*run)(const covgap::cli::GlobalOptions&, const covgap::cli::Args&);
  const char* const* help;
  std::vector<std::string> switches;
};

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"ingest", covgap::cli::RunIngest, &covgap::cli::kIngestHelp, {"json"}},
      {"stats", covgap::cli::RunStats, &covgap::cli::kStatsHelp, {"json"}},
      {"import", covgap::cli::RunImport, &covgap::cli::kImportHelp, {"json"}},
      {"analyse", covgap::cli::RunAnalyse, &covgap::cli::kAnalyseHelp, {"json"}},
      {"analyze", covgap::cli::RunAnalyse, &covgap::cli::kAnalyseHelp, {"json"}},
      {"gaps", covgap::cli::RunGaps, &covgap::cli::kGapsHelp, {"json", "only-own"}},
      {"gap", covgap::cli::RunGap, &covgap::cli::kGapHelp, {"json"}},
      {"export", covgap::cli::RunExport, &covgap::cli::kExportHelp, {"json"}},
      {"token", covgap::cli::RunToken, &covgap::cli::kTokenHelp, {"json"}},
      {"audit", covgap::cli::RunAudit, &covgap::cli::kAuditHelp, {"json"}},
      {"verify", covgap::cli::RunVerify, &covgap::cli::kVerifyHelp, {"json"}},
      {"watch", covgap::cli::RunWatch, &covgap::cli::kWatchHelp, {"json"}},
      {"schools",
       covgap::cli::RunSchools,
       &covgap::cli::kSchoolsHelp,
       {"json", "csv", "uncovered"}},
      {"report", covgap::cli::RunReport, &covgap::cli::kReportHelp, {"json"}},
      {"sites", covgap::cli::RunSites, &covgap::cli::kSitesHelp, {"json", "csv"}},
      {"validate", covgap::cli::RunValidate, &covgap::cli::kValidateHelp, {"json"}},
      {"campaign", covgap::cli::RunCampaign, &covgap::cli::kCampaignHelp, {"json"}},
      {"doctor", covgap::cli::RunDoctor, &covgap::cli::kDoctorHelp, {"json"}},
  };
  return kCommands;
}

const Command* Find(const std::string& name) {
  for (const auto& c : Commands()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  covgap::cli::GlobalOptions options;
  if (const char* env = std::getenv("COVGAP_SERVER"); env != nullptr && *env != '\0') {
    options.server = env;
  }
  std::vector<std::string> rest;
  std::string command;
  std::map<std::string, std::string> files;  // --token-file, --tls-* -> path
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "-h" || arg == "--help") && command.empty()) {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--server" || arg == "--connect-timeout" || arg == "--token-file" ||
               arg == "--tls-ca" || arg == "--tls-cert" || arg == "--tls-key" ||
               arg == "--tls-server-name") {
      // Global options, before or after the command.
      if (i + 1 >= argc) {
        std::fprintf(stderr, "covgap: %s needs a value (covgap --help)\n", arg.c_str());
        return covgap::cli::kExitUsage;
      }
      const std::string v = argv[++i];
      if (arg == "--server") {
        options.server = v;
      } else if (arg == "--connect-timeout") {
        const auto seconds = covgap::cli::ParseInteger(v, 1, 3600);
        if (!seconds) {
          std::fprintf(stderr, "covgap: --connect-timeout must be 1..3600 seconds, not '%s'\n",
                       v.c_str());
          return covgap::cli::kExitUsage;
        }
        options.connect_timeout_s = static_cast<int>(*seconds);
      } else if (arg == "--tls-server-name") {
        options.tls_server_name = v;
      } else {
        files[arg] = v;
      }
    } else if (arg.starts_with("--server=")) {
      options.server = arg.substr(9);
    } else if (arg == "--json" && command.empty()) {
      options.json = true;
    } else if (command.empty() && !arg.starts_with("-")) {
      command = arg;
    } else {
      rest.push_back(arg);
    }
  }
  if (command.empty()) {
    std::fputs(kUsage, stderr);
    return covgap::cli::kExitUsage;
  }
  // The token: --token-file, else $COVGAP_TOKEN, else the file $COVGAP_TOKEN_FILE.
  if (!files.count("--token-file")) {
    if (const char* env = std::getenv("COVGAP_TOKEN"); env != nullptr && *env != '\0') {
      options.token = env;
    } else if (const char* file = std::getenv("COVGAP_TOKEN_FILE"); file && *file) {
      files["--token-file"] = file;
    }
  }
  if (!files.count("--tls-ca")) {
    if (const char* env = std::getenv("COVGAP_TLS_CA"); env != nullptr && *env != '\0') {
      files["--tls-ca"] = env;
    }
  }
  for (const auto& [flag, path] : files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "covgap: %s %s: no such file or not readable; %s\n", flag.c_str(),
                   path.c_str(),
                   flag == "--token-file"
                       ? "give the file holding your token (the authority makes one with covgap "
                         "token create)"
                       : "give the path of a PEM file");
      return covgap::cli::kExitUsage;
    }
    std::string text((std::istreambuf_iterator<char>(in)), {});
    if (flag == "--token-file") {
      while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.pop_back();
      options.token = text;
    } else if (flag == "--tls-ca") {
      options.tls_ca = text;
    } else if (flag == "--tls-cert") {
      options.tls_cert = text;
    } else {
      options.tls_key = text;
    }
  }
  if (command == "help") {
    const Command* c = rest.empty() ? nullptr : Find(rest[0]);
    std::fputs(c ? *c->help : kUsage, stdout);
    return 0;
  }
  const Command* c = Find(command);
  if (c == nullptr) {
    std::string names;
    for (const auto& known : Commands()) {
      if (std::string_view(known.name) != "analyze")
        names += std::string(names.empty() ? "" : ", ") + known.name;
    }
    std::fprintf(stderr, "covgap: unknown command '%s': use one of %s (covgap --help)\n",
                 command.c_str(), names.c_str());
    return covgap::cli::kExitUsage;
  }
  for (const auto& a : rest) {
    if (a == "-h" || a == "--help") {
      std::fputs(*c->help, stdout);
      return 0;
    }
  }
  return c->run(options, covgap::cli::Args(rest, c->switches));
}
