// Analysis benchmark: N synthetic measurements stored in a fresh SQLite store, then one analysis
// (scan + grid + gaps + attribution + ranking) timed stage by stage, with peak RSS.
//   build/bench/analysis_bench [N ...]        (default 1000000 10000000)
//   build/bench/analysis_bench --csv FILE ...  measurements from CSV files instead (e.g. the demo
//                                              generator's output, scripts/bench_analysis.sh)
//   --areas DIR        attribute gaps to DIR/{province,districts,communes}.geojson
//   --schools FILE --households FILE   join the generator's schools and households
//   --sites FILE       the operators' sites (CSV of docs/importing.md "Sites")
//   --method M         binned (default) | predicted | hybrid (docs/prediction.md)
//   --validate         also run the spatial block cross-validation (--folds K, --block-km B)
// The synthetic field: three operators x LTE/UMTS over Bắc Giang's bounding box, signal falling
// with distance to a regular lattice of sites plus a smooth "terrain" term toward the east, so
// that a realistic share of cells is weak or dead. Positions cluster along lines ("roads").
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "geo/base/parallel.h"
#include "geo/base/time_format.h"
#include "geo/gaps/gap_analysis.h"
#include "geo/prediction/validation.h"
#include "importers/area_reader.h"
#include "importers/measurement_csv.h"
#include "importers/place_reader.h"
#include "server/store/sqlite_store.h"

namespace {

using namespace covgap;

double PeakRssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

void Fill(store::Store& store, std::size_t n, std::int64_t as_of) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> noise(0, 6);
  const char* ops[] = {"viettel", "vnpt", "mobifone"};
  const geo::Technology techs[] = {geo::Technology::kLte, geo::Technology::kUmts};
  const std::size_t batch_rows = 50000;
  std::size_t done = 0;
  int batch_no = 0;
  while (done < n) {
    std::vector<store::BatchToStore> batches(6);
    for (int k = 0; k < 6; ++k) {
      batches[k].batch_id = "bench-" + std::to_string(batch_no) + "-" + std::to_string(k);
    }
    const std::size_t rows = std::min(batch_rows, n - done);
    for (std::size_t i = 0; i < rows; ++i) {
      const int k = static_cast<int>(rng() % 6);
      geo::Measurement m;
      m.operator_id = ops[k / 2];
      m.tech = techs[k % 2];
      // Half on "roads" (lines of constant latitude), half anywhere.
      m.lon = 105.9 + 1.1 * u(rng);
      m.lat = u(rng) < 0.5 ? 21.15 + 0.05 * static_cast<int>(u(rng) * 9) + 0.0005 * u(rng)
                           : 21.12 + 0.5 * u(rng);
      const double site_spacing = 0.03 + 0.01 * (k / 2);
      const double dx = std::fmod(m.lon, site_spacing) - site_spacing / 2;
      const double dy = std::fmod(m.lat, site_spacing) - site_spacing / 2;
      const double d_km = std::max(0.05, std::hypot(dx, dy) * 111.0);
      const double terrain = std::max(0.0, (m.lon - 106.4) * 30.0);
      double dbm = -60 - 35 * std::log10(d_km / 0.05) - terrain + noise(rng);
      if (m.tech == geo::Technology::kUmts) dbm += 8;
      m.signal_dbm = static_cast<int>(std::clamp(std::round(dbm), -140.0, -44.0));
      m.time_ms = as_of - static_cast<std::int64_t>(u(rng) * 300 * 86400000.0);
      m.source = geo::Source::kDrive;
      batches[k].rows.push_back(std::move(m));
    }
    std::vector<const store::BatchToStore*> ptrs;
    for (const auto& b : batches) ptrs.push_back(&b);
    auto r = store.CommitBatches(ptrs);
    if (!r.ok()) {
      std::fprintf(stderr, "commit failed: %s\n", r.status().message().c_str());
      std::exit(1);
    }
    done += rows;
    ++batch_no;
  }
}

