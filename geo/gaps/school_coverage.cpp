#include "geo/gaps/school_coverage.h"

#include <algorithm>
#include <cmath>

#include "geo/spatial/point_projector.h"

namespace covgap::geo {
namespace {

// The good cells of one grid as columns: distinct ix ascending, each with its iy ascending, so
// the nearest good cell is found by walking columns outward from the school's and binary
// searching each column, stopping once a column's x distance alone exceeds the best so far.
class GoodCellIndex {
 public:
  GoodCellIndex(const CoverageGrid& grid, double cell_size) : s_(cell_size) {
    for (const GridCell& c : grid.cells) {  // sorted by (ix, iy)
      if (c.cls != CellClass::kGood) continue;
      if (cols_.empty() || cols_.back() != c.ix) {
        cols_.push_back(c.ix);
        starts_.push_back(static_cast<std::uint32_t>(iys_.size()));
      }
      iys_.push_back(c.iy);
    }
    starts_.push_back(static_cast<std::uint32_t>(iys_.size()));
  }

  // Distance from (x, y) to the nearest good cell centre, if within limit_m.
  std::optional<double> Nearest(double x, double y, double limit_m) const {
    if (cols_.empty()) return std::nullopt;
    double best = limit_m;
    bool found = false;
    const double fx = std::floor(x / s_);
    const auto start = static_cast<std::size_t>(
        std::lower_bound(cols_.begin(), cols_.end(), fx,
                         [](std::int32_t col, double v) { return static_cast<double>(col) < v; }) -
        cols_.begin());
    auto visit = [&](std::size_t k) {
      const double dx = (cols_[k] + 0.5) * s_ - x;
      if (std::abs(dx) > best) return false;
      const auto first = iys_.begin() + starts_[k], last = iys_.begin() + starts_[k + 1];
      // The nearest centre in y is the first one at or above y, or the one before it.
      const double fy = y / s_ - 0.5;
      auto it = std::lower_bound(
          first, last, fy, [](std::int32_t iy, double v) { return static_cast<double>(iy) < v; });
      for (auto c : {it, it == first ? last : it - 1}) {
        if (c == last) continue;
        const double d = std::hypot(dx, (*c + 0.5) * s_ - y);
        if (d <= best) {
          best = d;
          found = true;
        }
      }
      return true;
    };
    for (std::size_t k = start; k < cols_.size(); ++k) {
      if (!visit(k)) break;
    }
    for (std::size_t k = start; k-- > 0;) {
      if (!visit(k)) break;
    }
    return found ? std::optional<double>(best) : std::nullopt;
  }

 private:
  double s_;
  std::vector<std::int32_t> cols_;
  std::vector<std::uint32_t> starts_;  // column k's iy values: iys_[starts_[k], starts_[k+1])
  std::vector<std::int32_t> iys_;
};

}  // namespace

StatusOr<std::vector<SchoolCoverage>> ComputeSchoolCoverage(const std::vector<School>& schools,
                                                            std::span<const CoverageGrid> grids,
                                                            const AnalysisParams& params,
                                                            double limit_m) {
  std::vector<SchoolCoverage> out;
  if (schools.empty() || grids.empty()) return out;
  auto projector = PointProjector::Create(params.analysis_crs);
  if (!projector.ok()) return projector.status();
  std::vector<double> x(schools.size()), y(schools.size());
  for (std::size_t i = 0; i < schools.size(); ++i) {
    x[i] = schools[i].lon;
    y[i] = schools[i].lat;
  }
  projector.value()->Project(x.data(), y.data(), x.data(), y.data(), schools.size());
  const double s = params.cell_size_m;
  out.resize(schools.size() * grids.size());
  for (std::size_t g = 0; g < grids.size(); ++g) {
    const CoverageGrid& grid = grids[g];
    Thresholds indoor = params.ThresholdsFor(grid.tech);
    indoor.good_dbm += params.indoor_margin_db;
    indoor.dead_dbm += params.indoor_margin_db;
    const GoodCellIndex index(grid, s);
    for (std::size_t i = 0; i < schools.size(); ++i) {
      SchoolCoverage& c = out[i * grids.size() + g];
      c.school_id = schools[i].school_id;
      c.operator_id = grid.operator_id;
      c.tech = grid.tech;
      if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;  // outside the CRS's domain
      const double fx = std::floor(x[i] / s), fy = std::floor(y[i] / s);
      if (std::abs(fx) < 2e9 && std::abs(fy) < 2e9) {
        if (const GridCell* cell =
                grid.Find(static_cast<std::int32_t>(fx), static_cast<std::int32_t>(fy))) {
          c.samples = cell->n;
          c.median_dbm = cell->median;
          c.indoor_class = Classify(cell->n, cell->median, params.min_samples, indoor);
        }
      }
      c.nearest_good_m = index.Nearest(x[i], y[i], limit_m);
    }
  }
  return out;
}

}  // namespace covgap::geo
