// covgap's own UTM projection (Krüger series, geo/spatial/point_projector.cpp) against PROJ's
// pipeline for the same projection, WGS84 -> UTM 48N, on points spread over Bắc Giang, in bulk
// calls of 65,536 points as the grid builder makes them. Reports points per second.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "geo/spatial/point_projector.h"

namespace {

constexpr std::size_t kBatch = 65'536;

struct Points {
  std::vector<double> lon, lat, x, y;
  Points() : lon(kBatch), lat(kBatch), x(kBatch), y(kBatch) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> dlon(105.9, 107.0), dlat(21.1, 21.6);
    for (std::size_t i = 0; i < kBatch; ++i) {
      lon[i] = dlon(rng);
      lat[i] = dlat(rng);
    }
  }
};

void Run(benchmark::State& state, const std::string& crs, bool expect_fast) {
  auto projector = covgap::geo::PointProjector::Create(crs);
  if (!projector.ok() || projector.value()->fast_path() != expect_fast) {
    state.SkipWithError("unexpected projector");
    return;
  }
  Points p;
  for (auto _ : state) {
    projector.value()->Project(p.lon.data(), p.lat.data(), p.x.data(), p.y.data(), kBatch);
    benchmark::DoNotOptimize(p.x.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}

// EPSG:32648 takes the own series; the same projection spelled as PROJ text goes through PROJ.
void BM_OwnUtm(benchmark::State& state) { Run(state, "EPSG:32648", true); }
void BM_ProjUtm(benchmark::State& state) {
  Run(state, "+proj=utm +zone=48 +datum=WGS84 +units=m +no_defs +type=crs", false);
}
BENCHMARK(BM_OwnUtm)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ProjUtm)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
