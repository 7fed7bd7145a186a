// covgap: the command-line client of covgapd. Parses the global options, dispatches to a command.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "server/cli/commands.h"

namespace {

constexpr const char* kUsage = R"(covgap - command-line client of covgapd (mobile-coverage gaps).

Usage: covgap [--server HOST:PORT] [--connect-timeout S] [--json] COMMAND [ARGS]

Commands:
  ingest FILE...   stream measurement CSV files to covgapd
  stats            measurement counts per operator and technology
  import KIND FILE import areas (boundaries), schools or households
  analyse          run the gap analysis (reference binned method)
  gaps             list the ranked gaps of the latest analysis
  gap GAP_ID       one gap in full
  export           write the gaps to a Shapefile, GeoPackage, GeoJSON, CSV or KML file
  help COMMAND     help on one command

Global options:
  --server HOST:PORT     covgapd's address (default $COVGAP_SERVER or 127.0.0.1:50051)
  --connect-timeout S    seconds to wait for covgapd to answer (default 5)
  --json                 print one machine-readable JSON document instead of tables
  -h, --help             this help

Exit status: 0 ok, 1 error (bad file, request refused), 2 bad command line,
3 covgapd unreachable or the connection broke off.
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
      {"gaps", covgap::cli::RunGaps, &covgap::cli::kGapsHelp, {"json"}},
      {"gap", covgap::cli::RunGap, &covgap::cli::kGapHelp, {"json"}},
      {"export", covgap::cli::RunExport, &covgap::cli::kExportHelp, {"json"}},
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
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "-h" || arg == "--help") && command.empty()) {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--server" || arg == "--connect-timeout") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "covgap: %s needs a value\n", arg.c_str());
        return covgap::cli::kExitUsage;
      }
      if (arg == "--server")
        options.server = argv[++i];
      else
        options.connect_timeout_s = std::atoi(argv[++i]);
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
  if (command == "help") {
    const Command* c = rest.empty() ? nullptr : Find(rest[0]);
    std::fputs(c ? *c->help : kUsage, stdout);
    return 0;
  }
  const Command* c = Find(command);
  if (c == nullptr) {
    std::fprintf(stderr, "covgap: unknown command '%s'\n\n%s", command.c_str(), kUsage);
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
