// The partitioned (tiled) analysis: grids built per tile, gap components found per tile and
// merged across tile borders (docs/gaps.md "Partitioned analysis").
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "geo/base/parallel.h"
#include "geo/base/union_find.h"
#include "geo/gaps/gap_finder.h"
#include "geo/grid/coverage_grid.h"
#include "geo/spatial/point_projector.h"

namespace covgap::geo {
namespace {

constexpr int kAxisBits = 24;
constexpr std::size_t kProjectChunk = 1 << 18;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// One group's samples, partitioned by tile: keys[offsets[t], offsets[t + 1]) are tile t's.
struct Partition {
  std::vector<std::uint64_t> keys;  // (ix - min_x) << 40 | (iy - min_y) << 16 | dbm + 32768
  std::vector<std::pair<std::int32_t, std::int32_t>> tiles;
  std::vector<std::uint32_t> offsets;
  std::int64_t min_x = 0, min_y = 0;
};

}  // namespace

const CoverageGrid* TiledGrid::FindTile(std::int32_t tx, std::int32_t ty) const {
  const auto it = std::lower_bound(tile_xy.begin(), tile_xy.end(), std::make_pair(tx, ty));
  return it != tile_xy.end() && *it == std::make_pair(tx, ty) ? &tiles[it - tile_xy.begin()]
                                                              : nullptr;
}

std::uint64_t TiledGrid::samples() const {
  std::uint64_t n = 0;
  for (const CoverageGrid& t : tiles) n += t.samples();
  return n;
}

std::uint64_t TiledGrid::cells() const {
  std::uint64_t n = 0;
  for (const CoverageGrid& t : tiles) n += t.cells.size();
  return n;
}

CoverageGrid AssembleCells(const TiledGrid& tiled) {
  CoverageGrid grid;
  grid.operator_id = tiled.operator_id;
  grid.tech = tiled.tech;
  grid.cells.reserve(tiled.cells());
  for (const CoverageGrid& t : tiled.tiles) {
    grid.cells.insert(grid.cells.end(), t.cells.begin(), t.cells.end());
  }
  std::sort(grid.cells.begin(), grid.cells.end(), [](const GridCell& a, const GridCell& b) {
    return CellKey(a.ix, a.iy) < CellKey(b.ix, b.iy);
  });
  for (GridCell& c : grid.cells) c.first = 0;
  return grid;
}

StatusOr<std::vector<TiledGrid>> GridBuilder::BuildTiled(GridStats* stats) {
  if (!(params_.cell_size_m > 0) || !std::isfinite(params_.cell_size_m)) {
    return InvalidArgument("cell size must be a positive number of metres");
  }
  if (params_.min_samples < 1) return InvalidArgument("min samples must be at least 1");
  if (params_.tile_cells < 1) {
    return InvalidArgument("tile cells must be a positive number of cells for a tiled build");
  }
  auto projector = PointProjector::Create(params_.analysis_crs);
  if (!projector.ok()) return projector.status();
  const std::int32_t tile = params_.tile_cells;
  const unsigned threads = params_.threads;
  const double s = params_.cell_size_m;

  std::vector<std::pair<const std::pair<std::string, Technology>*, Group*>> work;
  for (auto& [key, group] : groups_) work.emplace_back(&key, &group);
  std::uint64_t in_window = 0;
  for (const auto& w : work) in_window += w.second->dbm.size();

  // 1. Projection, in chunks over every group.
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::pair<Group*, std::size_t>> chunks;
  for (const auto& w : work) {
    for (std::size_t b = 0; b < w.second->dbm.size(); b += kProjectChunk)
      chunks.emplace_back(w.second, b);
  }
  ParallelFor(chunks.size(), threads, [&](std::size_t i) {
    Group& g = *chunks[i].first;
    const std::size_t b = chunks[i].second;
    const std::size_t n = std::min(kProjectChunk, g.dbm.size() - b);
    projector.value()->Project(g.lon.data() + b, g.lat.data() + b, g.lon.data() + b,
                               g.lat.data() + b, n);
  });
  const double project_s = Seconds(t0);

  // 2. Per group: cell of every sample, its tile, and the samples partitioned by tile.
  t0 = std::chrono::steady_clock::now();
  std::vector<Partition> parts(work.size());
  std::vector<Status> errors(work.size());
  std::vector<std::uint64_t> bad_counts(work.size(), 0);
  ParallelFor(work.size(), threads, [&](std::size_t w) {
    Group& g = *work[w].second;
    Partition& p = parts[w];
    const std::size_t n = g.dbm.size();
    // Cell of every sample (|index| <= 2e9 fits int32; INT32_MIN marks an unprojectable one).
    std::vector<std::int32_t> cx(n), cy(n);
    auto cell_of = [&](std::size_t i, std::int64_t& ix, std::int64_t& iy) {
      if (cx[i] == INT32_MIN) return false;
      ix = cx[i];
      iy = cy[i];
      return true;
    };
    std::int64_t min_x = INT64_MAX, min_y = INT64_MAX, max_x = INT64_MIN, max_y = INT64_MIN;
    std::size_t bad = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double fx = std::floor(g.lon[i] / s), fy = std::floor(g.lat[i] / s);
      if (!std::isfinite(fx) || !std::isfinite(fy) || std::abs(fx) > 2e9 || std::abs(fy) > 2e9) {
        cx[i] = INT32_MIN;
        ++bad;
        continue;
      }
      const std::int64_t ix = static_cast<std::int64_t>(fx), iy = static_cast<std::int64_t>(fy);
      cx[i] = static_cast<std::int32_t>(ix);
      cy[i] = static_cast<std::int32_t>(iy);
      min_x = std::min(min_x, ix);
      max_x = std::max(max_x, ix);
      min_y = std::min(min_y, iy);
      max_y = std::max(max_y, iy);
    }
    bad_counts[w] = bad;
    g.lon = {};  // the cells replace the coordinates
    g.lat = {};
    if (n > bad && (max_x - min_x >= (1 << kAxisBits) || max_y - min_y >= (1 << kAxisBits))) {
      errors[w] = InvalidArgument("the measurements of " + work[w].first->first + " " +
                                  std::string(ToString(work[w].first->second)) +
                                  " span more than " + std::to_string(1 << kAxisBits) +
                                  " cells along an axis; use a larger cell size");
      return;
    }
    if (n == bad) {
      g = Group{};
      return;
    }
    if (n - bad > UINT32_MAX) {
      errors[w] = InvalidArgument("more than 2^32 measurements in one operator and technology");
      return;
    }
    p.min_x = min_x;
    p.min_y = min_y;
    const std::int64_t min_tx = TileOf(static_cast<std::int32_t>(min_x), tile);
    const std::int64_t min_ty = TileOf(static_cast<std::int32_t>(min_y), tile);
    const std::int64_t nx = TileOf(static_cast<std::int32_t>(max_x), tile) - min_tx + 1;
    const std::int64_t ny = TileOf(static_cast<std::int32_t>(max_y), tile) - min_ty + 1;
    // Tile of every sample as a packed (tx - min_tx, ty - min_ty), then as a dense index.
    constexpr std::uint32_t kNone = UINT32_MAX;
    std::vector<std::uint32_t> tile_of(n, kNone);
    std::vector<std::uint32_t> counts;
    auto packed = [&](std::int64_t ix, std::int64_t iy) {
      return (static_cast<std::uint64_t>(TileOf(static_cast<std::int32_t>(ix), tile) - min_tx)
              << 32) |
             static_cast<std::uint64_t>(TileOf(static_cast<std::int32_t>(iy), tile) - min_ty);
    };
    if (static_cast<double>(nx) * static_cast<double>(ny) <= static_cast<double>(n) + 65536) {
      // Few tiles: count on the dense (tx, ty) rectangle, then keep the non-empty ones.
      std::vector<std::uint32_t> dense(static_cast<std::size_t>(nx * ny), 0);
      for (std::size_t i = 0; i < n; ++i) {
        std::int64_t ix, iy;
        if (!cell_of(i, ix, iy)) continue;
        const std::uint64_t k = packed(ix, iy);
        tile_of[i] = static_cast<std::uint32_t>((k >> 32) * static_cast<std::uint64_t>(ny) +
                                                (k & 0xffffffffu));
        ++dense[tile_of[i]];
      }
      std::vector<std::uint32_t> remap(dense.size(), kNone);
      for (std::size_t d = 0; d < dense.size(); ++d) {
        if (dense[d] == 0) continue;
        remap[d] = static_cast<std::uint32_t>(p.tiles.size());
        p.tiles.emplace_back(static_cast<std::int32_t>(min_tx + static_cast<std::int64_t>(d) / ny),
                             static_cast<std::int32_t>(min_ty + static_cast<std::int64_t>(d) % ny));
        counts.push_back(dense[d]);
      }
      for (auto& t : tile_of) {
        if (t != kNone) t = remap[t];
      }
    } else {
      // Sparse (many small tiles over a wide area): the distinct tiles by sorting.
      std::vector<std::uint64_t> distinct;
      distinct.reserve(n - bad);
      for (std::size_t i = 0; i < n; ++i) {
        std::int64_t ix, iy;
        if (cell_of(i, ix, iy)) distinct.push_back(packed(ix, iy));
      }
      RadixSort(distinct);
      distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
      counts.assign(distinct.size(), 0);
      for (std::uint64_t k : distinct) {
        p.tiles.emplace_back(
            static_cast<std::int32_t>(min_tx + static_cast<std::int64_t>(k >> 32)),
            static_cast<std::int32_t>(min_ty + static_cast<std::int64_t>(k & 0xffffffffu)));
      }
      for (std::size_t i = 0; i < n; ++i) {
        std::int64_t ix, iy;
        if (!cell_of(i, ix, iy)) continue;
        const auto it = std::lower_bound(distinct.begin(), distinct.end(), packed(ix, iy));
        tile_of[i] = static_cast<std::uint32_t>(it - distinct.begin());
        ++counts[tile_of[i]];
      }
    }
    p.offsets.assign(counts.size() + 1, 0);
    for (std::size_t t = 0; t < counts.size(); ++t) p.offsets[t + 1] = p.offsets[t] + counts[t];
    std::vector<std::uint32_t> pos(p.offsets.begin(), p.offsets.end() - 1);
    p.keys.resize(n - bad);
    for (std::size_t i = 0; i < n; ++i) {
      if (tile_of[i] == kNone) continue;
      std::int64_t ix = 0, iy = 0;
      cell_of(i, ix, iy);
      p.keys[pos[tile_of[i]]++] = (static_cast<std::uint64_t>(ix - min_x) << 40) |
                                  (static_cast<std::uint64_t>(iy - min_y) << 16) |
                                  static_cast<std::uint16_t>(g.dbm[i] + 32768);
    }
    g = Group{};  // release the inputs early
  });
  for (const Status& e : errors) {
    if (!e.ok()) return e;
  }

