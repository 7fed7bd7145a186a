#include "geo/prediction/hybrid_grids.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include "geo/spatial/point_projector.h"

namespace covgap::geo::prediction {

std::vector<Site> SitesOf(const std::vector<Site>& sites, const std::string& operator_id,
                          Technology tech) {
  std::vector<Site> out;
  for (const Site& s : sites) {
    if (s.operator_id == operator_id && s.tech == tech) out.push_back(s);
  }
  return out;
}

StatusOr<PredictedGrids> PredictGrids(std::vector<CoverageGrid>& grids,
                                      const std::vector<Site>& sites,
                                      const std::vector<AdminArea>& areas,
                                      const AnalysisParams& params,
                                      const PredictionOptions& options) {
  using Clock = std::chrono::steady_clock;
  auto area = AreaCells(areas, params);
  if (!area.ok()) return area.status();
  std::set<std::pair<std::string, Technology>> have;
  for (const CoverageGrid& g : grids) have.insert({g.operator_id, g.tech});
  std::set<std::pair<std::string, Technology>> site_groups;
  for (const Site& s : sites) site_groups.insert({s.operator_id, s.tech});
  for (const auto& [op, tech] : site_groups) {
    if (have.count({op, tech})) continue;
    CoverageGrid empty;
    empty.operator_id = op;
    empty.tech = tech;
    grids.push_back(std::move(empty));
  }
  PredictedGrids out;
  out.predictions.resize(grids.size());
  for (std::size_t g = 0; g < grids.size(); ++g) {
    const CoverageGrid& grid = grids[g];
    const std::vector<Site> own = SitesOf(sites, grid.operator_id, grid.tech);
    if (own.empty()) continue;
    const auto t0 = Clock::now();
    auto layout = SiteLayout::Build(own, params.analysis_crs);
    if (!layout.ok()) return layout.status();
    auto model = GroupModel::Fit(grid, *layout.value(), params, options);
    if (!model.ok()) return model.status();
    const auto t1 = Clock::now();
    std::vector<std::uint64_t> keys = area.value();
    std::vector<std::uint64_t> sampled;
    for (const GridCell& c : grid.cells) {
      if (c.n > 0) sampled.push_back(CellKey(c.ix, c.iy));
    }
    std::vector<std::uint64_t> all;
    all.reserve(keys.size() + sampled.size());
    std::set_union(keys.begin(), keys.end(), sampled.begin(), sampled.end(),
                   std::back_inserter(all));
    out.predictions[g] = model.value().Predict(std::move(all), params.cell_size_m, params.threads);
    out.models.push_back(model.value().summary());
    const auto t2 = Clock::now();
    out.fit_seconds += std::chrono::duration<double>(t1 - t0).count();
    out.predict_seconds += std::chrono::duration<double>(t2 - t1).count();
  }
  return out;
}

Status AddPredictedSchoolCoverage(std::vector<SchoolCoverage>& records,
                                  const std::vector<School>& schools,
                                  const std::vector<CoverageGrid>& composed,
                                  const std::vector<std::optional<GroupPrediction>>& predictions,
                                  const AnalysisParams& params) {
  if (schools.empty() || composed.empty()) return Status();
  auto projector = PointProjector::Create(params.analysis_crs);
  if (!projector.ok()) return projector.status();
  std::vector<double> x(schools.size()), y(schools.size());
  for (std::size_t i = 0; i < schools.size(); ++i) {
    x[i] = schools[i].lon;
    y[i] = schools[i].lat;
  }
  projector.value()->Project(x.data(), y.data(), x.data(), y.data(), schools.size());
  const double s = params.cell_size_m;
  for (std::size_t g = 0; g < composed.size(); ++g) {
    if (g >= predictions.size() || !predictions[g]) continue;
    const GroupPrediction& p = *predictions[g];
    const CoverageGrid& grid = composed[g];
    Thresholds indoor = params.ThresholdsFor(grid.tech);
    indoor.good_dbm += params.indoor_margin_db;
    indoor.dead_dbm += params.indoor_margin_db;
    for (std::size_t i = 0; i < schools.size(); ++i) {
      if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
      const double fx = std::floor(x[i] / s), fy = std::floor(y[i] / s);
      if (std::abs(fx) >= 2e9 || std::abs(fy) >= 2e9) continue;
      const auto ix = static_cast<std::int32_t>(fx), iy = static_cast<std::int32_t>(fy);
      const GridCell* cell = grid.Find(ix, iy);
      if (cell != nullptr && cell->evidence == Evidence::kMeasured) continue;
      const std::int64_t j = p.Find(CellKey(ix, iy));
      if (j < 0) continue;  // outside the analysed area, no sample
      SchoolCoverage& rec = records[i * composed.size() + g];
      const double dbm = p.dbm[static_cast<std::size_t>(j)];
      const double sigma = p.sigma_db[static_cast<std::size_t>(j)];
      rec.predicted_dbm = dbm;
      rec.sigma_db = sigma;
      rec.p_good_indoor = ProbabilityAtLeast(dbm, sigma, indoor.good_dbm);
      rec.indoor_class = dbm >= indoor.good_dbm
                             ? CellClass::kGood
                             : (dbm < indoor.dead_dbm ? CellClass::kDead : CellClass::kWeak);
      if (cell != nullptr && cell->n > 0) {
        rec.samples = cell->n;
        rec.median_dbm = MedianOfSorted(grid.ValuesOf(*cell));
      } else {
        rec.samples = 0;
        rec.median_dbm = std::nan("");
      }
    }
  }
  return Status();
}

}  // namespace covgap::geo::prediction
