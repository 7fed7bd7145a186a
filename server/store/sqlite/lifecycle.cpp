// SQLite store: gap state changes and the gap events they append.
#include "geo/base/time_format.h"
#include "server/store/row_mapping.h"
#include "server/store/sqlite/store_impl.h"

namespace covgap::store::sqlite {

StatusOr<geo::Gap> SqliteStore::UpdateGapState(const GapStateChange& c, GapEvent* event_out) {
  {
    std::lock_guard lock(write_mu_);
    auto txn = Transaction::Begin(writer_.get());
    if (!txn.ok()) return txn.status();
    auto cur = Statement::Prepare(
        writer_.get(),
        "SELECT status, operator_id, tech, kind, district FROM gaps WHERE run_id = (SELECT "
        "max(run_id) FROM analysis_runs) AND gap_id = ?1");
    if (!cur.ok()) return cur.status();
    auto row = cur->Bind(1, c.gap_id).Step();
    if (!row.ok()) return row.status();
    if (!row.value()) return NotFound("no gap '" + c.gap_id + "' in the latest analysis");
    GapEvent e = c.event;
    e.gap_id = c.gap_id;
    const std::string status = cur->Text(0);
    e.operator_id = cur->Text(1);
    e.tech = static_cast<geo::Technology>(cur->Int(2));
    e.kind = static_cast<geo::GapKind>(cur->Int(3));
    e.district = cur->Text(4);
    cur->Reset();
    if (status != c.expected_status) {
      return FailedPrecondition("gap " + c.gap_id + " is " + status + ", not " + c.expected_status +
                                " (it was changed meanwhile); read it again");
    }
    auto upd = Statement::Prepare(
        writer_.get(),
        "UPDATE gaps SET status = ?2, plan = ?3, target_ms = ?4, cleared_ms = ?5, "
        "status_note = ?6 WHERE run_id = (SELECT max(run_id) FROM analysis_runs) AND "
        "gap_id = ?1");
    if (!upd.ok()) return upd.status();
    upd->Bind(1, c.gap_id).Bind(2, c.new_status).Bind(3, c.plan);
    if (c.target_ms) {
      upd->Bind(4, *c.target_ms);
    } else {
      upd->BindNull(4);
    }
    if (c.cleared_ms) {
      upd->Bind(5, *c.cleared_ms);
    } else {
      upd->BindNull(5);
    }
    upd->Bind(6, c.status_note);
    if (Status s = upd->Run(); !s.ok()) return s;
    if (e.time_ms == 0) e.time_ms = geo::NowUnixMs();
    e.from_status = status;
    e.to_status = c.new_status;
    auto ins = Statement::Prepare(
        writer_.get(),
        "INSERT INTO gap_events(time_ms, gap_id, type, from_status, to_status, actor, note, "
        "operator_id, tech, kind, district) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
        "?11)");
    if (!ins.ok()) return ins.status();
    ins->Bind(1, e.time_ms).Bind(2, e.gap_id).Bind(3, e.type).Bind(4, e.from_status);
    ins->Bind(5, e.to_status).Bind(6, e.actor).Bind(7, e.note).Bind(8, e.operator_id);
    ins->Bind(9, static_cast<std::int64_t>(e.tech)).Bind(10, static_cast<std::int64_t>(e.kind));
    ins->Bind(11, e.district);
    if (Status s = ins->Run(); !s.ok()) return s;
    e.event_id = sqlite3_last_insert_rowid(writer_.get());
    if (Status s = txn->Commit(); !s.ok()) return s;
    if (event_out) *event_out = std::move(e);
  }
  return GetGap(c.gap_id);
}

StatusOr<std::vector<GapEvent>> SqliteStore::ListGapEvents(std::int64_t after_id,
                                                           std::uint64_t limit,
                                                           const std::string& gap_id) {
  std::lock_guard lock(lookup_mu_);
  auto q = LookupStatement("SELECT " + std::string(kGapEventColumns) +
                           " FROM gap_events WHERE event_id > ?1 AND (?2 = '' OR gap_id = ?2) "
                           "ORDER BY event_id LIMIT ?3");
  if (!q.ok()) return q.status();
  (*q)->Bind(1, after_id)
      .Bind(2, gap_id)
      .Bind(3, static_cast<std::int64_t>(std::min<std::uint64_t>(limit, INT64_MAX)));
  std::vector<GapEvent> out;
  if (Status s = ForEachRow(**q, [&](const Statement& r) { out.push_back(ReadGapEvent(r)); });
      !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace covgap::store::sqlite
