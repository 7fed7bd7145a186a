// Stages of ingestion, one at a time: CSV parsing, protobuf conversion, validation, store commit.
//   build/bench/ingest_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "geo/model/measurement_rules.h"
#include "importers/measurement_csv.h"
#include "server/api/conversions.h"
#include "server/store/postgres_store.h"
#include "server/store/sqlite_store.h"

namespace {

using namespace covgap;

std::string MakeCsv(int rows) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> lat(21.1, 21.6), lon(105.9, 107.0);
  std::uniform_int_distribution<int> dbm(-125, -60);
  std::string csv = "operator,tech,lat,lon,signal_dbm,timestamp,source,device_id,accuracy_m\n";
  char line[200];
  for (int i = 0; i < rows; ++i) {
    std::snprintf(line, sizeof line,
                  "viettel,LTE,%.6f,%.6f,%d,2021-11-%02dT08:%02d:%02dZ,drive,dt-%d,4.5\n", lat(rng),
                  lon(rng), dbm(rng), 1 + i % 28, i % 60, (i / 60) % 60, i % 7);
    csv += line;
  }
  return csv;
}

std::vector<geo::Measurement> Parse(const std::string& csv) {
  auto reader = importers::MeasurementCsvReader::FromString(csv);
  std::vector<geo::Measurement> out;
  importers::CsvMeasurementChunk chunk;
  while (reader.value()->Next(chunk, 5000)) {
    for (auto& r : chunk.rows) out.push_back(r.measurement);
  }
  return out;
}

void BM_ParseCsv(benchmark::State& state) {
  const std::string csv = MakeCsv(100000);
  for (auto _ : state) {
    auto reader = importers::MeasurementCsvReader::FromString(csv);
    importers::CsvMeasurementChunk chunk;
    std::size_t n = 0;
    while (reader.value()->Next(chunk, 5000)) n += chunk.rows.size();
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations() * 100000);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(csv.size()));
}
BENCHMARK(BM_ParseCsv)->Unit(benchmark::kMillisecond);

void BM_ProtoRoundTrip(benchmark::State& state) {
  const auto rows = Parse(MakeCsv(5000));
  for (auto _ : state) {
    covgap::v1::MeasurementBatch batch;
    batch.set_batch_id("b");
    for (const auto& m : rows) api::ToProto(m, *batch.add_measurements());
    const std::string wire = batch.SerializeAsString();
    covgap::v1::MeasurementBatch back;
    back.ParseFromString(wire);
    geo::Measurement m;
    for (const auto& pm : back.measurements()) benchmark::DoNotOptimize(api::FromProto(pm, m));
  }
  state.SetItemsProcessed(state.iterations() * 5000);
}
BENCHMARK(BM_ProtoRoundTrip)->Unit(benchmark::kMillisecond);

void BM_Validate(benchmark::State& state) {
  const auto rows = Parse(MakeCsv(5000));
  const geo::MeasurementValidator v({}, {"mobifone", "viettel", "vnpt"});
  for (auto _ : state) {
    for (const auto& m : rows) benchmark::DoNotOptimize(v.Check(m, 1700000000000));
  }
  state.SetItemsProcessed(state.iterations() * 5000);
}
BENCHMARK(BM_Validate);

// Durable commits (fsync) of `rows_per_commit` rows in batches of 5000.
void BM_StoreCommit(benchmark::State& state) {
  const auto rows = Parse(MakeCsv(5000));
  const std::string dir = "/tmp/covgap_bench_store";
  std::filesystem::remove_all(dir);
  auto store = store::OpenSqliteStore(dir);
  const int batches = static_cast<int>(state.range(0)) / 5000;
  std::vector<store::BatchToStore> group(static_cast<std::size_t>(batches));
  for (auto& b : group) b.rows = rows;
  std::vector<const store::BatchToStore*> ptrs;
  for (const auto& b : group) ptrs.push_back(&b);
  int id = 0;
  for (auto _ : state) {
    for (auto& b : group) b.batch_id = "b" + std::to_string(id++);
    auto r = store.value()->CommitBatches(ptrs);
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
  }
  state.SetItemsProcessed(state.iterations() * batches * 5000);
  store.value().reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_StoreCommit)->Arg(5000)->Arg(100000)->Unit(benchmark::kMillisecond);

// The same on the PostgreSQL store (binary COPY, synchronous_commit on), in the database named by
// COVGAP_BENCH_PG (a conninfo URI; skipped when unset), e.g. on a throwaway cluster:
//   dir=$(mktemp -d); uri=$(scripts/pg_cluster.sh start $dir)
//   COVGAP_BENCH_PG=$uri build/bench/ingest_bench --benchmark_filter=Postgres
//   scripts/pg_cluster.sh stop $dir
void BM_PostgresStoreCommit(benchmark::State& state) {
  const char* conninfo = std::getenv("COVGAP_BENCH_PG");
  if (conninfo == nullptr || *conninfo == '\0') {
    state.SkipWithError("set COVGAP_BENCH_PG to a PostgreSQL URI to run this benchmark");
    for (auto _ : state) {
    }
    return;
  }
  auto store = store::OpenPostgresStore(conninfo);
  if (!store.ok()) {
    state.SkipWithError(store.status().message().c_str());
    for (auto _ : state) {
    }
    return;
  }
  const auto rows = Parse(MakeCsv(5000));
  const int batches = static_cast<int>(state.range(0)) / 5000;
  std::vector<store::BatchToStore> group(static_cast<std::size_t>(batches));
  for (auto& b : group) b.rows = rows;
  std::vector<const store::BatchToStore*> ptrs;
  for (const auto& b : group) ptrs.push_back(&b);
  // Batch ids unique across runs on the same database (a repeated id would be a no-op).
  const std::string run =
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  int id = 0;
  for (auto _ : state) {
    for (auto& b : group) b.batch_id = "bench-" + run + "-" + std::to_string(id++);
    auto r = store.value()->CommitBatches(ptrs);
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
  }
  state.SetItemsProcessed(state.iterations() * batches * 5000);
}
BENCHMARK(BM_PostgresStoreCommit)
    ->Arg(5000)
    ->Arg(100000)
    ->Arg(500000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