  // 3. Every (group, tile) on its own: sort, bin, median, class.
  std::vector<TiledGrid> grids(work.size());
  std::vector<std::pair<std::size_t, std::size_t>> items;
  for (std::size_t w = 0; w < work.size(); ++w) {
    grids[w].operator_id = work[w].first->first;
    grids[w].tech = work[w].first->second;
    grids[w].tile_cells = tile;
    grids[w].tile_xy = parts[w].tiles;
    grids[w].tiles.resize(parts[w].tiles.size());
    for (std::size_t t = 0; t < parts[w].tiles.size(); ++t) items.emplace_back(w, t);
  }
  ParallelFor(items.size(), threads, [&](std::size_t k) {
    const auto [w, t] = items[k];
    const Partition& p = parts[w];
    CoverageGrid& grid = grids[w].tiles[t];
    grid.operator_id = grids[w].operator_id;
    grid.tech = grids[w].tech;
    std::vector<std::uint64_t> keys(p.keys.begin() + p.offsets[t],
                                    p.keys.begin() + p.offsets[t + 1]);
    if (keys.size() < (1u << 16)) {
      std::sort(keys.begin(), keys.end());  // small tiles: a radix pass costs 2^16 counters
    } else {
      RadixSort(keys);
    }
    CellsFromSortedKeys(keys, p.min_x, p.min_y, params_.min_samples,
                        params_.ThresholdsFor(grid.tech), grid);
  });
  parts.clear();
  groups_.clear();
  if (stats != nullptr) {
    stats->measurements_read = read_;
    stats->in_window = in_window;
    stats->unprojectable = std::accumulate(bad_counts.begin(), bad_counts.end(), std::uint64_t{0});
    stats->project_seconds = project_s;
    stats->bin_seconds = Seconds(t0);
  }
  return grids;
}

