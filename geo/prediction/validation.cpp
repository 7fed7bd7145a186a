#include "geo/prediction/validation.h"

#include <cmath>

#include "geo/prediction/hybrid_grids.h"

namespace covgap::geo::prediction {
namespace {

double Ratio(std::uint64_t a, std::uint64_t b) {
  return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
}

std::uint64_t Mix(std::uint64_t z) {  // splitmix64 finaliser
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

struct Accumulator {
  ValidationMetrics m;
  double se = 0, e = 0;
  std::uint64_t in1 = 0, in2 = 0;
  void Add(double predicted, double sigma, double measured, CellClass measured_class,
           Thresholds t) {
    const double d = predicted - measured;
    ++m.cells;
    se += d * d;
    e += d;
    in1 += std::fabs(d) <= sigma;
    in2 += std::fabs(d) <= 2 * sigma;
    const bool pd = predicted < t.dead_dbm, md = measured_class == CellClass::kDead;
    const bool png = predicted < t.good_dbm, mng = measured_class != CellClass::kGood;
    m.dead_predicted += pd;
    m.dead_measured += md;
    m.dead_hit += pd && md;
    m.notgood_predicted += png;
    m.notgood_measured += mng;
    m.notgood_hit += png && mng;
  }
  ValidationMetrics Done() {
    if (m.cells > 0) {
      const double n = static_cast<double>(m.cells);
      m.rmse_db = std::sqrt(se / n);
      m.bias_db = e / n;
      m.within_1sigma = static_cast<double>(in1) / n;
      m.within_2sigma = static_cast<double>(in2) / n;
    }
    return m;
  }
};

}  // namespace

double ValidationMetrics::dead_precision() const { return Ratio(dead_hit, dead_predicted); }
double ValidationMetrics::dead_recall() const { return Ratio(dead_hit, dead_measured); }
double ValidationMetrics::notgood_precision() const {
  return Ratio(notgood_hit, notgood_predicted);
}
double ValidationMetrics::notgood_recall() const { return Ratio(notgood_hit, notgood_measured); }

int FoldOf(std::int32_t ix, std::int32_t iy, double cell_size_m, double block_km, int folds) {
  const double b = block_km * 1000.0;
  const auto bx = static_cast<std::int64_t>(std::floor((ix + 0.5) * cell_size_m / b));
  const auto by = static_cast<std::int64_t>(std::floor((iy + 0.5) * cell_size_m / b));
  const std::uint64_t h =
      Mix(static_cast<std::uint64_t>(bx) * 0x100000001b3ull ^ Mix(static_cast<std::uint64_t>(by)));
  return static_cast<int>(h % static_cast<std::uint64_t>(folds));
}

StatusOr<GroupValidation> ValidateGroup(const CoverageGrid& grid, const std::vector<Site>& sites,
                                        const AnalysisParams& params,
                                        const ValidationOptions& options,
                                        std::vector<HeldOutCell>* detail) {
  if (options.folds < 2 || options.folds > 20) {
    return InvalidArgument("--folds must be 2 … 20, not " + std::to_string(options.folds));
  }
  if (!(options.block_km > 0) || options.block_km > 100) {
    return InvalidArgument("--block-km must be more than 0 and at most 100");
  }
  GroupValidation out;
  out.operator_id = grid.operator_id;
  out.tech = grid.tech;
  out.sites = sites.size();
  auto layout = SiteLayout::Build(sites, params.analysis_crs);
  if (!layout.ok()) return layout.status();
  const Thresholds t = params.ThresholdsFor(grid.tech);
  const double s = params.cell_size_m;
  std::vector<int> fold(grid.cells.size());
  for (std::size_t i = 0; i < grid.cells.size(); ++i) {
    fold[i] = FoldOf(grid.cells[i].ix, grid.cells[i].iy, s, options.block_km, options.folds);
  }
  Accumulator model, baseline;
  for (int f = 0; f < options.folds; ++f) {
    // Training grid: the other folds' cells and their samples only.
    CoverageGrid train;
    train.operator_id = grid.operator_id;
    train.tech = grid.tech;
    std::vector<std::uint64_t> held;
    std::vector<std::size_t> held_index;
    for (std::size_t i = 0; i < grid.cells.size(); ++i) {
      const GridCell& c = grid.cells[i];
      if (c.n == 0) continue;
      if (fold[i] == f) {
        held.push_back(CellKey(c.ix, c.iy));
        held_index.push_back(i);
        continue;
      }
      GridCell copy = c;
      copy.first = static_cast<std::uint32_t>(train.values.size());
      const auto v = grid.ValuesOf(c);
      train.values.insert(train.values.end(), v.begin(), v.end());
      train.cells.push_back(copy);
    }
    if (held.empty()) continue;
    out.held_out_cells += held.size();
    auto fitted = GroupModel::Fit(train, *layout.value(), params, options.prediction);
    if (!fitted.ok()) return fitted.status();
    // Baseline σ: the textbook model's RMSE on the training cells.
    double se = 0;
    std::size_t ne = 0;
    const Calibration textbook;
    for (const GridCell& c : train.cells) {
      const Server sv = layout.value()->Best((c.ix + 0.5) * s, (c.iy + 0.5) * s, textbook);
      se += (sv.dbm - c.median) * (sv.dbm - c.median);
      ++ne;
    }
    const double base_sigma =
        ne > 0 ? std::sqrt(se / static_cast<double>(ne)) : kUncalibratedSigmaDb;
    const GroupModel base =
        GroupModel::Textbook(*layout.value(), grid.operator_id, grid.tech, base_sigma);
    const GroupPrediction p = fitted.value().Predict(held, s, params.threads);
    const GroupPrediction b = base.Predict(held, s, params.threads);
    const double tau2 =
        fitted.value().summary().within_cell_sd_db * fitted.value().summary().within_cell_sd_db;
    for (std::size_t k = 0; k < held.size(); ++k) {
      const GridCell& c = grid.cells[held_index[k]];
      if (detail) {
        detail->push_back(
            {held[k], f, c.n, c.median, p.dbm[k], p.sigma_db[k], b.dbm[k], b.sigma_db[k]});
      }
      if (c.cls == CellClass::kUnmeasured) continue;  // fewer than min_samples: not scored
      const double noise = kMedianVarianceFactor * tau2 / static_cast<double>(c.n);
      model.Add(p.dbm[k], std::sqrt(p.sigma_db[k] * p.sigma_db[k] + noise), c.median, c.cls, t);
      baseline.Add(b.dbm[k], std::sqrt(b.sigma_db[k] * b.sigma_db[k] + noise), c.median, c.cls, t);
    }
  }
  out.model = model.Done();
  out.baseline = baseline.Done();
  return out;
}

StatusOr<std::vector<GroupValidation>> ValidatePrediction(const std::vector<CoverageGrid>& grids,
                                                          const std::vector<Site>& sites,
                                                          const AnalysisParams& params,
                                                          const ValidationOptions& options) {
  std::vector<GroupValidation> out;
  for (const CoverageGrid& g : grids) {
    const std::vector<Site> own = SitesOf(sites, g.operator_id, g.tech);
    if (own.empty()) continue;
    auto v = ValidateGroup(g, own, params, options);
    if (!v.ok()) return v.status();
    out.push_back(std::move(v.value()));
  }
  return out;
}

}  // namespace covgap::geo::prediction
