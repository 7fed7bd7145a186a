// The store interface: everything covgapd keeps, behind one seam: measurements, the registry
// (areas, schools, households, operators' sites, operators) and analysis runs with their gaps.
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
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "geo/base/status.h"
#include "geo/model/gap.h"
#include "geo/model/measurement.h"
#include "geo/model/school_coverage.h"
#include "geo/model/site.h"

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

// The registry counted: areas by level, schools, households, sites per operator and technology
// (ordered), the registered operators.
struct RegistryCounts {
  std::uint64_t provinces = 0, districts = 0, communes = 0;
  std::uint64_t schools = 0, households = 0;
  std::map<std::pair<std::string, geo::Technology>, std::uint64_t> sites;
  std::vector<std::string> operators;
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

struct UpsertCounts {
  std::uint64_t inserted = 0;
  std::uint64_t updated = 0;
};

// One analysis run: when, with which parameters (a JSON object as text), on how much data.
struct AnalysisRun {
  std::int64_t run_id = 0;
  std::int64_t started_ms = 0;
  std::int64_t finished_ms = 0;
  std::string params_json;
  std::string summary_json;  // per-grid class counts and stage timings
  std::uint64_t measurements = 0;
  std::uint64_t gaps = 0;
};

// kTodo: an operator's to-do list, common gaps first, then by score (highest first), then id.
enum class GapOrder { kRank, kScore, kArea, kTodo };

struct GapQuery {
  std::string operator_id;  // empty = any
  std::optional<geo::Technology> tech;
  std::optional<geo::GapKind> kind;
  std::string district;  // exact name, or the name without its prefix ("Lục Ngạn")
  std::string status;
  double min_score = -1e300;
  GapOrder order = GapOrder::kScore;
  std::uint64_t offset = 0;
  std::uint64_t limit = 100;
  bool with_geometry = false;
  bool include_common = false;  // with operator_id: the common gaps match too
  // One row per place: an operator gap whose common gap (common_id) also matches is left out.
  bool grouped = false;
  // Which run's gaps: 0 = the latest. The baseline (first) run keeps its gaps when old runs are
  // pruned (FirstRun()); other runs keep theirs only while among the most recent.
  std::int64_t run_id = 0;
};

// An access token as stored: never its secret, only the secret's SHA-256.
struct TokenRecord {
  std::string token_id;     // public part, e.g. "3f9a1c0b2d4e"
  std::string secret_hash;  // SHA-256 of the secret part (32 bytes)
  std::string role;         // authority | operator | viewer
  std::string operator_id;  // operators only
  std::string label;
  std::string created_by;  // who made it (a token id or "covgapd")
  std::int64_t created_ms = 0;
  std::optional<std::int64_t> revoked_ms;
  std::optional<std::int64_t> expires_ms;  // refused from this moment on; none: never expires
};

// One line of the audit trail: who did what, when.
struct AuditEntry {
  std::int64_t id = 0;  // increasing
  std::int64_t time_ms = 0;
  std::string actor;    // e.g. "authority (tok_3f9a1c0b2d4e)"
  std::string action;   // e.g. "token.create", "import.schools", "analysis.run"
  std::string target;   // what it acted on
  std::string details;  // a JSON object
};

// One change in a gap's life cycle (docs/gaps.md "Life cycle and verification"). type: new,
// planned, cleared, awaiting_measurement, verified, reopened. from_status is empty for `new`.
struct GapEvent {
  std::int64_t event_id = 0;  // increasing, assigned by the store
  std::int64_t time_ms = 0;
  std::string gap_id;
  std::string type;
  std::string from_status;
  std::string to_status;
  std::string actor;  // Caller::Describe(), or "covgapd (analysis run N)"
  std::string note;
  std::string operator_id;  // the gap's (empty for common gaps)
  geo::Technology tech = geo::Technology::kLte;
  geo::GapKind kind = geo::GapKind::kOperator;
  std::string district;
};

// A compare-and-set change of a gap's life-cycle fields in the latest run.
struct GapStateChange {
  std::string gap_id;
  std::string expected_status;  // the change fails unless the gap still has this status
  std::string new_status;
  std::string plan;
  std::optional<std::int64_t> target_ms;
  std::optional<std::int64_t> cleared_ms;
  std::string status_note;
  GapEvent event;  // appended in the same transaction (gap fields, id and time filled in)
};

// Held while an analysis runs; releasing it (destruction) lets the next one start.
class AnalysisLease {
 public:
  virtual ~AnalysisLease() = default;
};

// Coordination of the covgapd processes sharing one store (docs/deployment.md).
class StoreCoordination {
 public:
  virtual ~StoreCoordination() = default;