std::size_t FillFromCsv(store::Store& store, const std::string& path) {
  auto reader = importers::MeasurementCsvReader::Open(path);
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", reader.status().message().c_str());
    std::exit(1);
  }
  importers::CsvMeasurementChunk chunk;
  std::size_t n = 0;
  int batch_no = 0;
  while (reader.value()->Next(chunk, 50000)) {
    store::BatchToStore batch;
    batch.batch_id = "csv-" + std::to_string(batch_no++);
    for (const auto& row : chunk.rows) {
      if (!row.rejection) batch.rows.push_back(row.measurement);
    }
    n += batch.rows.size();
    const store::BatchToStore* ptr = &batch;
    if (auto r = store.CommitBatches({&ptr, 1}); !r.ok()) {
      std::fprintf(stderr, "commit failed: %s\n", r.status().message().c_str());
      std::exit(1);
    }
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes;
  std::vector<std::string> csvs;
  geo::AnalysisInputs inputs;
  int tile_cells = 0;
  unsigned threads = 0;
  std::string store_dir;  // kept between runs: filled once, reused after
  bool fill_only = false;
  bool validate = false;
  geo::AnalysisMethod method = geo::AnalysisMethod::kBinned;
  geo::prediction::ValidationOptions validation;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--tile-cells" && i + 1 < argc) {
      tile_cells = std::stoi(argv[++i]);
    } else if (arg == "--threads" && i + 1 < argc) {
      threads = static_cast<unsigned>(std::stoul(argv[++i]));
    } else if (arg == "--store" && i + 1 < argc) {
      store_dir = argv[++i];
    } else if (arg == "--sites" && i + 1 < argc) {
      auto sites = importers::ReadSites(argv[++i]);
      if (!sites.ok()) {
        std::fprintf(stderr, "%s\n", sites.status().message().c_str());
        return 1;
      }
      inputs.sites = std::move(sites->sites);
    } else if (arg == "--method" && i + 1 < argc) {
      const auto m = geo::ParseAnalysisMethod(argv[++i]);
      if (!m) {
        std::fprintf(stderr, "--method takes binned, predicted or hybrid\n");
        return 2;
      }
      method = *m;
    } else if (arg == "--validate") {
      validate = true;
    } else if (arg == "--folds" && i + 1 < argc) {
      validation.folds = std::stoi(argv[++i]);
    } else if (arg == "--block-km" && i + 1 < argc) {
      validation.block_km = std::stod(argv[++i]);
    } else if (arg == "--fill-only") {
      fill_only = true;
    } else if (arg == "--csv" && i + 1 < argc) {
      csvs.push_back(argv[++i]);
      sizes.push_back(0);
    } else if (arg == "--areas" && i + 1 < argc) {
      const std::string dir = argv[++i];
      for (auto [file, level] : {std::pair{"province", geo::AreaLevel::kProvince},
                                 std::pair{"districts", geo::AreaLevel::kDistrict},
                                 std::pair{"communes", geo::AreaLevel::kCommune}}) {
        importers::AreaReadOptions options;
        options.level = level;
        auto areas = importers::ReadAreas(dir + "/" + file + ".geojson", options);
        if (!areas.ok()) {
          std::fprintf(stderr, "%s\n", areas.status().message().c_str());
          return 1;
        }
        for (auto& a : areas->areas) inputs.areas.push_back(std::move(a));
      }
    } else if (arg == "--schools" && i + 1 < argc) {
      auto schools = importers::ReadSchools(argv[++i]);
      if (!schools.ok()) return 1;
      inputs.schools = std::move(schools->schools);
    } else if (arg == "--households" && i + 1 < argc) {
      auto households = importers::ReadHouseholds(argv[++i]);
      if (!households.ok()) return 1;
      inputs.households = std::move(households->households);
    } else {
      sizes.push_back(std::stoull(argv[i]));
    }
  }
  if (sizes.empty()) sizes = {1000000, 10000000};
  std::size_t csv_index = 0;
  const std::int64_t as_of = *geo::ParseIso8601("2021-12-01T00:00:00Z");
  for (std::size_t n : sizes) {
    const std::string csv = n == 0 ? csvs[csv_index++] : "";
    const std::string dir = !store_dir.empty() ? store_dir + "_" + std::to_string(csv_index)
                                               : "/tmp/covgap_analysis_bench_" + std::to_string(n) +
                                                     "_" + std::to_string(csv_index);
    const bool reuse = !store_dir.empty() && std::filesystem::exists(dir + "/filled");
    if (!reuse) std::filesystem::remove_all(dir);
    auto store = store::OpenSqliteStore(dir);
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().message().c_str());
      return 1;
    }
    auto t0 = std::chrono::steady_clock::now();
    if (reuse) {
      n = 0;
      (void)store.value()->Scan(
          {}, [&](const store::MeasurementChunk& c) { n += c.columns.signal_dbm.size(); });
    } else if (csv.empty()) {
      Fill(*store.value(), n, as_of);
    } else {
      n = FillFromCsv(*store.value(), csv);
    }
    if (!store_dir.empty()) std::ofstream(dir + "/filled") << n << "\n";
    const double fill_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (fill_only) {
      std::printf("%s: %zu measurements stored in %s in %.1f s\n",
                  csv.empty() ? "synthetic" : csv.c_str(), n, dir.c_str(), fill_s);
      continue;
    }

    geo::AnalysisParams params;
    params.as_of_ms = as_of;
    params.tile_cells = tile_cells;
    params.threads = threads;
    params.method = method;
    geo::MeasurementSource source = [&](const auto& visit) {
      return store.value()->Scan({}, [&](const store::MeasurementChunk& c) {
        visit(geo::MeasurementBlock{c.operator_id, c.tech, c.columns.lat_e7, c.columns.lon_e7,
                                    c.columns.time_ms, c.columns.signal_dbm});
      });
    };
    t0 = std::chrono::steady_clock::now();
    auto result = geo::RunGapAnalysis(source, inputs, params);
    const double total =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!result.ok()) {
      std::fprintf(stderr, "analysis failed: %s\n", result.status().message().c_str());
      return 1;
    }
    std::uint64_t cells = 0, gap_cells = 0;
    for (const auto& g : result->grids) {
      if (g.operator_id.empty()) continue;
      cells += g.good + g.weak + g.dead + g.unmeasured;
      gap_cells += g.weak + g.dead;
    }
    // A digest of every gap's id, cells, polygon, figures and rank: equal digests = equal gaps.
    std::uint64_t digest = 1469598103934665603ull;
    auto mix = [&](std::string_view bytes) {
      for (unsigned char ch : bytes) digest = (digest ^ ch) * 1099511628211ull;
    };
    for (const auto& g : result->gaps) {
      mix(g.gap_id);
      mix(g.wkb);
      mix(std::to_string(g.n_cells) + "/" + std::to_string(g.n_samples) + "/" +
          std::to_string(g.median_dbm) + "/" + std::to_string(g.score) + "/" +
          std::to_string(g.rank) + "/" + g.district + "/" + g.commune);
    }
    std::printf(
        "%s: analysis of %zu measurements (tile cells %d, threads %u): %.2f s total "
        "(%.0f measurements/s); ",
        csv.empty() ? "synthetic" : csv.c_str(), n, tile_cells, geo::ResolveThreads(threads), total,
        static_cast<double>(n) / total);
    for (const auto& s : result->stages) std::printf("%s %.3f s, ", s.stage.c_str(), s.seconds);
    std::printf(
        "project %.3f s + bin %.3f s (thread time); %zu gaps, %llu cells, %llu gap cells; "
        "peak RSS %.0f MiB; store filled in %.1f s; gaps digest %016llx\n",
        result->grid_stats.project_seconds, result->grid_stats.bin_seconds, result->gaps.size(),
        static_cast<unsigned long long>(cells), static_cast<unsigned long long>(gap_cells),
        PeakRssMiB(), fill_s, static_cast<unsigned long long>(digest));
    for (const auto& m : result->models) {
      std::printf(
          "  model %s %s: %llu sites, %llu cells fitted, a %+.2f dB, b %+.2f dB/decade, %u site "
          "offsets, residual sd %.2f dB, tau %.2f dB, variogram nugget %.1f psill %.1f range "
          "%.0f m\n",
          m.operator_id.c_str(), std::string(geo::ToString(m.tech)).c_str(),
          static_cast<unsigned long long>(m.sites), static_cast<unsigned long long>(m.fit_points),
          m.intercept_db, m.slope_db, m.sites_with_offset, m.residual_sd_db, m.within_cell_sd_db,
          m.variogram.nugget, m.variogram.partial_sill, m.variogram.range_m);
    }
    if (validate) {
      geo::GridBuilder builder(params);
      (void)source([&](const geo::MeasurementBlock& b) { builder.Add(b); });
      auto grids = builder.Build();
      if (!grids.ok()) return 1;
      const auto tv = std::chrono::steady_clock::now();
      auto v = geo::prediction::ValidatePrediction(grids.value(), inputs.sites, params, validation);
      if (!v.ok()) {
        std::fprintf(stderr, "validation failed: %s\n", v.status().message().c_str());
        return 1;
      }
      std::printf("  validation (%d folds, %.1f km blocks) in %.1f s:\n", validation.folds,
                  validation.block_km,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - tv).count());
      for (const auto& g : v.value()) {
        for (const auto* m : {&g.model, &g.baseline}) {
          std::printf(
              "    %-9s %-4s %-9s cells %6llu rmse %5.2f bias %+5.2f in1s %4.1f%% in2s %4.1f%% "
              "dead P/R %4.1f%%/%4.1f%% notgood P/R %4.1f%%/%4.1f%%\n",
              g.operator_id.c_str(), std::string(geo::ToString(g.tech)).c_str(),
              m == &g.model ? "hybrid" : "baseline", static_cast<unsigned long long>(m->cells),
              m->rmse_db, m->bias_db, 100 * m->within_1sigma, 100 * m->within_2sigma,
              100 * m->dead_precision(), 100 * m->dead_recall(), 100 * m->notgood_precision(),
              100 * m->notgood_recall());
        }
      }
    }
    std::fflush(stdout);
    store.value().reset();
    if (store_dir.empty()) std::filesystem::remove_all(dir);
  }
  return 0;
}
