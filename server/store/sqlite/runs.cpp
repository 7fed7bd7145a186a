// SQLite store: analysis runs, their gaps (with the gap-history rules of row_mapping.h) and
// per-school coverage.
#include <algorithm>
#include <cstdint>

#include "server/store/row_mapping.h"
#include "server/store/sqlite/store_impl.h"

namespace covgap::store::sqlite {
namespace {

// Gaps of this many most recent runs are kept (older runs keep their summary row).
constexpr int kRunsWithGaps = 5;

// Binds values in order from parameter `next` on (AddGapColumns' sink).
struct Binder {
  Statement& q;
  int next;
  void Add(std::string_view v) { q.Bind(next++, v); }
  void Add(std::int64_t v) { q.Bind(next++, v); }
  void Add(double v) { q.Bind(next++, v); }
  void Add(const std::optional<std::int64_t>& v) {
    if (v) {
      q.Bind(next++, *v);
    } else {
      q.BindNull(next++);
    }
  }
};

}  // namespace

StatusOr<std::int64_t> SqliteStore::SaveAnalysis(const AnalysisRun& run,
                                                 const std::vector<geo::Gap>& gaps,
                                                 const std::vector<geo::SchoolCoverage>& schools) {
  std::lock_guard lock(write_mu_);
  auto txn = Transaction::Begin(writer_.get());
  if (!txn.ok()) return txn.status();
  auto prev = Statement::Prepare(writer_.get(), "SELECT max(run_id) FROM analysis_runs");
  if (!prev.ok()) return prev.status();
  if (auto r = prev->Step(); !r.ok()) return r.status();
  const std::int64_t previous = prev->IsNull(0) ? 0 : prev->Int(0);
  prev->Reset();
  auto ins_run = Statement::Prepare(
      writer_.get(),
      "INSERT INTO analysis_runs(started_ms, finished_ms, params_json, summary_json, "
      "measurements, gaps) VALUES(?, ?, ?, ?, ?, ?)");
  if (!ins_run.ok()) return ins_run.status();
  if (Status s = ins_run->Bind(1, run.started_ms)
                     .Bind(2, run.finished_ms)
                     .Bind(3, run.params_json)
                     .Bind(4, run.summary_json)
                     .Bind(5, static_cast<std::int64_t>(run.measurements))
                     .Bind(6, static_cast<std::int64_t>(gaps.size()))
                     .Run();
      !s.ok()) {
    return s;
  }
  const std::int64_t run_id = sqlite3_last_insert_rowid(writer_.get());
  auto ins_gap = Statement::Prepare(
      writer_.get(), "INSERT INTO gaps(run_id, " + std::string(kGapColumns) +
                         ", wkb) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                         "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, "
                         "?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36)");
  if (!ins_gap.ok()) return ins_gap.status();
  for (const geo::Gap& g : gaps) {
    Statement& q = ins_gap.value();
    q.Bind(1, run_id);
    Binder binder{q, 2};
    AddGapColumns(g, binder);
    q.BindBlob(kGapColumnCount + 2, g.wkb);
    if (Status s = q.Run(); !s.ok()) return s;
  }
  if (previous > 0) {
    auto carry = Statement::Prepare(writer_.get(), CarryLifecycleSql(SqlDialect::kSqlite));
    if (!carry.ok()) return carry.status();
    if (Status s = carry->Bind(1, run_id).Bind(2, previous).Run(); !s.ok()) return s;
  }
  // Ids the previous run did not have are new gaps: one `new` event each (before the
  // carry-over below, which only brings back ids the previous run had).
  auto fresh = Statement::Prepare(writer_.get(), NewGapEventsSql(SqlDialect::kSqlite));
  if (!fresh.ok()) return fresh.status();
  if (Status s = fresh->Bind(1, run_id)
                     .Bind(2, previous)
                     .Bind(3, run.finished_ms)
                     .Bind(4, "covgapd (analysis run " + std::to_string(run_id) + ")")
                     .Run();
      !s.ok()) {
    return s;
  }
  if (previous > 0) {
    // A gap in the life cycle (not open) that no new gap matched stays, unchanged, until it
    // is verified or reopened; an id a new gap took already is not duplicated.
    auto keep = Statement::Prepare(writer_.get(), KeepLifecycleGapsSql(SqlDialect::kSqlite));
    if (!keep.ok()) return keep.status();
    if (Status s = keep->Bind(1, run_id).Bind(2, previous).Run(); !s.ok()) return s;
  }
  // The first run's gaps stay: they are the baseline of the progress report.
  auto prune = Statement::Prepare(writer_.get(),
                                  "DELETE FROM gaps WHERE run_id <= ?1 AND run_id <> (SELECT "
                                  "min(run_id) FROM analysis_runs)");
  if (!prune.ok()) return prune.status();
  if (Status s = prune->Bind(1, run_id - kRunsWithGaps).Run(); !s.ok()) return s;
  if (Status s = SaveSchoolCoverage(run_id, schools); !s.ok()) return s;
  if (Status s = txn->Commit(); !s.ok()) return s;
  return run_id;
}

Status SqliteStore::SaveSchoolCoverage(std::int64_t run_id,
                                       const std::vector<geo::SchoolCoverage>& schools) {
  auto ins = Statement::Prepare(writer_.get(),
                                "INSERT OR REPLACE INTO school_coverage VALUES(?1, ?2, ?3, ?4, "
                                "?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!ins.ok()) return ins.status();
  for (const geo::SchoolCoverage& c : schools) {
    Statement& q = ins.value();
    q.Bind(1, run_id).Bind(2, c.school_id).Bind(3, c.operator_id);
    q.Bind(4, static_cast<std::int64_t>(c.tech));
    q.Bind(5, static_cast<std::int64_t>(c.indoor_class)).Bind(6, c.samples);
    if (std::isnan(c.median_dbm)) {
      q.BindNull(7);
    } else {
      q.Bind(7, c.median_dbm);
    }
    BindOptional(q, 8, c.nearest_good_m);
    BindOptional(q, 9, c.predicted_dbm);
    BindOptional(q, 10, c.sigma_db);
    BindOptional(q, 11, c.p_good_indoor);
    if (Status s = q.Run(); !s.ok()) return s;
  }
  auto prune = Statement::Prepare(writer_.get(), "DELETE FROM school_coverage WHERE run_id <= ?1");
  if (!prune.ok()) return prune.status();
  return prune->Bind(1, run_id - kRunsWithGaps).Run();
}

StatusOr<std::vector<geo::SchoolCoverage>> SqliteStore::LatestSchoolCoverage() {
  std::vector<geo::SchoolCoverage> out;
  Status s = Query(
      "SELECT school_id, operator_id, tech, indoor_class, samples, median_dbm, nearest_good_m, "
      "predicted_dbm, sigma_db, p_good_indoor FROM school_coverage WHERE run_id = (SELECT "
      "max(run_id) FROM analysis_runs) ORDER BY school_id, operator_id, tech",
      [&](const Statement& q) {
        geo::SchoolCoverage c;
        c.school_id = q.Text(0);
        c.operator_id = q.Text(1);
        c.tech = static_cast<geo::Technology>(q.Int(2));
        c.indoor_class = static_cast<geo::CellClass>(q.Int(3));
        c.samples = q.Int(4);
        if (!q.IsNull(5)) c.median_dbm = q.Real(5);
        if (!q.IsNull(6)) c.nearest_good_m = q.Real(6);
        if (!q.IsNull(7)) c.predicted_dbm = q.Real(7);
        if (!q.IsNull(8)) c.sigma_db = q.Real(8);
        if (!q.IsNull(9)) c.p_good_indoor = q.Real(9);
        out.push_back(std::move(c));
      });
  if (!s.ok()) return s;
  return out;
}

StatusOr<std::optional<AnalysisRun>> SqliteStore::LatestRun() {
  std::optional<AnalysisRun> run;
  Status s = Query(std::string(kRunSelect) + " ORDER BY run_id DESC LIMIT 1",
                   [&](const Statement& q) { run = ReadRun(q); });
  if (!s.ok()) return s;
  return run;
}

StatusOr<std::optional<AnalysisRun>> SqliteStore::FirstRun() {
  std::optional<AnalysisRun> run;
  Status s = Query(std::string(kRunSelect) + " ORDER BY run_id LIMIT 1",
                   [&](const Statement& q) { run = ReadRun(q); });
  if (!s.ok()) return s;
  return run;
}

StatusOr<std::pair<std::vector<geo::Gap>, std::uint64_t>> SqliteStore::ListGaps(
    const GapQuery& query) {
  std::lock_guard lock(read_mu_);
  auto txn = Transaction::Begin(reader_.get(), "BEGIN");
  if (!txn.ok()) return txn.status();
  // A district matches by its full name or by the name after its unit prefix ("Lục Ngạn" for
  // "Huyện Lục Ngạn"), never by its last words alone ("Ngạn").
  const std::string where =
      " FROM gaps WHERE run_id = (CASE WHEN ?10 > 0 THEN ?10 ELSE"  // ?10: run_id, 0 = latest
      " (SELECT max(run_id) FROM analysis_runs) END)"
      " AND (?1 = '' OR operator_id = ?1 OR (?9 AND kind = 1))"  // ?9: include_common
      " AND (?2 < 0 OR tech = ?2) AND (?3 < 0 OR kind = ?3)"
      " AND (?4 = '' OR district IN (?4, 'Huyện ' || ?4, 'Quận ' || ?4, 'Thị xã ' || ?4,"
      " 'Thành phố ' || ?4))"
      " AND (?5 = '' OR status = ?5) AND score >= ?6"
      // ?11: grouped: leave out an operator gap whose common gap matches the filter too
      " AND NOT (?11 AND kind = 0 AND common_id <> '' AND (?1 = '' OR ?9) AND (?3 < 0 OR ?3 = 1)"
      " AND EXISTS (SELECT 1 FROM gaps c WHERE c.run_id = gaps.run_id"
      " AND c.gap_id = gaps.common_id AND (?4 = '' OR c.district IN (?4, 'Huyện ' || ?4,"
      " 'Quận ' || ?4, 'Thị xã ' || ?4, 'Thành phố ' || ?4))"
      " AND (?5 = '' OR c.status = ?5) AND c.score >= ?6))";
  const char* order = query.order == GapOrder::kRank   ? " ORDER BY rank, kind DESC, gap_id"
                      : query.order == GapOrder::kArea ? " ORDER BY area_m2 DESC, gap_id"
                      : query.order == GapOrder::kTodo ? " ORDER BY kind DESC, score DESC, gap_id"
                                                       : " ORDER BY score DESC, gap_id";
  auto bind = [&](Statement& q) {
    q.Bind(1, query.operator_id)
        .Bind(2, query.tech ? static_cast<std::int64_t>(*query.tech) : std::int64_t{-1})
        .Bind(3, query.kind ? static_cast<std::int64_t>(*query.kind) : std::int64_t{-1})
        .Bind(4, query.district)
        .Bind(5, query.status)
        .Bind(6, query.min_score)
        .Bind(9, std::int64_t{query.include_common ? 1 : 0})
        .Bind(10, query.run_id)
        .Bind(11, std::int64_t{query.grouped ? 1 : 0});
  };
  if (query.run_id > 0) {
    auto run = Statement::Prepare(reader_.get(), "SELECT 1 FROM analysis_runs WHERE run_id = ?1");
    if (!run.ok()) return run.status();
    run->Bind(1, query.run_id);
    auto found = run->Step();
    if (!found.ok()) return found.status();
    if (!found.value()) return NotFound("no analysis run " + std::to_string(query.run_id));
    run->Reset();
  }
  auto count = Statement::Prepare(reader_.get(), "SELECT count(*)" + where);
  if (!count.ok()) return count.status();
  bind(count.value());
  if (auto r = count->Step(); !r.ok()) return r.status();
  const auto total = static_cast<std::uint64_t>(count->Int(0));
  count->Reset();
  auto q = Statement::Prepare(reader_.get(), "SELECT " + std::string(kGapColumns) +
                                                 (query.with_geometry ? ", wkb" : "") + where +
                                                 order + " LIMIT ?7 OFFSET ?8");
  if (!q.ok()) return q.status();
  bind(q.value());
  q->Bind(7, static_cast<std::int64_t>(std::min<std::uint64_t>(query.limit, INT64_MAX)))
      .Bind(8, static_cast<std::int64_t>(query.offset));
  std::vector<geo::Gap> gaps;
  if (Status s = ForEachRow(
          q.value(),
          [&](const Statement& row) { gaps.push_back(ReadGap(row, query.with_geometry)); });
      !s.ok()) {
    return s;
  }
  return std::make_pair(std::move(gaps), total);
}

StatusOr<geo::Gap> SqliteStore::GetGap(const std::string& gap_id) {
  std::optional<geo::Gap> gap;
  Status s = Query(
      "SELECT " + std::string(kGapColumns) +
          ", wkb FROM gaps WHERE run_id = (SELECT max(run_id) FROM analysis_runs) "
          "AND gap_id = ?1",
      [&](const Statement& q) { gap = ReadGap(q, true); }, gap_id);
  if (!s.ok()) return s;
  if (!gap)
    return NotFound("no gap '" + gap_id +
                    "' in the latest analysis: covgap gaps lists its gap ids");
  return std::move(*gap);
}

}  // namespace covgap::store::sqlite
