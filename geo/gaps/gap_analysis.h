// One analysis run of the reference binned method, end to end and in plain C++: measurements ->
// coverage grids -> operator and common gaps -> areas, schools, households -> score and rank.
// The caller feeds measurements through a source callback (the store's scan in covgapd, arrays
// in tests and benchmarks) and gets the gaps plus per-stage timings and per-grid class counts.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geo/base/status.h"
#include "geo/gaps/gap_attribution.h"
#include "geo/gaps/school_coverage.h"
#include "geo/grid/coverage_grid.h"
#include "geo/model/gap.h"
#include "geo/model/site.h"
#include "geo/prediction/coverage_prediction.h"

namespace covgap::geo {

// Calls `visit` for every stored measurement block; returns the scan's status.
using MeasurementSource =
    std::function<Status(const std::function<void(const MeasurementBlock&)>& visit)>;
// Progress: a stage name and the fraction of the whole run done (0..1). Returning false cancels
// the run at that point (RunGapAnalysis then returns Cancelled).
using ProgressCallback = std::function<bool(std::string_view stage, double fraction)>;

struct AnalysisInputs {
  std::vector<AdminArea> areas;
  std::vector<School> schools;
  std::vector<Household> households;
  std::vector<Site> sites;  // predicted and hybrid methods (docs/prediction.md)
};

struct GridSummary {
  std::string operator_id;  // "" for the merged grid of common gaps
  Technology tech = Technology::kLte;
  std::uint64_t samples = 0;
  std::uint64_t good = 0, weak = 0, dead = 0, unmeasured = 0;  // cells per class
  std::uint64_t gaps = 0;
};

struct StageTiming {
  std::string stage;
  double seconds = 0;
};

struct AnalysisResult {
  std::vector<Gap> gaps;  // operator gaps first, then common gaps; ranked
  std::vector<GridSummary> grids;
  std::vector<StageTiming> stages;
  GridStats grid_stats;
  // Per school and operator grid (docs/gaps.md "Schools"): school-major, grids in the order of
  // `grids` (operator grids only).
  std::vector<SchoolCoverage> schools;
  // Predicted and hybrid methods: the calibrated model of every group with sites.
  std::vector<prediction::ModelSummary> models;
};

StatusOr<AnalysisResult> RunGapAnalysis(const MeasurementSource& source,
                                        const AnalysisInputs& inputs, const AnalysisParams& params,
                                        const RankingWeights& weights = {},
                                        const ProgressCallback& progress = {});

// The binned grids of every (operator, technology) group (steps 1–5), e.g. for validation.
StatusOr<std::vector<CoverageGrid>> BuildBinnedGrids(const MeasurementSource& source,
                                                     const AnalysisParams& params,
                                                     GridStats* stats = nullptr);

// The grids a predicted or hybrid analysis finds gaps in, with their predictions, without the
// gaps (coverage rasters, campaigns): grids[i] is composed where predictions[i] is set.
struct CoverageResult {
  std::vector<CoverageGrid> grids;
  std::vector<std::optional<prediction::GroupPrediction>> predictions;
  std::vector<prediction::ModelSummary> models;
  GridStats grid_stats;
};
StatusOr<CoverageResult> BuildCoverage(const MeasurementSource& source,
                                       const AnalysisInputs& inputs, const AnalysisParams& params);

}  // namespace covgap::geo