  // The store-wide analysis lock: one analysis at a time over every covgapd process using this
  // store. With wait = false, returns nullptr at once when another holder has it; with wait =
  // true, blocks until it is free. The embedded store is used by one process only (its lock
  // file), so an in-process lock is enough there; a shared database uses a database lock.
  virtual StatusOr<std::unique_ptr<AnalysisLease>> AcquireAnalysisLock(bool wait) = 0;

  // Registers `changed`, called from a store thread whenever another process sharing the store
  // has appended gap events or stored an analysis (so watch streams wake at once). The embedded
  // store has no other process and never calls it. At most one callback; call before serving.
  // By value: an implementation keeps the callback (moves it into its listener thread).
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  virtual void OnExternalChange(std::function<void()> changed) { (void)changed; }
};

// Measurements: durable batches (idempotent by batch id), counts, scans.
class MeasurementStore {
 public:
  virtual ~MeasurementStore() = default;

  virtual StatusOr<std::vector<BatchOutcome>> CommitBatches(
      std::span<const BatchToStore* const> batches) = 0;

  virtual StatusOr<StoreStats> Stats() = 0;

  // Calls `visit` for each stored chunk matching the filter, from one consistent snapshot. Rows
  // within a chunk may still lie outside the filter's time range: callers filter rows.
  virtual Status Scan(const ScanFilter& filter,
                      const std::function<void(const MeasurementChunk&)>& visit) = 0;
};

// The registry: operators, administrative areas, schools, households, sites.
class RegistryStore {
 public:
  virtual ~RegistryStore() = default;

  // Registered operator ids, sorted.
  virtual StatusOr<std::vector<std::string>> Operators() = 0;
  virtual Status RegisterOperator(const std::string& operator_id, const std::string& name) = 0;

  // Registry. Areas are keyed by (level, code), schools by school_id, households by
  // household_id; an import updates what it names and adds the rest.
  virtual StatusOr<UpsertCounts> UpsertAreas(const std::vector<geo::AdminArea>& areas) = 0;
  virtual StatusOr<std::vector<geo::AdminArea>> Areas() = 0;
  virtual StatusOr<UpsertCounts> UpsertSchools(const std::vector<geo::School>& schools) = 0;
  virtual StatusOr<std::vector<geo::School>> Schools() = 0;
  virtual StatusOr<UpsertCounts> UpsertHouseholds(
      const std::vector<geo::Household>& households) = 0;
  virtual StatusOr<std::vector<geo::Household>> Households() = 0;
  // Operators' sites, keyed by site_id (unique over all operators: a site imported again under
  // another operator moves to it). Read ordered by operator, technology (geo::Technology's
  // order: GSM, UMTS, LTE, NR), site_id.
  virtual StatusOr<UpsertCounts> UpsertSites(const std::vector<geo::Site>& sites) = 0;
  virtual StatusOr<std::vector<geo::Site>> Sites() = 0;
};

// Analysis runs, their gaps and per-school coverage.
class RunStore {
 public:
  virtual ~RunStore() = default;

