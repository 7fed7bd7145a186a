#include "server/prediction_jobs.h"

#include <unistd.h>

#include <atomic>
#include <chrono>

#include "geo/base/log.h"
#include "geo/gaps/gap_analysis.h"
#include "geo/prediction/hybrid_grids.h"
#include "server/analysis_inputs.h"

namespace covgap::server {
namespace {

Status PrepareMethod(geo::AnalysisParams& params, bool method_given, std::string_view what) {
  if (!method_given) params.method = geo::AnalysisMethod::kHybrid;
  if (params.method == geo::AnalysisMethod::kBinned) {
    return InvalidArgument(std::string(what) +
                           " needs the prediction: use --method hybrid or predicted (binned "
                           "predicts nothing)");
  }
  if (params.tile_cells > 0) {
    return InvalidArgument("the prediction runs in one piece: leave --tile-cells out");
  }
  return Status::Ok();
}

// The operator the job is about: an operator token's own; the authority's and viewers' choice.
StatusOr<std::string> ResolveOperator(const std::string& caller_operator,
                                      const std::string& operator_id, bool required) {
  if (!caller_operator.empty()) {
    if (!operator_id.empty() && operator_id != caller_operator) {
      return PermissionDenied("not_your_operator: the token of operator " + caller_operator +
                              " may only ask about " + caller_operator + ", not " + operator_id);
    }
    return caller_operator;
  }
  if (required && operator_id.empty()) {
    return InvalidArgument("name the operator (--operator OP, e.g. --operator viettel)");
  }
  return operator_id;
}

std::vector<geo::Site> SelectSites(const std::vector<geo::Site>& sites, const std::string& op,
                                   std::optional<geo::Technology> tech) {
  std::vector<geo::Site> out;
  for (const geo::Site& s : sites) {
    if ((op.empty() || s.operator_id == op) && (!tech || s.tech == *tech)) out.push_back(s);
  }
  return out;
}

std::string Describe(const std::string& op, std::optional<geo::Technology> tech) {
  std::string text = op.empty() ? "any operator" : op;
  if (tech) text += " " + std::string(geo::ToString(*tech));
  return text;
}

Status Busy() {
  return ResourceExhausted("a validation, campaign or raster is running; try again when it ends");
}

Status NoSites(const std::string& op, std::optional<geo::Technology> tech) {
  return FailedPrecondition("no sites of " + Describe(op, tech) +
                            " are imported: run `covgap import sites FILE` first");
}

}  // namespace

StatusOr<PredictionJobs::Prepared> PredictionJobs::PredictCoverage(
    const geo::AnalysisParams& params, const std::string& op, std::optional<geo::Technology> tech) {
  if (Status s = CheckOperator(store_, op); !s.ok()) return s;
  auto inputs = LoadAnalysisInputs(store_);
  if (!inputs.ok()) return inputs.status();
  inputs->sites = SelectSites(inputs->sites, op, tech);
  if (inputs->sites.empty()) return NoSites(op, tech);
  auto coverage = geo::BuildCoverage(StoredMeasurements(store_, params), inputs.value(), params);
  if (!coverage.ok()) return coverage.status();
  return Prepared{std::move(inputs.value()), std::move(coverage.value())};
}

StatusOr<geo::prediction::ValidationReport> PredictionJobs::Validate(
    const std::string& caller_operator, geo::AnalysisParams params, bool method_given,
    const geo::prediction::ValidationOptions& options, const std::string& operator_id,
    std::optional<geo::Technology> tech) {
  const auto started = std::chrono::steady_clock::now();
  if (Status s = PrepareMethod(params, method_given, "validation"); !s.ok()) return s;
  auto op = ResolveOperator(caller_operator, operator_id, /*required=*/false);
  if (!op.ok()) return op.status();
  std::unique_lock lock(busy_, std::try_to_lock);
  if (!lock.owns_lock()) return Busy();
  params.threads = threads_;
  auto sites = store_.Sites();
  if (!sites.ok()) return sites.status();
  std::vector<geo::Site> chosen = SelectSites(sites.value(), op.value(), tech);
  if (chosen.empty()) return NoSites(op.value(), tech);

  geo::GridStats stats;
  auto grids = geo::BuildBinnedGrids(StoredMeasurements(store_, params), params, &stats);
  if (!grids.ok()) return grids.status();
  std::vector<geo::CoverageGrid> wanted;
  for (auto& g : grids.value()) {
    if ((op->empty() || g.operator_id == op.value()) && (!tech || g.tech == *tech)) {
      wanted.push_back(std::move(g));
    }
  }
  geo::prediction::ValidationOptions opts = options;
  auto groups = geo::prediction::ValidatePrediction(wanted, chosen, params, opts);
  if (!groups.ok()) return groups.status();
  if (groups->empty()) {
    return FailedPrecondition("no operator and technology of " + Describe(op.value(), tech) +
                              " has both sites and measurements in the evidence window: ingest "
                              "drive tests, or widen --window-days");
  }
  geo::prediction::ValidationReport report;
  report.groups = std::move(groups.value());
  report.options = options;
  report.method = params.method;
  report.measurements = stats.in_window;
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  LogInfo("validation of " + Describe(op.value(), tech) + ": " +
          std::to_string(report.groups.size()) + " groups, " + std::to_string(opts.folds) +
          " folds of " + std::to_string(opts.block_km) + " km blocks in " +
          std::to_string(report.seconds) + " s");
  return report;
}

StatusOr<geo::prediction::CampaignPlan> PredictionJobs::Campaign(
    const std::string& caller_operator, geo::AnalysisParams params, bool method_given,
    const geo::prediction::CampaignOptions& options, const std::string& operator_id,
    std::optional<geo::Technology> tech) {
  if (Status s = PrepareMethod(params, method_given, "a campaign"); !s.ok()) return s;
  auto op = ResolveOperator(caller_operator, operator_id, /*required=*/true);
  if (!op.ok()) return op.status();
  std::unique_lock lock(busy_, std::try_to_lock);
  if (!lock.owns_lock()) return Busy();
  params.threads = threads_;
  auto prepared = PredictCoverage(params, op.value(), tech);
  if (!prepared.ok()) return prepared.status();
  const auto& [inputs, coverage] = prepared.value();
  std::vector<const geo::CoverageGrid*> grids;
  std::vector<const geo::prediction::GroupPrediction*> predictions;
  for (std::size_t i = 0; i < coverage.grids.size(); ++i) {
    const geo::CoverageGrid& g = coverage.grids[i];
    if (g.operator_id != op.value() || (tech && g.tech != *tech)) continue;
    if (!coverage.predictions[i]) continue;
    grids.push_back(&g);
    predictions.push_back(&*coverage.predictions[i]);
  }
  if (grids.empty()) return NoSites(op.value(), tech);
  return geo::prediction::PlanCampaign(op.value(), grids, predictions, inputs.schools,
                                       inputs.households, inputs.areas, params, options);
}

StatusOr<RasterFile> PredictionJobs::Raster(const std::string& caller_operator,
                                            geo::AnalysisParams params, bool method_given,
                                            const std::string& operator_id,
                                            std::optional<geo::Technology> tech,
                                            geo::prediction::RasterLayer layer,
                                            const std::string& target_crs) {
  if (Status s = PrepareMethod(params, method_given, "a coverage raster"); !s.ok()) return s;
  auto op = ResolveOperator(caller_operator, operator_id, /*required=*/true);
  if (!op.ok()) return op.status();
  if (!tech) return InvalidArgument("name the technology (--tech LTE, UMTS, NR or GSM)");
  std::unique_lock lock(busy_, std::try_to_lock);
  if (!lock.owns_lock()) return Busy();
  params.threads = threads_;
  auto prepared = PredictCoverage(params, op.value(), tech);
  if (!prepared.ok()) return prepared.status();
  const auto& [inputs, coverage] = prepared.value();
  for (std::size_t i = 0; i < coverage.grids.size(); ++i) {
    const geo::CoverageGrid& g = coverage.grids[i];
    if (g.operator_id != op.value() || g.tech != *tech || !coverage.predictions[i]) continue;
    static std::atomic<std::uint64_t> counter{0};
    RasterFile file;
    file.path = scratch_dir_ + "/raster-" + std::to_string(::getpid()) + "-" +
                std::to_string(++counter) + ".tif";
    file.file_name = "covgap-" + op.value() + "-" + std::string(geo::ToString(*tech)) + "-" +
                     std::string(geo::prediction::ToString(layer)) + ".tif";
    if (Status s = geo::prediction::WriteCoverageRaster(g, *coverage.predictions[i], layer, params,
                                                        target_crs, file.path);
        !s.ok()) {
      std::remove(file.path.c_str());
      return s;
    }
    return file;
  }
  return NoSites(op.value(), tech);
}

}  // namespace covgap::server
