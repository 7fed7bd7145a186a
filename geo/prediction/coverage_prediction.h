// Coverage everywhere (docs/prediction.md): for one operator and technology, the path-loss model
// calibrated to the measured cells (propagation.h), the residuals kriged (kriging.h), and per cell
// the predicted level, its standard deviation σ and P(good) = Φ((predicted − good threshold) / σ).
// Then the grid an analysis finds gaps in: measured cells (>= min_samples samples) keep their
// binned class exactly (hybrid), every other cell of the analysed area is classed from the
// prediction and marked predicted; the predicted method classes every cell from the prediction.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "geo/base/status.h"
#include "geo/grid/coverage_grid.h"
#include "geo/model/gap.h"
#include "geo/prediction/kriging.h"
#include "geo/prediction/propagation.h"

namespace covgap::geo::prediction {

// σ of an uncalibrated prediction (no measurement of the group at all): the log-normal
// shadowing spread usually quoted with Hata-type models.
inline constexpr double kUncalibratedSigmaDb = 8.0;
// Added (in quadrature) to every kriged σ: what the kriging variance does not see — the
// uncertainty of the fitted path-loss parameters and of the variogram itself. Without it a
// field whose residuals look like pure noise would claim σ = 0 away from the data.
inline constexpr double kSigmaFloorDb = 1.0;
// Median of n samples with sd τ: variance ≈ π/2 · τ²/n.
inline constexpr double kMedianVarianceFactor = 1.5707963267948966;

// Standard normal CDF.
double NormalCdf(double z);
// P(level >= threshold) for a normal estimate (mean, sigma); sigma 0 gives 0 or 1.
double ProbabilityAtLeast(double mean, double sigma, double threshold);

// The cells to predict: every cell of the analysis grid whose centre lies inside the areas of
// the highest level imported (province, else districts, else communes), sorted by CellKey.
// FailedPrecondition when no area is imported; InvalidArgument for a bad CRS or cell size.
StatusOr<std::vector<std::uint64_t>> AreaCells(const std::vector<AdminArea>& areas,
                                               const AnalysisParams& params);

struct PredictionOptions {
  FitOptions fit;
  KrigingOptions kriging;
  double weight_n0 = 2;                // a measured cell weighs n / (n + n0) in the path-loss fit
  std::size_t min_fit_points = 10;     // fewer measured cells: the textbook model
  std::size_t max_fit_points = 60000;  // the path-loss fit uses an even subsample beyond this
};

// What the calibration found for one group (for the run's record, validation and docs).
struct ModelSummary {
  std::string operator_id;
  Technology tech = Technology::kLte;
  std::uint64_t sites = 0;
  std::uint64_t fit_points = 0;  // measured cells (>= 1 sample) the model was fitted to
  bool calibrated = false;
  double intercept_db = 0, slope_db = 0;  // a, b
  std::uint32_t sites_with_offset = 0;
  double residual_sd_db = 0;     // robust sd of measured − model
  double within_cell_sd_db = 0;  // τ: pooled sd of samples around their cell's level
  Variogram variogram;
  double micro_nugget = 0;
};

// The prediction of one group at target cells (sorted CellKeys).
struct GroupPrediction {
  ModelSummary model;
  std::vector<std::uint64_t> keys;  // sorted by CellKey
  std::vector<float> model_dbm;     // calibrated path-loss model alone
  std::vector<float> dbm;           // model + kriged residual
  std::vector<float> sigma_db;
  // Index of `key` in keys, or -1.
  std::int64_t Find(std::uint64_t key) const;
};

// The fitted model of one group (no prediction yet): calibration, residual variogram and the
// kriging of the residuals, from the grid's cells with >= 1 sample. `layout` must outlive it.
class GroupModel {
 public:
  static StatusOr<GroupModel> Fit(const CoverageGrid& grid, const SiteLayout& layout,
                                  const AnalysisParams& params, const PredictionOptions& options);
  // The textbook model, fitted to nothing (the validation baseline): a = b = c = 0, no kriging,
  // σ = `sigma_db`.
  static GroupModel Textbook(const SiteLayout& layout, const std::string& operator_id,
                             Technology tech, double sigma_db = kUncalibratedSigmaDb);

  GroupModel(GroupModel&&) noexcept;
  GroupModel& operator=(GroupModel&&) noexcept;
  ~GroupModel();

  const ModelSummary& summary() const { return summary_; }
  const Calibration& calibration() const { return calibration_; }
  // Predicts at the centres of the cells `keys` (sorted CellKeys) of the grid with cell size s.
  GroupPrediction Predict(std::vector<std::uint64_t> keys, double cell_size_m,
                          unsigned threads) const;

 private:
  GroupModel() = default;
  const SiteLayout* layout_ = nullptr;
  ModelSummary summary_;
  Calibration calibration_;
  double prior_sd_ = kUncalibratedSigmaDb;
  // Residual data (kept for the kriging, which refers to them).
  std::vector<double> x_, y_, r_, noise_;
  std::unique_ptr<ResidualKriging> kriging_;
};

// The grid gaps are found in, for method hybrid or predicted (see the file comment). Cells are
// sorted by CellKey; measured cells keep their values; predicted cells keep the samples they have
// (fewer than min_samples), median = predicted level, evidence predicted, p_good from the
// prediction. Measured cells' p_good: P(median >= good) with σ² = π/2 · τ²/n.
CoverageGrid ComposeGrid(const CoverageGrid& binned, const GroupPrediction& prediction,
                         AnalysisMethod method, const AnalysisParams& params);

}  // namespace covgap::geo::prediction
