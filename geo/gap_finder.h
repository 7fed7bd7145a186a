// Steps 6–7 of the reference gap definition: gap cells (weak and dead) of a coverage grid,
// their 4-connected components, each the union of its cells as one polygon (holes allowed), with
// the gap's statistics. Also common gaps: per cell, the best class among the operators that
// measured it (docs/domain.md).
//
// A found gap carries its cells (sorted by CellKey) so that later steps can join schools and
// households exactly by cell.
#pragma once

#include <cstdint>
#include <vector>

#include "geo/coverage_grid.h"
#include "geo/gap.h"

namespace covgap::geo {

struct FoundGap {
  Gap gap;                           // statistics, geometry and id filled in
  std::vector<std::uint64_t> cells;  // CellKey of every cell, ascending
};

// Gaps of one operator and technology, ordered by their first cell. Gaps with area < min_area
// are dropped.
std::vector<FoundGap> FindOperatorGaps(const CoverageGrid& grid, const AnalysisParams& params);

// The merged grid of one technology: every cell some operator measured (class not unmeasured),
// with the best of those operators' classes and the union of their samples. operator_id is "".
CoverageGrid MergeForCommonGaps(const std::vector<const CoverageGrid*>& grids_of_one_tech);

// Common gaps of one technology from the merged grid.
std::vector<FoundGap> FindCommonGaps(const CoverageGrid& merged, const AnalysisParams& params);

}  // namespace covgap::geo