TiledGrid MergeTiledForCommonGaps(const std::vector<const TiledGrid*>& grids,
                                  const AnalysisParams& params) {
  TiledGrid merged;
  if (grids.empty()) return merged;
  merged.tech = grids.front()->tech;
  merged.tile_cells = grids.front()->tile_cells;
  std::vector<std::pair<std::int32_t, std::int32_t>> keys;
  for (const TiledGrid* g : grids) keys.insert(keys.end(), g->tile_xy.begin(), g->tile_xy.end());
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<CoverageGrid> tiles(keys.size());
  ParallelFor(keys.size(), params.threads, [&](std::size_t t) {
    std::vector<const CoverageGrid*> same;
    for (const TiledGrid* g : grids) {
      if (const CoverageGrid* c = g->FindTile(keys[t].first, keys[t].second)) same.push_back(c);
    }
    tiles[t] = MergeForCommonGaps(same);
    tiles[t].tech = merged.tech;
  });
  for (std::size_t t = 0; t < keys.size(); ++t) {
    if (tiles[t].cells.empty()) continue;  // only unmeasured cells there
    merged.tile_xy.push_back(keys[t]);
    merged.tiles.push_back(std::move(tiles[t]));
  }
  return merged;
}

std::vector<FoundGap> FindTiledGaps(const TiledGrid& grid, const AnalysisParams& params,
                                    GapKind kind) {
  const std::size_t n_tiles = grid.tiles.size();
  const std::int32_t tile = grid.tile_cells;
  // 1. Components inside every tile, independently.
  std::vector<ComponentLabels> labels(n_tiles);
  ParallelFor(n_tiles, params.threads,
              [&](std::size_t t) { labels[t] = LabelGapComponents(grid.tiles[t]); });
  std::vector<std::uint32_t> offset(n_tiles + 1, 0);
  for (std::size_t t = 0; t < n_tiles; ++t) offset[t + 1] = offset[t] + labels[t].count;

  // 2. Border merge: a gap cell on a tile's right (top) edge joins the gap cell to its right
  // (above) in the neighbouring tile — 4-connectivity, exactly as in one piece.
  auto gap_index = [&](std::size_t t, std::int32_t ix, std::int32_t iy) -> std::int64_t {
    const CoverageGrid& g = grid.tiles[t];
    const auto& cells = labels[t].gap_cells;
    const std::uint64_t key = CellKey(ix, iy);
    const auto it =
        std::lower_bound(cells.begin(), cells.end(), key, [&](std::uint32_t c, std::uint64_t k) {
          return CellKey(g.cells[c].ix, g.cells[c].iy) < k;
        });
    if (it == cells.end() || g.cells[*it].ix != ix || g.cells[*it].iy != iy) return -1;
    return it - cells.begin();
  };
  auto tile_index = [&](std::int32_t tx, std::int32_t ty) -> std::int64_t {
    const auto it =
        std::lower_bound(grid.tile_xy.begin(), grid.tile_xy.end(), std::make_pair(tx, ty));
    return it != grid.tile_xy.end() && *it == std::make_pair(tx, ty) ? it - grid.tile_xy.begin()
                                                                     : -1;
  };
  UnionFind uf(offset[n_tiles]);
  for (std::size_t t = 0; t < n_tiles; ++t) {
    const auto [tx, ty] = grid.tile_xy[t];
    const std::int64_t right = tile_index(tx + 1, ty), up = tile_index(tx, ty + 1);
    const CoverageGrid& g = grid.tiles[t];
    for (std::size_t k = 0; k < labels[t].gap_cells.size(); ++k) {
      const GridCell& c = g.cells[labels[t].gap_cells[k]];
      const std::uint32_t a = offset[t] + labels[t].label[k];
      if (right >= 0 && TileOf(c.ix, tile) + 1 == TileOf(c.ix + 1, tile)) {
        const auto r = static_cast<std::size_t>(right);
        if (const std::int64_t b = gap_index(r, c.ix + 1, c.iy); b >= 0) {
          uf.Union(a, offset[r] + labels[r].label[static_cast<std::size_t>(b)]);
        }
      }
      if (up >= 0 && TileOf(c.iy, tile) + 1 == TileOf(c.iy + 1, tile)) {
        const auto u = static_cast<std::size_t>(up);
        if (const std::int64_t b = gap_index(u, c.ix, c.iy + 1); b >= 0) {
          uf.Union(a, offset[u] + labels[u].label[static_cast<std::size_t>(b)]);
        }
      }
    }
  }

  // 3. The merged components, their cells in CellKey order, the components in order of their
  // first cell (as in one piece), then each gap made once from all its cells.
  std::vector<std::int64_t> component_of(offset[n_tiles], -1);
  std::vector<std::vector<CellRef>> components;
  for (std::size_t t = 0; t < n_tiles; ++t) {
    const CoverageGrid& g = grid.tiles[t];
    for (std::size_t k = 0; k < labels[t].gap_cells.size(); ++k) {
      const std::uint32_t root = uf.Find(offset[t] + labels[t].label[k]);
      if (component_of[root] < 0) {
        component_of[root] = static_cast<std::int64_t>(components.size());
        components.emplace_back();
      }
      components[static_cast<std::size_t>(component_of[root])].push_back(
          {&g, &g.cells[labels[t].gap_cells[k]]});
    }
  }
  labels.clear();
  auto key_of = [](const CellRef& r) { return CellKey(r.cell->ix, r.cell->iy); };
  std::erase_if(components,
                [&](const std::vector<CellRef>& c) { return !GapAreaAllowed(c.size(), params); });
  ParallelFor(components.size(), params.threads, [&](std::size_t i) {
    std::sort(components[i].begin(), components[i].end(),
              [&](const CellRef& a, const CellRef& b) { return key_of(a) < key_of(b); });
  });
  std::sort(components.begin(), components.end(),
            [&](const std::vector<CellRef>& a, const std::vector<CellRef>& b) {
              return key_of(a.front()) < key_of(b.front());
            });
  std::vector<FoundGap> gaps(components.size());
  ParallelFor(components.size(), params.threads, [&](std::size_t i) {
    gaps[i] = MakeGap(kind, grid.operator_id, grid.tech, components[i], params);
  });
  return gaps;
}

}  // namespace covgap::geo
