// covgap analyse: run the gap analysis (binned, predicted or hybrid) on covgapd, with a progress
// bar, and print the per-grid class counts, gap counts and stage timings.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "covgap/v1/gaps.grpc.pb.h"
#include "geo/base/time_format.h"
#include "geo/gaps/gap_attribution.h"
#include "geo/model/measurement.h"
#include "server/api/conversions.h"
#include "server/cli/analysis_options.h"
#include "server/cli/commands.h"
#include "server/cli/progress.h"

namespace covgap::cli {

namespace {
const std::string kHelpText = R"(Usage: covgap [--server HOST:PORT] analyse [options]

Runs the gap analysis on the measurements and sites stored in covgapd (docs/gaps.md,
docs/prediction.md): per operator and technology, cells of the analysis grid are classed
good/weak/dead by their median signal (binned) or by the calibrated prediction where a cell has
too few samples (hybrid), and 4-connected regions of weak and dead cells become gaps; common gaps
are where no operator covers a cell. Gaps are attributed to province/district/commune,
joined with schools and households, scored and ranked. The run replaces the previous one.

Options:
)" + std::string(kAnalysisOptionsHelp) +
                              R"(  --json                     print one JSON document
)";
}  // namespace

const char* const kAnalyseHelp = kHelpText.c_str();

int RunAnalyse(const GlobalOptions& options, const Args& args) {
  if (int e = ArgumentError("analyse", args, AnalysisOptionNames({"json"})); e) return e;
  const bool json = options.json || args.Has("json");
  v1::RunAnalysisRequest request;
  if (!ParseAnalysisOptions(args, "analyse", request)) return kExitUsage;

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
  if (!status.ok()) return RpcError("analyse", status, options);
  if (json) {
    JsonWriter j;
    j.BeginObject().Key("run_id").Number(run.run_id()).Key("method").String(run.method());
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
  std::printf("analysis %lld (%s): %s measurements, %s gaps in %.2f s\n",
              static_cast<long long>(run.run_id()), run.method().c_str(),
              Thousands(run.measurements()).c_str(), Thousands(run.gaps()).c_str(),
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
