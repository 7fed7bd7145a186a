// Honest validation of the prediction (docs/prediction.md "Validation"): spatial block
// cross-validation. The analysis grid is cut into square blocks of block_km; every block goes to
// one of `folds` folds (a fixed hash of its index, so a run is reproducible). For each fold the
// model — calibration, variogram, kriging — is fitted to the cells of the other folds only and
// predicts the held-out fold's cells; nothing of a held-out cell (its samples, its median, its
// within-cell spread) reaches the fit that predicts it. Scored are the held-out cells with at least
// min_samples samples (the cells whose measured class the binned method trusts):
//   RMSE and bias (predicted − measured median) in dB;
//   calibration: the share of held-out medians within ±1σ and ±2σ, σ² = σ_pred² + π/2·τ²/n
//   (a calibrated σ gives about 68 % and 95 %);
//   precision and recall of predicted dead (< dead threshold) and not-good (< good threshold)
//   cells against the measured class.
// The baseline is the same path-loss formula with textbook parameters (uncalibrated, no
// kriging), its σ the RMSE of the textbook model on the training cells of the fold.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "geo/grid/coverage_grid.h"
#include "geo/model/gap.h"
#include "geo/model/site.h"
#include "geo/prediction/coverage_prediction.h"

namespace covgap::geo::prediction {

struct ValidationOptions {
  int folds = 5;        // 2 … 20
  double block_km = 2;  // > 0; blocks larger than the residual correlation keep folds honest
  PredictionOptions prediction;
};

struct ValidationMetrics {
  std::uint64_t cells = 0;  // held-out cells scored
  double rmse_db = 0;
  double bias_db = 0;        // mean of predicted − measured
  double within_1sigma = 0;  // share, 0 … 1
  double within_2sigma = 0;
  // Class detection; NaN-free: 0 when there is nothing to count.
  std::uint64_t dead_measured = 0, dead_predicted = 0, dead_hit = 0;
  std::uint64_t notgood_measured = 0, notgood_predicted = 0, notgood_hit = 0;
  double dead_precision() const;
  double dead_recall() const;
  double notgood_precision() const;
  double notgood_recall() const;
};

struct GroupValidation {
  std::string operator_id;
  Technology tech = Technology::kLte;
  std::uint64_t sites = 0;
  std::uint64_t held_out_cells = 0;  // with >= 1 sample, over all folds
  ValidationMetrics model;           // calibrated path loss + kriging (what hybrid predicts there)
  ValidationMetrics baseline;        // textbook path loss
};

// What PredictionService.Validate answers: the groups asked for, with the options they were
// scored with.
struct ValidationReport {
  std::vector<GroupValidation> groups;
  ValidationOptions options;
  AnalysisMethod method = AnalysisMethod::kHybrid;
  std::uint64_t measurements = 0;  // in the evidence window
  double seconds = 0;
};

// One held-out cell's prediction (for tests and --json detail).
struct HeldOutCell {
  std::uint64_t key = 0;
  int fold = 0;
  std::uint32_t n = 0;
  double measured = 0;  // the cell's median
  double predicted = 0, sigma = 0;
  double baseline = 0, baseline_sigma = 0;
};

// The fold of the block holding cell (ix, iy).
int FoldOf(std::int32_t ix, std::int32_t iy, double cell_size_m, double block_km, int folds);

// Cross-validates one group: `grid` its binned grid, `sites` its sites. Fails for bad options.
StatusOr<GroupValidation> ValidateGroup(const CoverageGrid& grid, const std::vector<Site>& sites,
                                        const AnalysisParams& params,
                                        const ValidationOptions& options,
                                        std::vector<HeldOutCell>* detail = nullptr);

// Every group that has both measurements and sites, in grid order.
StatusOr<std::vector<GroupValidation>> ValidatePrediction(const std::vector<CoverageGrid>& grids,
                                                          const std::vector<Site>& sites,
                                                          const AnalysisParams& params,
                                                          const ValidationOptions& options);

}  // namespace covgap::geo::prediction
