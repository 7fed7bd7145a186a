// covgap analyse: run the reference binned analysis on covgapd, with a progress bar, and print
// the per-grid class counts, gap counts and stage timings.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "covgap/v1/gaps.grpc.pb.h"
#include "geo/gap_attribution.h"
#include "geo/measurement.h"
#include "geo/time_format.h"
#include "server/api/conversions.h"
#include "server/cli/commands.h"
#include "server/cli/progress.h"

namespace covgap::cli {

const char* const kAnalyseHelp = R"(Usage: covgap [--server HOST:PORT] analyse [options]

Runs the reference "binned" gap analysis on the measurements stored in covgapd (docs/gaps.md):
per operator and technology, cells of the analysis grid are classed good/weak/dead by their
median signal, and 4-connected regions of weak and dead cells become gaps; common gaps are where
no operator that measured a cell covers it. Gaps are attributed to province/district/commune,
joined with schools and households, scored and ranked. The run replaces the previous one.

Options:
  --method binned            the analysis method (default binned)
  --cell-size M              cell size in metres (default 100)
  --min-samples N            samples a cell needs to be classed (default 3)
  --threshold TECH=GOOD:DEAD e.g. LTE=-105:-115 (repeatable; defaults LTE/NR -105:-115,
                             UMTS/GSM -95:-105)
  --window-days D            evidence window in days before --as-of (default 365; 0 = no limit)
  --as-of TIME               ISO 8601 time the window counts back from (default now)
  --min-area M2              drop gaps smaller than this (default 0)
  --crs CRS                  analysis CRS (default EPSG:32648, UTM 48N)
  --tile-cells N             partitioned analysis: tiles of N x N cells computed independently
                             and merged at their borders; the same gaps (default 0 = one piece)
  --weights FILE             ranking weights for this run, `key = value` lines (docs/gaps.md
                             "Ranking"); on top of covgapd's --ranking-weights
  --weight KEY=VALUE         one ranking weight (repeatable; after --weights), e.g.
                             --weight covid_orphan=4
  --json                     print one JSON document
)";

