// PostgreSQL store: gap state changes and the gap events they append.
#include "geo/base/time_format.h"
#include "server/store/postgres/store_impl.h"
#include "server/store/row_mapping.h"

namespace covgap::store::postgres {

StatusOr<geo::Gap> PostgresStore::UpdateGapState(const GapStateChange& ch, GapEvent* event_out) {
  {
    auto conn = pool_.Acquire();
    if (!conn.ok()) return conn.status();
    PgConn& c = **conn;
    auto txn = PgTxn::Begin(c);
    if (!txn.ok()) return txn.status();
    if (Status s = c.Exec(LockSql("pg_advisory_xact_lock", kGapsLock)); !s.ok()) return s;
    // The compare-and-set: only a gap that still has the expected status changes.
    auto upd = c.Query(
        "UPDATE gaps SET status = $2, plan = $3, target_ms = $4, cleared_ms = $5, status_note "
        "= $6 WHERE run_id = (SELECT max(run_id) FROM analysis_runs) AND gap_id = $1 AND "
        "status = $7 RETURNING operator_id, tech, kind, district",
        PgParams()
            .Add(ch.gap_id)
            .Add(ch.new_status)
            .Add(ch.plan)
            .Add(ch.target_ms)
            .Add(ch.cleared_ms)
            .Add(ch.status_note)
            .Add(ch.expected_status));
    if (!upd.ok()) return upd.status();
    if (upd->Rows() == 0) {
      auto cur = c.Query(
          "SELECT status FROM gaps WHERE run_id = (SELECT max(run_id) FROM analysis_runs) AND "
          "gap_id = $1",
          PgParams().Add(ch.gap_id));
      if (!cur.ok()) return cur.status();
      if (cur->Rows() == 0) return NotFound("no gap '" + ch.gap_id + "' in the latest analysis");
      return FailedPrecondition("gap " + ch.gap_id + " is " + cur->Text(0, 0) + ", not " +
                                ch.expected_status + " (it was changed meanwhile); read it again");
    }
    GapEvent e = ch.event;
    e.gap_id = ch.gap_id;
    e.operator_id = upd->Text(0, 0);
    e.tech = static_cast<geo::Technology>(upd->Int(0, 1));
    e.kind = static_cast<geo::GapKind>(upd->Int(0, 2));
    e.district = upd->Text(0, 3);
    if (e.time_ms == 0) e.time_ms = geo::NowUnixMs();
    e.from_status = ch.expected_status;
    e.to_status = ch.new_status;
    auto ins = c.Query(
        "INSERT INTO gap_events(time_ms, gap_id, type, from_status, to_status, actor, note, "
        "operator_id, tech, kind, district) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
        "$11) RETURNING event_id",
        PgParams()
            .Add(e.time_ms)
            .Add(e.gap_id)
            .Add(e.type)
            .Add(e.from_status)
            .Add(e.to_status)
            .Add(e.actor)
            .Add(e.note)
            .Add(e.operator_id)
            .Add(static_cast<int>(e.tech))
            .Add(static_cast<int>(e.kind))
            .Add(e.district));
    if (!ins.ok()) return ins.status();
    e.event_id = ins->Int(0, 0);
    if (Status s = Notify(c); !s.ok()) return s;
    if (Status s = txn->Commit(); !s.ok()) return s;
    if (event_out) *event_out = std::move(e);
  }
  return GetGap(ch.gap_id);
}

StatusOr<std::vector<GapEvent>> PostgresStore::ListGapEvents(std::int64_t after_id,
                                                             std::uint64_t limit,
                                                             const std::string& gap_id) {
  auto r = Query("SELECT " + std::string(kGapEventColumns) +
                     " FROM gap_events WHERE event_id > $1 AND ($2::text = '' OR gap_id = "
                     "$2::text) ORDER BY event_id LIMIT $3",
                 PgParams().Add(after_id).Add(gap_id).Add(
                     static_cast<std::int64_t>(std::min<std::uint64_t>(limit, INT64_MAX))));
  if (!r.ok()) return r.status();
  std::vector<GapEvent> out;
  for (int i = 0; i < r->Rows(); ++i) out.push_back(ReadGapEvent(PgRow{*r, i}));
  return out;
}

}  // namespace covgap::store::postgres
