// What both stores share, written once: the rows of runs, gaps, gap events and tokens (their
// columns, reading a row of either database, the values of a gap insert) and the gap-history rules
// of SaveAnalysis as SQL for either dialect. A row type has Text, Int, Real, IsNull and Bytes by
// column (SQLite's Statement; PgRow in postgres/store_impl.h). Internal to server/store/.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "geo/model/gap.h"
#include "server/store/store.h"

namespace covgap::store {

// The stored columns of a gap, in this order (wkb, and PostgreSQL's geom, come after them).
inline constexpr const char* kGapColumns =
    "gap_id, kind, operator_id, tech, severity, area_m2, n_cells, n_dead_cells, n_samples, "
    "median_dbm, min_dbm, province, district, commune, schools, students_nodev, poor_hh, "
    "npoor_hh, hardship_students, score, rank, status, plan, target_ms, analysed_ms, crs, "
    "cleared_ms, status_note, evidence, p_good, meas_share, grp_rank, common_id, contains";
inline constexpr int kGapColumnCount = 34;  // wkb is column kGapColumnCount when selected

inline constexpr const char* kGapEventColumns =
    "event_id, time_ms, gap_id, type, from_status, to_status, actor, note, operator_id, tech, "
    "kind, district";

inline constexpr const char* kTokenSelect =
    "SELECT token_id, secret_hash, role, operator_id, label, created_by, created_ms, revoked_ms, "
    "expires_ms FROM tokens";

// The gap in columns 0..33 of `row`, and its wkb from column 34 when selected.
template <typename Row>
geo::Gap ReadGap(const Row& row, bool with_wkb) {
  geo::Gap g;
  g.gap_id = row.Text(0);
  g.kind = static_cast<geo::GapKind>(row.Int(1));
  g.operator_id = row.Text(2);
  g.tech = static_cast<geo::Technology>(row.Int(3));
  g.severity = row.Real(4);
  g.area_m2 = row.Real(5);
  g.n_cells = row.Int(6);
  g.n_dead_cells = row.Int(7);
  g.n_samples = row.Int(8);
  g.median_dbm = row.Real(9);
  g.min_dbm = static_cast<int>(row.Int(10));
  g.province = row.Text(11);
  g.district = row.Text(12);
  g.commune = row.Text(13);
  g.schools = row.Int(14);
  g.students_nodev = row.Int(15);
  g.poor_hh = row.Int(16);
  g.npoor_hh = row.Int(17);
  g.hardship_students = row.Real(18);
  g.score = row.Real(19);
  g.rank = row.Int(20);
  g.status = row.Text(21);
  g.plan = row.Text(22);
  if (!row.IsNull(23)) g.target_ms = row.Int(23);
  g.analysed_ms = row.Int(24);
  g.crs = row.Text(25);
  if (!row.IsNull(26)) g.cleared_ms = row.Int(26);
  g.status_note = row.Text(27);
  g.evidence = geo::ParseEvidence(row.Text(28)).value_or(geo::Evidence::kMeasured);
  g.p_good = row.Real(29);
  g.meas_share = row.Real(30);
  g.grp_rank = row.Int(31);
  g.common_id = row.Text(32);
  g.contains = row.Text(33);
  if (with_wkb) g.wkb = row.Bytes(kGapColumnCount);
  return g;
}

// A gap event from the columns of kGapEventColumns.
template <typename Row>
GapEvent ReadGapEvent(const Row& row) {
  GapEvent e;
  e.event_id = row.Int(0);
  e.time_ms = row.Int(1);
  e.gap_id = row.Text(2);
  e.type = row.Text(3);
  e.from_status = row.Text(4);
  e.to_status = row.Text(5);
  e.actor = row.Text(6);
  e.note = row.Text(7);
  e.operator_id = row.Text(8);
  e.tech = static_cast<geo::Technology>(row.Int(9));
  e.kind = static_cast<geo::GapKind>(row.Int(10));
  e.district = row.Text(11);
  return e;
}

// A token from the columns of kTokenSelect.
template <typename Row>
TokenRecord ReadToken(const Row& row) {
  TokenRecord t;
  t.token_id = row.Text(0);
  t.secret_hash = row.Bytes(1);
  t.role = row.Text(2);
  t.operator_id = row.Text(3);
  t.label = row.Text(4);
  t.created_by = row.Text(5);
  t.created_ms = row.Int(6);
  if (!row.IsNull(7)) t.revoked_ms = row.Int(7);
  if (!row.IsNull(8)) t.expires_ms = row.Int(8);
  return t;
}

// An analysis run's summary row: the query (add ORDER BY/LIMIT) and the reader of its columns.
inline constexpr const char* kRunSelect =
    "SELECT run_id, started_ms, finished_ms, params_json, summary_json, measurements, gaps FROM "
    "analysis_runs";

template <typename Row>
AnalysisRun ReadRun(const Row& row) {
  AnalysisRun run;
  run.run_id = row.Int(0);
  run.started_ms = row.Int(1);
  run.finished_ms = row.Int(2);
  run.params_json = row.Text(3);
  run.summary_json = row.Text(4);
  run.measurements = static_cast<std::uint64_t>(row.Int(5));
  run.gaps = static_cast<std::uint64_t>(row.Int(6));
  return run;
}

// The values of kGapColumns in order, into any sink with Add for text, 64-bit integers, reals
// and optional integers (NULL when empty).
template <typename Sink>
void AddGapColumns(const geo::Gap& g, Sink& sink) {
  sink.Add(std::string_view(g.gap_id));
  sink.Add(static_cast<std::int64_t>(g.kind));
  sink.Add(std::string_view(g.operator_id));
  sink.Add(static_cast<std::int64_t>(g.tech));
  sink.Add(g.severity);
  sink.Add(g.area_m2);
  sink.Add(g.n_cells);
  sink.Add(g.n_dead_cells);
  sink.Add(g.n_samples);
  sink.Add(g.median_dbm);
  sink.Add(static_cast<std::int64_t>(g.min_dbm));
  sink.Add(std::string_view(g.province));
  sink.Add(std::string_view(g.district));
  sink.Add(std::string_view(g.commune));
  sink.Add(g.schools);
  sink.Add(g.students_nodev);
  sink.Add(g.poor_hh);
  sink.Add(g.npoor_hh);
  sink.Add(g.hardship_students);
  sink.Add(g.score);
  sink.Add(g.rank);
  sink.Add(std::string_view(g.status));
  sink.Add(std::string_view(g.plan));
  sink.Add(g.target_ms);
  sink.Add(g.analysed_ms);
  sink.Add(std::string_view(g.crs));
  sink.Add(g.cleared_ms);
  sink.Add(std::string_view(g.status_note));
  sink.Add(geo::ToString(g.evidence));
  sink.Add(g.p_good);
  sink.Add(g.meas_share);
  sink.Add(g.grp_rank);
  sink.Add(std::string_view(g.common_id));
  sink.Add(std::string_view(g.contains));
}

// The gap-history rules of SaveAnalysis (store.h; docs/gaps.md "Life cycle and verification"),
// for SQLite (?n placeholders) or PostgreSQL ($n). Parameters: 1 the new run's id, 2 the previous
// run's id; for NewGapEventsSql also 3 the event time and 4 the actor.
enum class SqlDialect { kSqlite, kPostgres };

// A gap whose id the previous run had keeps its status, plan, target date, cleared date and note.
std::string CarryLifecycleSql(SqlDialect d);
// One `new` event for each gap id the previous run did not have (run before KeepLifecycleGapsSql).
std::string NewGapEventsSql(SqlDialect d);
// Gaps of the previous run in the life cycle (not open) that no new gap took are carried into
// the new run unchanged, so that a planned or cleared gap never vanishes before it is verified or
// reopened. `extra_columns` follow wkb (PostgreSQL: ", geom").
std::string KeepLifecycleGapsSql(SqlDialect d, std::string_view extra_columns = "");

}  // namespace covgap::store
