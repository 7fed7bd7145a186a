#include "geo/grid/coverage_grid.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

#include "geo/base/parallel.h"
#include "geo/base/time_format.h"
#include "geo/spatial/point_projector.h"

namespace covgap::geo {
namespace {

constexpr int kAxisBits = 24;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

// LSD radix sort of 64-bit keys, 16 bits per pass; passes where every key has the same digit are
// skipped.
void RadixSort(std::vector<std::uint64_t>& keys) {
  std::vector<std::uint64_t> tmp(keys.size());
  std::vector<std::size_t> count(1 << 16);
  for (int shift = 0; shift < 64; shift += 16) {
    std::fill(count.begin(), count.end(), 0);
    for (std::uint64_t k : keys) ++count[(k >> shift) & 0xffff];
    if (std::any_of(count.begin(), count.end(), [&](std::size_t c) { return c == keys.size(); })) {
      continue;
    }
    std::size_t sum = 0;
    for (auto& c : count) {
      const std::size_t n = c;
      c = sum;
      sum += n;
    }
    for (std::uint64_t k : keys) tmp[count[(k >> shift) & 0xffff]++] = k;
    keys.swap(tmp);
  }
}

double MedianOfSorted(std::span<const std::int16_t> v) {
  const std::size_t n = v.size();
  if (n == 0) return 0;
  if (n % 2 == 1) return v[n / 2];
  return (static_cast<double>(v[n / 2 - 1]) + static_cast<double>(v[n / 2])) / 2.0;
}

CellClass Classify(std::size_t n, double median, int min_samples, Thresholds t) {
  if (n < static_cast<std::size_t>(min_samples)) return CellClass::kUnmeasured;
  if (median >= t.good_dbm) return CellClass::kGood;
  if (median < t.dead_dbm) return CellClass::kDead;
  return CellClass::kWeak;
}

const GridCell* CoverageGrid::Find(std::int32_t ix, std::int32_t iy) const {
  const std::uint64_t key = CellKey(ix, iy);
  auto it =
      std::lower_bound(cells.begin(), cells.end(), key,
                       [](const GridCell& c, std::uint64_t k) { return CellKey(c.ix, c.iy) < k; });
  return it != cells.end() && it->ix == ix && it->iy == iy ? &*it : nullptr;
}

GridBuilder::GridBuilder(const AnalysisParams& params)
    : params_(params),
      from_ms_(params.window_days > 0 ? params.as_of_ms - params.window_days * kMsPerDay
                                      : INT64_MIN),
      to_ms_(params.as_of_ms) {}

void GridBuilder::Add(const MeasurementBlock& b) {
  read_ += b.signal_dbm.size();
  Group* g = nullptr;
  for (std::size_t i = 0; i < b.signal_dbm.size(); ++i) {
    if (b.time_ms[i] < from_ms_ || b.time_ms[i] > to_ms_) continue;
    if (g == nullptr) g = &groups_[{std::string(b.operator_id), b.tech}];
    g->lon.push_back(b.lon_e7[i] * 1e-7);
    g->lat.push_back(b.lat_e7[i] * 1e-7);
    g->dbm.push_back(b.signal_dbm[i]);
  }
}

void CellsFromSortedKeys(std::span<const std::uint64_t> keys, std::int64_t min_x,
                         std::int64_t min_y, int min_samples, Thresholds thresholds,
                         CoverageGrid& grid) {
  grid.values.resize(keys.size());
  std::size_t i = 0;
  while (i < keys.size()) {
    const std::uint64_t cell = keys[i] >> 16;
    std::size_t j = i;
    for (; j < keys.size() && (keys[j] >> 16) == cell; ++j) {
      grid.values[j] = static_cast<std::int16_t>(static_cast<int>(keys[j] & 0xffff) - 32768);
    }
    GridCell c;
    c.ix = static_cast<std::int32_t>(static_cast<std::int64_t>(cell >> 24) + min_x);
    c.iy = static_cast<std::int32_t>(static_cast<std::int64_t>(cell & 0xffffff) + min_y);
    c.first = static_cast<std::uint32_t>(i);
    c.n = static_cast<std::uint32_t>(j - i);
    c.median = MedianOfSorted(grid.ValuesOf(c));
    c.cls = Classify(c.n, c.median, min_samples, thresholds);
    grid.cells.push_back(c);
    i = j;
  }
}

StatusOr<std::vector<CoverageGrid>> GridBuilder::Build(GridStats* stats) {
  if (!(params_.cell_size_m > 0) || !std::isfinite(params_.cell_size_m)) {
    return InvalidArgument("cell size must be a positive number of metres");
  }
  if (params_.min_samples < 1) return InvalidArgument("min samples must be at least 1");
  auto projector = PointProjector::Create(params_.analysis_crs);
  if (!projector.ok()) return projector.status();

  std::vector<std::pair<const std::pair<std::string, Technology>*, Group*>> work;
  for (auto& [key, group] : groups_) work.emplace_back(&key, &group);
  std::vector<CoverageGrid> grids(work.size());
  std::vector<Status> errors(work.size());
  std::atomic<std::uint64_t> in_window{0}, unprojectable{0};
  std::mutex time_mu;
  double project_s = 0, bin_s = 0;
  const double s = params_.cell_size_m;

  ParallelFor(work.size(), params_.threads, [&](std::size_t w) {
    Group& g = *work[w].second;
    CoverageGrid& grid = grids[w];
    grid.operator_id = work[w].first->first;
    grid.tech = work[w].first->second;
    const std::size_t n = g.dbm.size();
    in_window += n;

    auto t0 = std::chrono::steady_clock::now();
    projector.value()->Project(g.lon.data(), g.lat.data(), g.lon.data(), g.lat.data(), n);
    const double tp = Seconds(t0);

    t0 = std::chrono::steady_clock::now();
    std::vector<std::int64_t> ix(n), iy(n);
    std::int64_t min_x = INT64_MAX, min_y = INT64_MAX, max_x = INT64_MIN, max_y = INT64_MIN;
    std::size_t bad = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double fx = std::floor(g.lon[i] / s), fy = std::floor(g.lat[i] / s);
      if (!std::isfinite(fx) || !std::isfinite(fy) || std::abs(fx) > 2e9 || std::abs(fy) > 2e9) {
        ix[i] = INT64_MIN;
        ++bad;
        continue;
      }
      ix[i] = static_cast<std::int64_t>(fx);
      iy[i] = static_cast<std::int64_t>(fy);
      min_x = std::min(min_x, ix[i]);
      max_x = std::max(max_x, ix[i]);
      min_y = std::min(min_y, iy[i]);
      max_y = std::max(max_y, iy[i]);
    }
    unprojectable += bad;
    if (n > bad && (max_x - min_x >= (1 << kAxisBits) || max_y - min_y >= (1 << kAxisBits))) {
      errors[w] = InvalidArgument("the measurements of " + grid.operator_id + " " +
                                  std::string(ToString(grid.tech)) + " span more than " +
                                  std::to_string(1 << kAxisBits) +
                                  " cells along an axis; use a larger cell size");
      return;
    }
    std::vector<std::uint64_t> keys;
    keys.reserve(n - bad);
    for (std::size_t i = 0; i < n; ++i) {
      if (ix[i] == INT64_MIN) continue;
      keys.push_back((static_cast<std::uint64_t>(ix[i] - min_x) << 40) |
                     (static_cast<std::uint64_t>(iy[i] - min_y) << 16) |
                     static_cast<std::uint16_t>(g.dbm[i] + 32768));
    }
    g = Group{};  // release the inputs early
    ix = {};
    iy = {};
    RadixSort(keys);
    CellsFromSortedKeys(keys, min_x, min_y, params_.min_samples, params_.ThresholdsFor(grid.tech),
                        grid);
    // Keys sort by (ix - min_x, iy - min_y), the same order as CellKey(ix, iy).
    std::lock_guard lock(time_mu);
    project_s += tp;
    bin_s += Seconds(t0);
  });
  for (const Status& e : errors) {
    if (!e.ok()) return e;
  }
  groups_.clear();
  if (stats != nullptr) {
    stats->measurements_read = read_;
    stats->in_window = in_window;
    stats->unprojectable = unprojectable;
    stats->project_seconds = project_s;
    stats->bin_seconds = bin_s;
  }
  return grids;
}

}  // namespace covgap::geo
