// Steps 1–5 of the reference gap definition (docs/domain.md): measurements of one operator and
// technology inside the evidence window, projected to the analysis CRS, binned into square cells
// on multiples of the cell size, with the exact median per cell and its coverage class.
//
// GridBuilder collects measurement blocks (any order, any number of operators and technologies),
// then Build() projects and bins each (operator, technology) group — groups in parallel — and
// returns one CoverageGrid per group. Inside a grid, cells are sorted by (ix, iy) and the signal
// values of each cell are kept sorted, so medians and any later statistic are exact.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "geo/base/status.h"
#include "geo/model/gap.h"
#include "geo/model/measurement.h"

namespace covgap::geo {

// Stored measurements of one operator and technology, as columns (positions in 1e-7 degrees).
struct MeasurementBlock {
  std::string_view operator_id;
  Technology tech = Technology::kLte;
  std::span<const std::int32_t> lat_e7;
  std::span<const std::int32_t> lon_e7;
  std::span<const std::int64_t> time_ms;
  std::span<const std::int16_t> signal_dbm;
};

// Median of sorted values: the middle one, or the mean of the two middle ones for even n.
double MedianOfSorted(std::span<const std::int16_t> sorted);
// Class of a cell from its sample count and median.
CellClass Classify(std::size_t n, double median, int min_samples, Thresholds thresholds);

struct GridCell {
  std::int32_t ix = 0;  // cell = [ix*s, (ix+1)*s) x [iy*s, (iy+1)*s) in the analysis CRS
  std::int32_t iy = 0;
  std::uint32_t first = 0;  // its values: CoverageGrid::values[first, first + n)
  std::uint32_t n = 0;
  double median = 0;
  CellClass cls = CellClass::kUnmeasured;
  // Hybrid and predicted analyses (docs/prediction.md): what the class rests on, and the
  // probability that the cell is good. The binned method leaves them measured and 0.
  Evidence evidence = Evidence::kMeasured;
  float p_good = 0;
};
static_assert(sizeof(GridCell) == 32, "GridCell stays 32 bytes");

inline std::uint64_t CellKey(std::int32_t ix, std::int32_t iy) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(ix) ^ 0x80000000u) << 32) |
         (static_cast<std::uint32_t>(iy) ^ 0x80000000u);
}

struct CoverageGrid {
  std::string operator_id;
  Technology tech = Technology::kLte;
  std::vector<GridCell> cells;       // sorted by CellKey(ix, iy)
  std::vector<std::int16_t> values;  // signal values, grouped per cell, ascending in each cell
  std::uint64_t samples() const { return values.size(); }
  // The cell at (ix, iy), or nullptr.
  const GridCell* Find(std::int32_t ix, std::int32_t iy) const;
  std::span<const std::int16_t> ValuesOf(const GridCell& c) const {
    return std::span<const std::int16_t>(values).subspan(c.first, c.n);
  }
};

struct GridStats {
  std::uint64_t measurements_read = 0;
  std::uint64_t in_window = 0;      // inside the evidence window
  std::uint64_t unprojectable = 0;  // dropped: outside the analysis CRS's domain
  double project_seconds = 0;
  double bin_seconds = 0;
};

// A grid split into square tiles of tile_cells x tile_cells cells aligned to the cell grid: tile
// (tx, ty) holds the cells with floor(ix / tile_cells) == tx and floor(iy / tile_cells) == ty.
// Every tile is an ordinary CoverageGrid of its own cells and values, built independently of the
// others; a cell, its samples, median and class are the same as in the one-piece grid.
struct TiledGrid {
  std::string operator_id;  // "" for the merged grid of common gaps
  Technology tech = Technology::kLte;
  std::int32_t tile_cells = 0;
  std::vector<std::pair<std::int32_t, std::int32_t>> tile_xy;  // (tx, ty) ascending, non-empty
  std::vector<CoverageGrid> tiles;                             // parallel to tile_xy
  // The tile (tx, ty), or nullptr.
  const CoverageGrid* FindTile(std::int32_t tx, std::int32_t ty) const;
  std::uint64_t samples() const;
  std::uint64_t cells() const;
};

// floor(i / n) for n > 0: the tile of cell index i.
inline std::int32_t TileOf(std::int32_t i, std::int32_t n) {
  return i >= 0 ? i / n : -((-static_cast<std::int64_t>(i) + n - 1) / n);
}

// The one-piece grid's cells of a tiled grid (sorted by CellKey; n and median kept) without the
// signal values: what per-school coverage needs. `values` stays empty: do not call ValuesOf.
CoverageGrid AssembleCells(const TiledGrid& tiled);

// LSD radix sort of 64-bit keys (16 bits per pass).
void RadixSort(std::vector<std::uint64_t>& keys);

// Fills grid.values and grid.cells from sorted keys (ix - min_x) << 40 | (iy - min_y) << 16 |
// (dBm + 32768): one cell per run of equal (ix, iy), its values ascending, exact median and
// class. Cells come out in CellKey order. Both the one-piece and the tiled builder use it.
void CellsFromSortedKeys(std::span<const std::uint64_t> keys, std::int64_t min_x,
                         std::int64_t min_y, int min_samples, Thresholds thresholds,
                         CoverageGrid& grid);

class GridBuilder {
 public:
  explicit GridBuilder(const AnalysisParams& params);

  // Keeps the block's rows inside the evidence window [as_of - window, as_of].
  void Add(const MeasurementBlock& block);

  // Projects and bins every group. Fails on a bad analysis CRS or cell size, or when the data
  // spans more cells than the grid can index (2^24 per axis).
  StatusOr<std::vector<CoverageGrid>> Build(GridStats* stats = nullptr);

  // The same grids split into tiles of params.tile_cells cells (> 0): projection in chunks, then
  // each group's samples partitioned by tile, then every (group, tile) sorted, binned and classed
  // on its own — all on params.threads threads. Same errors as Build().
  StatusOr<std::vector<TiledGrid>> BuildTiled(GridStats* stats = nullptr);

 private:
  struct Group {
    std::vector<double> lon, lat;
    std::vector<std::int16_t> dbm;
  };
  AnalysisParams params_;
  std::int64_t from_ms_;
  std::int64_t to_ms_;
  std::map<std::pair<std::string, Technology>, Group> groups_;
  std::uint64_t read_ = 0;
};

}  // namespace covgap::geo
