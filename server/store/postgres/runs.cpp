// PostgreSQL store: analysis runs, their gaps (with the gap-history rules of row_mapping.h) and
// per-school coverage.
#include <algorithm>
#include <cstdint>

#include "server/store/postgres/store_impl.h"
#include "server/store/row_mapping.h"

namespace covgap::store::postgres {
namespace {

// Gaps of this many most recent runs are kept (older runs keep their summary row).
constexpr int kRunsWithGaps = 5;

// "EPSG:32648" -> 32648; 0 (unknown) otherwise.
int SridOf(const std::string& crs) {
  if (!crs.starts_with("EPSG:")) return 0;
  int srid = 0;
  for (char c : crs.substr(5)) {
    if (c < '0' || c > '9' || srid > 1000000) return 0;
    srid = srid * 10 + (c - '0');
  }
  return srid;
}

}  // namespace

StatusOr<std::int64_t> PostgresStore::SaveAnalysis(
    const AnalysisRun& run, const std::vector<geo::Gap>& gaps,
    const std::vector<geo::SchoolCoverage>& schools) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  PgConn& c = **conn;
  auto txn = PgTxn::Begin(c);
  if (!txn.ok()) return txn.status();
  if (Status s = c.Exec(LockSql("pg_advisory_xact_lock", kGapsLock)); !s.ok()) return s;
  auto prev = c.Query("SELECT coalesce(max(run_id), 0) FROM analysis_runs");
  if (!prev.ok()) return prev.status();
  const std::int64_t previous = prev->Int(0, 0);
  auto ins = c.Query(
      "INSERT INTO analysis_runs(started_ms, finished_ms, params_json, summary_json, "
      "measurements, gaps) VALUES($1, $2, $3, $4, $5, $6) RETURNING run_id",
      PgParams()
          .Add(run.started_ms)
          .Add(run.finished_ms)
          .Add(run.params_json)
          .Add(run.summary_json)
          .Add(static_cast<std::int64_t>(run.measurements))
          .Add(static_cast<std::int64_t>(gaps.size())));
  if (!ins.ok()) return ins.status();
  const std::int64_t run_id = ins->Int(0, 0);
  const std::string insert_gap =
      "INSERT INTO gaps(run_id, " + std::string(kGapColumns) +
      ", wkb, geom) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
      "$16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, "
      "$33, $34, $35, $36, covgap_geom($36, $37))";
  for (const geo::Gap& g : gaps) {
    PgParams p;
    p.Add(run_id);
    AddGapColumns(g, p);
    p.AddBytes(g.wkb).Add(SridOf(g.crs));
    if (auto r = c.Query(insert_gap, p); !r.ok()) return r.status();
  }
  if (previous > 0) {
    auto carry =
        c.Query(CarryLifecycleSql(SqlDialect::kPostgres), PgParams().Add(run_id).Add(previous));
    if (!carry.ok()) return carry.status();
  }
  // Ids the previous run did not have are new gaps: one `new` event each (before the
  // carry-over below, which only brings back ids the previous run had).
  auto fresh = c.Query(NewGapEventsSql(SqlDialect::kPostgres),
                       PgParams()
                           .Add(run_id)
                           .Add(previous)
                           .Add(run.finished_ms)
                           .Add("covgapd (analysis run " + std::to_string(run_id) + ")"));
  if (!fresh.ok()) return fresh.status();
  if (previous > 0) {
    // A gap in the life cycle (not open) that no new gap matched stays, unchanged, until it
    // is verified or reopened; an id a new gap took already is not duplicated.
    auto keep = c.Query(KeepLifecycleGapsSql(SqlDialect::kPostgres, ", geom"),
                        PgParams().Add(run_id).Add(previous));
    if (!keep.ok()) return keep.status();
  }
  // Gaps of the kRunsWithGaps most recent runs stay, and the first run's (the baseline of the
  // progress report).
  const std::string older = "(SELECT run_id FROM analysis_runs ORDER BY run_id DESC OFFSET " +
                            std::to_string(kRunsWithGaps) + ")";
  if (Status s = c.Exec("DELETE FROM gaps WHERE run_id IN " + older +
                        " AND run_id <> (SELECT min(run_id) FROM analysis_runs)");
      !s.ok()) {
    return s;
  }
  for (const geo::SchoolCoverage& sc : schools) {
    PgParams p;
    p.Add(run_id).Add(sc.school_id).Add(sc.operator_id).Add(static_cast<int>(sc.tech));
    p.Add(static_cast<int>(sc.indoor_class)).Add(sc.samples);
    if (std::isnan(sc.median_dbm)) {
      p.AddNull();
    } else {
      p.Add(sc.median_dbm);
    }
    AddOptional(p, sc.nearest_good_m);
    AddOptional(p, sc.predicted_dbm);
    AddOptional(p, sc.sigma_db);
    AddOptional(p, sc.p_good_indoor);
    auto r = c.Query(
        "INSERT INTO school_coverage VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON "
        "CONFLICT (run_id, school_id, operator_id, tech) DO UPDATE SET indoor_class = "
        "excluded.indoor_class, samples = excluded.samples, median_dbm = excluded.median_dbm, "
        "nearest_good_m = excluded.nearest_good_m, predicted_dbm = excluded.predicted_dbm, "
        "sigma_db = excluded.sigma_db, p_good_indoor = excluded.p_good_indoor",
        p);
    if (!r.ok()) return r.status();
  }
  if (Status s = c.Exec("DELETE FROM school_coverage WHERE run_id IN " + older); !s.ok()) {
    return s;
  }
  if (Status s = Notify(c); !s.ok()) return s;
  if (Status s = txn->Commit(); !s.ok()) return s;
  return run_id;
}

