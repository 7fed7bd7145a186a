// Steps 6–7 of the reference gap definition: gap cells (weak and dead) of a coverage grid,
// their 4-connected components, each the union of its cells as one polygon (holes allowed), with
// the gap's statistics. Also common gaps: per cell, the best class among the operators that
// measured it (docs/domain.md).
//
// A found gap carries its cells (sorted by CellKey) so that later steps can join schools and
// households exactly by cell.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "geo/grid/coverage_grid.h"
#include "geo/model/gap.h"

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

// Building blocks shared by the single-piece and the partitioned (tiled) analysis, so that both
// produce a gap from its cells by the same code.

// The gap cells (weak, dead) of a grid, as indices into grid.cells (ascending), each labelled with
// its 4-connected component; components are numbered 0..count-1 in order of their first cell.
struct ComponentLabels {
  std::vector<std::uint32_t> gap_cells;
  std::vector<std::uint32_t> label;  // parallel to gap_cells
  std::uint32_t count = 0;
};
ComponentLabels LabelGapComponents(const CoverageGrid& grid);

// One cell of a component and the grid (or tile) holding its values.
struct CellRef {
  const CoverageGrid* grid;
  const GridCell* cell;
};

// Whether a component of n cells reaches params.min_area_m2.
bool GapAreaAllowed(std::size_t n_cells, const AnalysisParams& params);

// The gap made of `component` (its cells, ascending by CellKey, no duplicates): statistics over
// the samples of its cells, the traced polygon, and the id from its first cell (GapIdFor).
FoundGap MakeGap(GapKind kind, const std::string& operator_id, Technology tech,
                 std::span<const CellRef> component, const AnalysisParams& params);

// `<operator>-<TECH>-<ix>_<iy>` ("common" for common gaps): the id of a gap whose smallest cell
// by CellKey (ix, then iy) is (ix, iy). It depends only on the gap's cells, never on tiling.
std::string GapIdFor(GapKind kind, const std::string& operator_id, Technology tech, std::int32_t ix,
                     std::int32_t iy);

// Partitioned analysis (docs/gaps.md "Partitioned analysis"), in geo/tiled_grid.cpp.

// The merged grid of one technology, tile by tile (MergeForCommonGaps on each tile).
TiledGrid MergeTiledForCommonGaps(const std::vector<const TiledGrid*>& grids_of_one_tech,
                                  const AnalysisParams& params);

// The gaps of a tiled grid: components found in each tile independently (in parallel), merged
// across tile borders by 4-connectivity (union-find over the border cells), then each gap made
// once from all its cells. Equal, field by field and in order, to the one-piece FindGaps.
std::vector<FoundGap> FindTiledGaps(const TiledGrid& grid, const AnalysisParams& params,
                                    GapKind kind);

}  // namespace covgap::geo
