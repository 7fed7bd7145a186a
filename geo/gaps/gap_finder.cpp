#include "geo/gaps/gap_finder.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "geo/base/union_find.h"
#include "geo/gaps/cell_polygon.h"

namespace covgap::geo {
namespace {

bool IsGap(CellClass c) { return c == CellClass::kWeak || c == CellClass::kDead; }

}  // namespace

ComponentLabels LabelGapComponents(const CoverageGrid& grid) {
  ComponentLabels out;
  // Indices (into grid.cells) of gap cells; grid.cells is sorted by (ix, iy).
  std::vector<std::uint32_t>& gap_cells = out.gap_cells;
  for (std::uint32_t i = 0; i < grid.cells.size(); ++i) {
    if (IsGap(grid.cells[i].cls)) gap_cells.push_back(i);
  }
  UnionFind uf(gap_cells.size());
  auto index_of = [&](std::int32_t ix, std::int32_t iy) -> std::int64_t {
    const std::uint64_t key = CellKey(ix, iy);
    auto it = std::lower_bound(gap_cells.begin(), gap_cells.end(), key,
                               [&](std::uint32_t c, std::uint64_t k) {
                                 return CellKey(grid.cells[c].ix, grid.cells[c].iy) < k;
                               });
    if (it == gap_cells.end()) return -1;
    const GridCell& c = grid.cells[*it];
    return c.ix == ix && c.iy == iy ? it - gap_cells.begin() : -1;
  };
  for (std::uint32_t g = 0; g < gap_cells.size(); ++g) {
    const GridCell& c = grid.cells[gap_cells[g]];
    // Up: the next gap cell when it is (ix, iy + 1); right: a search.
    if (g + 1 < gap_cells.size()) {
      const GridCell& n = grid.cells[gap_cells[g + 1]];
      if (n.ix == c.ix && n.iy == c.iy + 1) uf.Union(g, g + 1);
    }
    if (c.ix != INT32_MAX) {
      if (const std::int64_t r = index_of(c.ix + 1, c.iy); r >= 0) {
        uf.Union(g, static_cast<std::uint32_t>(r));
      }
    }
  }
  // Components in order of their first cell.
  std::vector<std::int64_t> component_of(gap_cells.size(), -1);
  out.label.resize(gap_cells.size());
  for (std::uint32_t g = 0; g < gap_cells.size(); ++g) {
    const std::uint32_t root = uf.Find(g);
    if (component_of[root] < 0) component_of[root] = out.count++;
    out.label[g] = static_cast<std::uint32_t>(component_of[root]);
  }
  return out;
}

bool GapAreaAllowed(std::size_t n_cells, const AnalysisParams& params) {
  const double s = params.cell_size_m;
  return s * s * static_cast<double>(n_cells) >= params.min_area_m2;
}

FoundGap MakeGap(GapKind kind, const std::string& operator_id, Technology tech,
                 std::span<const CellRef> component, const AnalysisParams& params) {
  const double s = params.cell_size_m;
  const double cell_area = s * s;
  std::vector<CellIndex> cells;
  std::vector<std::int16_t> values;
  FoundGap found;
  Gap& gap = found.gap;
  gap.kind = kind;
  gap.operator_id = operator_id;
  gap.tech = tech;
  cells.reserve(component.size());
  found.cells.reserve(component.size());
  // Samples of the measured cells (all cells in a binned analysis) give the median and the
  // minimum; a gap with no measured cell takes them from its cells' predicted levels.
  std::int64_t samples = 0, measured = 0;
  double p_good_sum = 0;
  std::vector<double> predicted;
  for (const CellRef& ref : component) {
    const GridCell& c = *ref.cell;
    cells.push_back({c.ix, c.iy});
    found.cells.push_back(CellKey(c.ix, c.iy));
    gap.n_dead_cells += c.cls == CellClass::kDead;
    samples += c.n;
    p_good_sum += c.p_good;
    if (c.evidence == Evidence::kMeasured) {
      ++measured;
      const auto v = ref.grid->ValuesOf(c);
      values.insert(values.end(), v.begin(), v.end());
    } else {
      predicted.push_back(c.median);
    }
  }
  std::sort(values.begin(), values.end());
  gap.n_cells = static_cast<std::int64_t>(component.size());
  gap.area_m2 = cell_area * static_cast<double>(component.size());
  gap.severity = static_cast<double>(gap.n_dead_cells) / static_cast<double>(gap.n_cells);
  gap.n_samples = samples;
  if (measured > 0) {
    gap.median_dbm = MedianOfSorted(values);
    gap.min_dbm = values.empty() ? 0 : values.front();
  } else {
    std::sort(predicted.begin(), predicted.end());
    const std::size_t m = predicted.size();
    gap.median_dbm = m % 2 ? predicted[m / 2] : 0.5 * (predicted[m / 2 - 1] + predicted[m / 2]);
    gap.min_dbm = static_cast<int>(std::lround(predicted.front()));
  }
  gap.meas_share = static_cast<double>(measured) / static_cast<double>(gap.n_cells);
  gap.evidence = measured == gap.n_cells
                     ? Evidence::kMeasured
                     : (measured == 0 ? Evidence::kPredicted : Evidence::kMixed);
  gap.p_good = p_good_sum / static_cast<double>(gap.n_cells);
  gap.crs = params.analysis_crs;
  gap.wkb = ToMultiPolygonWkb(TraceCells(cells), s);
  const GridCell& first = *component.front().cell;
  gap.gap_id = GapIdFor(kind, operator_id, tech, first.ix, first.iy);
  return found;
}

std::string GapIdFor(GapKind kind, const std::string& operator_id, Technology tech, std::int32_t ix,
                     std::int32_t iy) {
  return (kind == GapKind::kCommon ? std::string("common") : operator_id) + "-" +
         std::string(ToString(tech)) + "-" + std::to_string(ix) + "_" + std::to_string(iy);
}

namespace {

std::vector<FoundGap> FindGaps(const CoverageGrid& grid, const AnalysisParams& params,
                               GapKind kind) {
  const ComponentLabels labels = LabelGapComponents(grid);
  std::vector<std::vector<CellRef>> components(labels.count);
  for (std::size_t g = 0; g < labels.gap_cells.size(); ++g) {
    components[labels.label[g]].push_back({&grid, &grid.cells[labels.gap_cells[g]]});
  }
  std::vector<FoundGap> gaps;
  for (const auto& component : components) {
    if (!GapAreaAllowed(component.size(), params)) continue;
    gaps.push_back(MakeGap(kind, grid.operator_id, grid.tech, component, params));
  }
  return gaps;
}

}  // namespace

std::vector<FoundGap> FindOperatorGaps(const CoverageGrid& grid, const AnalysisParams& params) {
  return FindGaps(grid, params, GapKind::kOperator);
}

CoverageGrid MergeForCommonGaps(const std::vector<const CoverageGrid*>& grids) {
  CoverageGrid merged;
  if (!grids.empty()) merged.tech = grids.front()->tech;
  // k-way merge by cell key over the measured cells of every grid.
  struct Item {
    std::uint64_t key;
    const CoverageGrid* grid;
    const GridCell* cell;
  };
  std::vector<Item> items;
  for (const CoverageGrid* g : grids) {
    for (const GridCell& c : g->cells) {
      if (c.cls != CellClass::kUnmeasured) items.push_back({CellKey(c.ix, c.iy), g, &c});
    }
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& a, const Item& b) { return a.key < b.key; });
  for (std::size_t i = 0; i < items.size();) {
    std::size_t j = i;
    GridCell cell = *items[i].cell;
    cell.first = static_cast<std::uint32_t>(merged.values.size());
    cell.cls = CellClass::kUnmeasured;
    // Hybrid grids: the cell is measured only when every operator's cell is; P(some operator
    // good) = 1 − Π(1 − p); the level of a predicted cell is the best operator's.
    bool all_measured = true;
    double p_none = 1, best_level = -1e9;
    for (; j < items.size() && items[j].key == items[i].key; ++j) {
      const GridCell& c = *items[j].cell;
      cell.cls = std::max(cell.cls, c.cls);
      const auto v = items[j].grid->ValuesOf(c);
      merged.values.insert(merged.values.end(), v.begin(), v.end());
      all_measured = all_measured && c.evidence == Evidence::kMeasured;
      p_none *= 1.0 - c.p_good;
      best_level = std::max(best_level, c.median);
    }
    cell.n = static_cast<std::uint32_t>(merged.values.size() - cell.first);
    std::sort(merged.values.begin() + cell.first, merged.values.end());
    cell.evidence = all_measured ? Evidence::kMeasured : Evidence::kPredicted;
    cell.p_good = static_cast<float>(1.0 - p_none);
    cell.median = all_measured ? MedianOfSorted(merged.ValuesOf(cell)) : best_level;
    merged.cells.push_back(cell);
    i = j;
  }
  return merged;
}

std::vector<FoundGap> FindCommonGaps(const CoverageGrid& merged, const AnalysisParams& params) {
  return FindGaps(merged, params, GapKind::kCommon);
}

}  // namespace covgap::geo