StatusOr<std::optional<AnalysisRun>> PostgresStore::LatestRun() {
  return OneRun(std::string(kRunSelect) + " ORDER BY run_id DESC LIMIT 1");
}

StatusOr<std::optional<AnalysisRun>> PostgresStore::FirstRun() {
  return OneRun(std::string(kRunSelect) + " ORDER BY run_id LIMIT 1");
}

StatusOr<std::pair<std::vector<geo::Gap>, std::uint64_t>> PostgresStore::ListGaps(
    const GapQuery& query) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  PgConn& c = **conn;
  auto txn = PgTxn::Begin(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (!txn.ok()) return txn.status();
  if (query.run_id > 0) {
    auto run =
        c.Query("SELECT 1 FROM analysis_runs WHERE run_id = $1", PgParams().Add(query.run_id));
    if (!run.ok()) return run.status();
    if (run->Rows() == 0) return NotFound("no analysis run " + std::to_string(query.run_id));
  }
  // A district matches by its full name or by the name after its unit prefix ("Lục Ngạn" for
  // "Huyện Lục Ngạn"), never by its last words alone ("Ngạn").
  const std::string where =
      " FROM gaps WHERE run_id = (CASE WHEN $7::bigint > 0 THEN $7::bigint ELSE"
      " (SELECT max(run_id) FROM analysis_runs) END)"
      " AND ($1::text = '' OR operator_id = $1::text OR ($8::boolean AND kind = 1))"
      " AND ($2::integer < 0 OR tech = $2::integer) AND ($3::integer < 0 OR kind = $3::integer)"
      " AND ($4::text = '' OR district IN ($4::text, 'Huyện ' || $4::text, 'Quận ' || $4::text,"
      " 'Thị xã ' || $4::text, 'Thành phố ' || $4::text))"
      " AND ($5::text = '' OR status = $5::text) AND score >= $6::double precision"
      // $9: grouped: leave out an operator gap whose common gap matches the filter too
      " AND NOT ($9::boolean AND kind = 0 AND common_id <> '' AND ($1::text = '' OR $8::boolean)"
      " AND ($3::integer < 0 OR $3::integer = 1) AND EXISTS (SELECT 1 FROM gaps c"
      " WHERE c.run_id = gaps.run_id AND c.gap_id = gaps.common_id AND ($4::text = ''"
      " OR c.district IN ($4::text, 'Huyện ' || $4::text, 'Quận ' || $4::text,"
      " 'Thị xã ' || $4::text, 'Thành phố ' || $4::text))"
      " AND ($5::text = '' OR c.status = $5::text) AND c.score >= $6::double precision))";
  const char* order = query.order == GapOrder::kRank   ? " ORDER BY rank, kind DESC, gap_id"
                      : query.order == GapOrder::kArea ? " ORDER BY area_m2 DESC, gap_id"
                      : query.order == GapOrder::kTodo ? " ORDER BY kind DESC, score DESC, gap_id"
                                                       : " ORDER BY score DESC, gap_id";
  PgParams p;
  p.Add(query.operator_id)
      .Add(query.tech ? static_cast<int>(*query.tech) : -1)
      .Add(query.kind ? static_cast<int>(*query.kind) : -1)
      .Add(query.district)
      .Add(query.status)
      .Add(std::max(query.min_score, -1e300))
      .Add(query.run_id)
      .Add(query.include_common)
      .Add(query.grouped);
  auto count = c.Query("SELECT count(*)" + where, p);
  if (!count.ok()) return count.status();
  const auto total = static_cast<std::uint64_t>(count->Int(0, 0));
  p.Add(static_cast<std::int64_t>(std::min<std::uint64_t>(query.limit, INT64_MAX)))
      .Add(static_cast<std::int64_t>(std::min<std::uint64_t>(query.offset, INT64_MAX)));
  auto r = c.Query("SELECT " + std::string(kGapColumns) + (query.with_geometry ? ", wkb" : "") +
                       where + order + " LIMIT $10 OFFSET $11",
                   p);
  if (!r.ok()) return r.status();
  std::vector<geo::Gap> gaps;
  for (int i = 0; i < r->Rows(); ++i) gaps.push_back(ReadGap(PgRow{*r, i}, query.with_geometry));
  if (Status s = txn->Commit(); !s.ok()) return s;
  return std::make_pair(std::move(gaps), total);
}