int RunAnalyse(const GlobalOptions& options, const Args& args) {
  if (std::string bad =
          args.Unknown({"method", "cell-size", "min-samples", "threshold", "window-days", "as-of",
                        "min-area", "crs", "json", "weights", "weight", "tile-cells"});
      !bad.empty() || !args.positional().empty()) {
    std::fprintf(stderr, "covgap analyse: unexpected argument %s\n\n%s",
                 bad.empty() ? args.positional()[0].c_str() : bad.c_str(), kAnalyseHelp);
    return kExitUsage;
  }
  const bool json = options.json || args.Has("json");
  v1::RunAnalysisRequest request;
  request.set_method(args.Get("method", "binned"));
  try {
    if (args.Has("cell-size")) request.set_cell_size_m(std::stod(args.Get("cell-size")));
    if (args.Has("min-samples")) request.set_min_samples(std::stoi(args.Get("min-samples")));
    if (args.Has("window-days")) request.set_window_days(std::stoi(args.Get("window-days")));
    if (args.Has("min-area")) request.set_min_area_m2(std::stod(args.Get("min-area")));
    if (args.Has("tile-cells")) request.set_tile_cells(std::stoi(args.Get("tile-cells")));
  } catch (const std::exception&) {
    std::fprintf(stderr, "covgap analyse: a numeric option has a value that is not a number\n");
    return kExitUsage;
  }
  request.set_analysis_crs(args.Get("crs"));
  if (args.Has("as-of")) {
    auto t = geo::ParseIso8601(args.Get("as-of"));
    if (!t) {
      std::fprintf(stderr, "covgap analyse: --as-of '%s' is not ISO 8601\n",
                   args.Get("as-of").c_str());
      return kExitUsage;
    }
    request.set_as_of_unix_ms(*t);
  }
  for (const std::string& spec : args.GetAll("threshold")) {
    const auto eq = spec.find('='), colon = spec.find(':');
    auto tech = eq == std::string::npos ? std::nullopt : geo::ParseTechnology(spec.substr(0, eq));
    if (!tech || colon == std::string::npos || colon < eq) {
      std::fprintf(stderr, "covgap analyse: --threshold '%s' is not TECH=GOOD:DEAD\n",
                   spec.c_str());
      return kExitUsage;
    }
    auto* t = request.add_thresholds();
    t->set_tech(api::ToProto(*tech));
    t->set_good_dbm(std::atoi(spec.substr(eq + 1, colon - eq - 1).c_str()));
    t->set_dead_dbm(std::atoi(spec.substr(colon + 1).c_str()));
  }

  if (args.Has("weights")) {
    const std::string path = args.Get("weights");
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      std::fprintf(stderr, "covgap analyse: --weights %s: cannot read the file\n", path.c_str());
      return kExitUsage;
    }
    auto lines =
        geo::ParseRankingWeightLines(std::string(std::istreambuf_iterator<char>(file), {}));
    if (!lines.ok()) {
      std::fprintf(stderr, "covgap analyse: --weights %s: %s\n", path.c_str(),
                   lines.status().message().c_str());
      return kExitUsage;
    }
    for (const auto& [key, value] : lines.value())
      (*request.mutable_ranking_weights())[key] = value;
  }
  for (const std::string& spec : args.GetAll("weight")) {
    auto lines = geo::ParseRankingWeightLines(spec);
    if (!lines.ok() || lines->size() != 1) {
      std::fprintf(stderr, "covgap analyse: --weight '%s': %s\n", spec.c_str(),
                   lines.ok() ? "give one KEY=VALUE"
                              : lines.status().message().substr(8).c_str());  // no "line 1: "
      return kExitUsage;
    }
    (*request.mutable_ranking_weights())[lines->front().first] = lines->front().second;
  }

  auto channel = ConnectOrReport(options);
  if (!channel) return kExitUnreachable;
  auto stub = v1::AnalysisService::NewStub(channel);
  grpc::ClientContext context;
  Authorize(context, options);
  auto reader = stub->RunAnalysis(&context, request);
  ProgressBar progress(!json);
  v1::AnalysisProgress message;
  v1::AnalysisRunInfo run;
  while (reader->Read(&message)) {
    progress.Update(message.stage(), static_cast<std::uint64_t>(message.fraction() * 1000), 1000,
                    0);
    if (message.has_run()) run = message.run();
  }
  progress.Finish();
  const grpc::Status status = reader->Finish();
  if (!status.ok()) {
    std::fprintf(stderr, "covgap analyse: %s\n", DescribeRpcError(status, options).c_str());
    return ExitCodeFor(status);
  }
  if (json) {
    JsonWriter j;
    j.BeginObject().Key("run_id").Number(run.run_id());
    j.Key("measurements").Number(run.measurements()).Key("gaps").Number(run.gaps());
    j.Key("seconds").Number(static_cast<double>(run.finished_unix_ms() - run.started_unix_ms()) /
                            1000.0);
    j.Key("grids").BeginArray();
    for (const auto& g : run.grids()) {
      const auto tech = api::FromProto(g.tech());
      j.BeginObject().Key("operator").String(g.operator_id());
      j.Key("kind").String(g.operator_id().empty() ? "common" : "operator");
      j.Key("tech").String(tech ? geo::ToString(*tech) : "?");
      j.Key("samples").Number(g.samples()).Key("good").Number(g.good_cells());
      j.Key("weak").Number(g.weak_cells()).Key("dead").Number(g.dead_cells());
      j.Key("unmeasured").Number(g.unmeasured_cells()).Key("gaps").Number(g.gaps());
      j.EndObject();
    }
    j.EndArray().Key("stages").BeginObject();
    for (const auto& s : run.stages()) j.Key(s.stage()).Number(s.seconds());
    j.EndObject().EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  std::printf("analysis %lld: %s measurements, %s gaps in %.2f s\n",
              static_cast<long long>(run.run_id()), Thousands(run.measurements()).c_str(),
              Thousands(run.gaps()).c_str(),
              static_cast<double>(run.finished_unix_ms() - run.started_unix_ms()) / 1000.0);
  std::printf("  %-10s %-5s %10s %8s %7s %7s %10s %6s\n", "operator", "tech", "samples", "good",
              "weak", "dead", "unmeasured", "gaps");
  for (const auto& g : run.grids()) {
    const auto tech = api::FromProto(g.tech());
    std::printf("  %-10s %-5s %10s %8s %7s %7s %10s %6s\n",
                g.operator_id().empty() ? "(common)" : g.operator_id().c_str(),
                std::string(tech ? geo::ToString(*tech) : "?").c_str(),
                Thousands(g.samples()).c_str(), Thousands(g.good_cells()).c_str(),
                Thousands(g.weak_cells()).c_str(), Thousands(g.dead_cells()).c_str(),
                Thousands(g.unmeasured_cells()).c_str(), Thousands(g.gaps()).c_str());
  }
  std::printf("  stages:");
  for (const auto& s : run.stages()) std::printf(" %s %.3f s", s.stage().c_str(), s.seconds());
  std::printf("\n");
  return kExitOk;
}

}  // namespace covgap::cli
