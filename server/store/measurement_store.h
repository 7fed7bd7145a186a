// The store interface: everything covgapd keeps, behind one seam.
//
// Two implementations are planned: an embedded SQLite file (sqlite_store.h, the default) and
// PostgreSQL/PostGIS for deployments with several covgapd replicas. Both must pass the same
// conformance tests (tests/store/). The store speaks domain types only, never protobuf.
//
// Contract of CommitBatches: the batches of one call are stored in one transaction that is durable
// (fsync'd) before the call returns; a batch whose id is already stored, or appears earlier in the
// same call, is a duplicate and changes nothing. Device ids are stored only as keyed hashes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "geo/measurement.h"
#include "geo/status.h"

namespace covgap::store {

struct BatchToStore {
  std::string batch_id;
  std::uint32_t rejected = 0;  // rows of the batch that failed validation (kept for the record)
  std::vector<geo::Measurement> rows;  // the valid rows
};

enum class BatchOutcome { kStored, kDuplicate };

struct MeasurementCount {
  std::string operator_id;
  geo::Technology tech = geo::Technology::kLte;
  std::uint64_t count = 0;
  std::int64_t first_time_ms = 0;
  std::int64_t last_time_ms = 0;
};

struct StoreStats {
  std::vector<MeasurementCount> counts;  // ordered by operator, then technology
  std::uint64_t total = 0;
  std::uint64_t batches = 0;
};

// Columns of stored measurements of one operator and technology, as the analysis reads them.
// Positions in 1e-7 degrees (about 1 cm), device ids as 64-bit keyed hashes (0 = none), optional
// figures NaN when absent.
struct MeasurementColumns {
  std::vector<std::int32_t> lat_e7;
  std::vector<std::int32_t> lon_e7;
  std::vector<std::int64_t> time_ms;
  std::vector<std::int16_t> signal_dbm;
  std::vector<std::uint8_t> source;
  std::vector<std::uint64_t> device_hash;
  std::vector<float> accuracy_m;
  std::vector<float> quality_db;
  std::vector<float> sinr_db;
  std::vector<float> dl_kbps;
  std::size_t size() const { return signal_dbm.size(); }
};

struct MeasurementChunk {
  std::string operator_id;
  geo::Technology tech = geo::Technology::kLte;
  MeasurementColumns columns;
};

struct ScanFilter {
  std::string operator_id;                // empty = all
  std::int64_t from_time_ms = INT64_MIN;  // chunks entirely outside [from, to] are skipped
  std::int64_t to_time_ms = INT64_MAX;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual StatusOr<std::vector<BatchOutcome>> CommitBatches(
      std::span<const BatchToStore* const> batches) = 0;

  virtual StatusOr<StoreStats> Stats() = 0;

  // Registered operator ids, sorted.
  virtual StatusOr<std::vector<std::string>> Operators() = 0;
  virtual Status RegisterOperator(const std::string& operator_id, const std::string& name) = 0;

  // Calls `visit` for each stored chunk matching the filter, from one consistent snapshot. Rows
  // within a chunk may still lie outside the filter's time range: callers filter rows.
  virtual Status Scan(const ScanFilter& filter,
                      const std::function<void(const MeasurementChunk&)>& visit) = 0;
};

// Operators registered in a new store: the licensed mobile operators of Vietnam.
inline const std::vector<std::pair<std::string, std::string>>& DefaultOperators() {
  static const std::vector<std::pair<std::string, std::string>> kOperators = {
      {"viettel", "Viettel"},           {"vnpt", "VNPT VinaPhone"}, {"mobifone", "MobiFone"},
      {"vietnamobile", "Vietnamobile"}, {"gmobile", "Gmobile"},     {"itel", "Itel"}};
  return kOperators;
}

}  // namespace covgap::store