StatusOr<geo::Gap> PostgresStore::GetGap(const std::string& gap_id) {
  auto r = Query("SELECT " + std::string(kGapColumns) +
                     ", wkb FROM gaps WHERE run_id = (SELECT max(run_id) FROM analysis_runs) "
                     "AND gap_id = $1",
                 PgParams().Add(gap_id));
  if (!r.ok()) return r.status();
  if (r->Rows() == 0)
    return NotFound("no gap '" + gap_id +
                    "' in the latest analysis: covgap gaps lists its gap ids");
  return ReadGap(PgRow{*r, 0}, true);
}

StatusOr<std::vector<geo::SchoolCoverage>> PostgresStore::LatestSchoolCoverage() {
  auto r = Query(
      "SELECT school_id, operator_id, tech, indoor_class, samples, median_dbm, nearest_good_m, "
      "predicted_dbm, sigma_db, p_good_indoor FROM school_coverage WHERE run_id = (SELECT "
      "max(run_id) FROM analysis_runs) ORDER BY school_id, operator_id, tech");
  if (!r.ok()) return r.status();
  std::vector<geo::SchoolCoverage> out;
  for (int i = 0; i < r->Rows(); ++i) {
    geo::SchoolCoverage c;
    c.school_id = r->Text(i, 0);
    c.operator_id = r->Text(i, 1);
    c.tech = static_cast<geo::Technology>(r->Int(i, 2));
    c.indoor_class = static_cast<geo::CellClass>(r->Int(i, 3));
    c.samples = r->Int(i, 4);
    if (!r->IsNull(i, 5)) c.median_dbm = r->Real(i, 5);
    if (!r->IsNull(i, 6)) c.nearest_good_m = r->Real(i, 6);
    if (!r->IsNull(i, 7)) c.predicted_dbm = r->Real(i, 7);
    if (!r->IsNull(i, 8)) c.sigma_db = r->Real(i, 8);
    if (!r->IsNull(i, 9)) c.p_good_indoor = r->Real(i, 9);
    out.push_back(std::move(c));
  }
  return out;
}

StatusOr<std::optional<AnalysisRun>> PostgresStore::OneRun(const std::string& sql) {
  auto r = Query(sql);
  if (!r.ok()) return r.status();
  std::optional<AnalysisRun> run;
  if (r->Rows() > 0) run = ReadRun(PgRow{*r, 0});
  return run;
}

}  // namespace covgap::store::postgres