  // Stores a finished run and its gaps in one transaction: readers see the previous run until
  // it commits, then only the new one. A gap whose id the previous run had keeps its status,
  // plan, target date, cleared date and status note. A `new` gap event is appended for each gap
  // id the previous run did not have. Gaps of the previous run whose status is not `open` and
  // whose id no new gap took are carried into the new run unchanged (geometry and figures of
  // their last analysis), so a planned or cleared gap never vanishes before it is verified or
  // reopened. Returns the run id.
  // The per-school coverage records are stored with the run and pruned with its gaps.
  virtual StatusOr<std::int64_t> SaveAnalysis(const AnalysisRun& run,
                                              const std::vector<geo::Gap>& gaps,
                                              const std::vector<geo::SchoolCoverage>& schools) = 0;
  StatusOr<std::int64_t> SaveAnalysis(const AnalysisRun& run, const std::vector<geo::Gap>& gaps) {
    return SaveAnalysis(run, gaps, {});
  }
  // The latest run, if any.
  virtual StatusOr<std::optional<AnalysisRun>> LatestRun() = 0;
  // The first run ever stored (the baseline of the progress report), if any. Its gaps are never
  // pruned.
  virtual StatusOr<std::optional<AnalysisRun>> FirstRun() = 0;
  // Gaps of the latest run (or of query.run_id) matching the query, and how many match in all
  // (before paging).
  virtual StatusOr<std::pair<std::vector<geo::Gap>, std::uint64_t>> ListGaps(
      const GapQuery& query) = 0;
  virtual StatusOr<geo::Gap> GetGap(const std::string& gap_id) = 0;

  // The per-school coverage records of the latest run, by school id, operator, technology
  // (empty when there is no run).
  virtual StatusOr<std::vector<geo::SchoolCoverage>> LatestSchoolCoverage() = 0;
};

// The gap life cycle: state changes and their events.
class LifecycleStore {
 public:
  virtual ~LifecycleStore() = default;

  // Gap life cycle. UpdateGapState sets status, plan, target, cleared date and note of the latest
  // run's gap and appends the event, atomically, only if the gap's status is still
  // change.expected_status: FAILED_PRECONDITION when it is not (someone changed it meanwhile),
  // NOT_FOUND for an unknown id. Returns the updated gap (with geometry) and sets the stored
  // event's id and time in `event_out` when given.
  virtual StatusOr<geo::Gap> UpdateGapState(const GapStateChange& change,
                                            GapEvent* event_out = nullptr) = 0;
  // Events with event_id > after_id, oldest first, at most `limit`; only `gap_id`'s when given.
  virtual StatusOr<std::vector<GapEvent>> ListGapEvents(std::int64_t after_id, std::uint64_t limit,
                                                        const std::string& gap_id = {}) = 0;
};

// Access tokens and the audit trail (server/access_control.h, server/audit_trail.h).
class AccessStore {
 public:
  virtual ~AccessStore() = default;

  // Access tokens (server/access_control.h).
  virtual Status CreateToken(const TokenRecord& token) = 0;
  virtual StatusOr<std::optional<TokenRecord>> FindToken(const std::string& token_id) = 0;
  virtual StatusOr<std::vector<TokenRecord>> ListTokens() = 0;
  // False when there is no such token or it was revoked already.
  virtual StatusOr<bool> RevokeToken(const std::string& token_id, std::int64_t when_ms) = 0;

  // The audit trail: appended durably, read newest first.
  virtual Status AppendAudit(const AuditEntry& entry) = 0;
  virtual StatusOr<std::vector<AuditEntry>> ListAudit(std::uint64_t limit) = 0;
};

// The whole store: every role above, implemented by the embedded SQLite store
// (sqlite_store.h) and by PostgreSQL (postgres_store.h), checked by one conformance suite
// (tests/store/store_conformance_test.cpp). Code that needs one concern takes its interface.
class Store : public StoreCoordination,
              public MeasurementStore,
              public RegistryStore,
              public RunStore,
              public LifecycleStore,
              public AccessStore {
 public:
  ~Store() override = default;
};

// Operators registered in a new store: the licensed mobile operators of Vietnam.
inline const std::vector<std::pair<std::string, std::string>>& DefaultOperators() {
  static const std::vector<std::pair<std::string, std::string>> kOperators = {
      {"viettel", "Viettel"},           {"vnpt", "VNPT VinaPhone"}, {"mobifone", "MobiFone"},
      {"vietnamobile", "Vietnamobile"}, {"gmobile", "Gmobile"},     {"itel", "Itel"}};
  return kOperators;
}

}  // namespace covgap::store
