#include "server/store/row_mapping.h"

namespace covgap::store {
namespace {

// `sql` with each "@n" replaced by the dialect's placeholder for parameter n.
std::string Placeholders(std::string sql, SqlDialect d) {
  const char mark = d == SqlDialect::kSqlite ? '?' : '$';
  for (char& c : sql) {
    if (c == '@') c = mark;
  }
  return sql;
}

}  // namespace

std::string CarryLifecycleSql(SqlDialect d) {
  return Placeholders(
      "UPDATE gaps AS g SET status = p.status, plan = p.plan, target_ms = p.target_ms, "
      "cleared_ms = p.cleared_ms, status_note = p.status_note FROM gaps AS p WHERE "
      "g.run_id = @1 AND p.run_id = @2 AND p.gap_id = g.gap_id",
      d);
}

std::string NewGapEventsSql(SqlDialect d) {
  return Placeholders(
      "INSERT INTO gap_events(time_ms, gap_id, type, from_status, to_status, actor, note, "
      "operator_id, tech, kind, district) SELECT @3, g.gap_id, 'new', '', g.status, @4, '', "
      "g.operator_id, g.tech, g.kind, g.district FROM gaps AS g WHERE g.run_id = @1 AND NOT "
      "EXISTS (SELECT 1 FROM gaps AS p WHERE p.run_id = @2 AND p.gap_id = g.gap_id) "
      "ORDER BY g.gap_id",
      d);
}

std::string KeepLifecycleGapsSql(SqlDialect d, std::string_view extra_columns) {
  const std::string extra(extra_columns);
  return Placeholders("INSERT INTO gaps(run_id, " + std::string(kGapColumns) + ", wkb" + extra +
                          ") SELECT @1, " + kGapColumns + ", wkb" + extra +
                          " FROM gaps AS p WHERE p.run_id = @2 AND p.status <> 'open' AND NOT "
                          "EXISTS (SELECT 1 FROM gaps AS g WHERE g.run_id = @1 AND g.gap_id = "
                          "p.gap_id)",
                      d);
}

}  // namespace covgap::store
