// SQLite store: access tokens and the audit trail.
#include "server/store/row_mapping.h"
#include "server/store/sqlite/store_impl.h"

namespace covgap::store::sqlite {

Status SqliteStore::CreateToken(const TokenRecord& t) {
  std::lock_guard lock(write_mu_);
  auto q = Statement::Prepare(writer_.get(),
                              "INSERT INTO tokens VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!q.ok()) return q.status();
  q->Bind(1, t.token_id).BindBlob(2, t.secret_hash).Bind(3, t.role).Bind(4, t.operator_id);
  q->Bind(5, t.label).Bind(6, t.created_by).Bind(7, t.created_ms);
  for (const auto& [index, value] : {std::pair{8, t.revoked_ms}, std::pair{9, t.expires_ms}}) {
    if (value) {
      q->Bind(index, *value);
    } else {
      q->BindNull(index);
    }
  }
  Status s = q->Run();
  if (!s.ok() && s.message().find("UNIQUE") != std::string::npos) {
    return {StatusCode::kAlreadyExists, "a token with id " + t.token_id + " exists"};
  }
  return s;
}

StatusOr<std::optional<TokenRecord>> SqliteStore::FindToken(const std::string& token_id) {
  std::optional<TokenRecord> found;
  Status s = Query(
      std::string(kTokenSelect) + " WHERE token_id = ?1",
      [&](const Statement& q) { found = ReadToken(q); }, token_id);
  if (!s.ok()) return s;
  return found;
}

StatusOr<std::vector<TokenRecord>> SqliteStore::ListTokens() {
  std::vector<TokenRecord> out;
  Status s = Query(std::string(kTokenSelect) + " ORDER BY created_ms, token_id",
                   [&](const Statement& q) { out.push_back(ReadToken(q)); });
  if (!s.ok()) return s;
  return out;
}

StatusOr<bool> SqliteStore::RevokeToken(const std::string& token_id, std::int64_t when_ms) {
  std::lock_guard lock(write_mu_);
  auto q = Statement::Prepare(
      writer_.get(),
      "UPDATE tokens SET revoked_ms = ?2 WHERE token_id = ?1 AND revoked_ms IS NULL");
  if (!q.ok()) return q.status();
  if (Status s = q->Bind(1, token_id).Bind(2, when_ms).Run(); !s.ok()) return s;
  return sqlite3_changes(writer_.get()) > 0;
}

Status SqliteStore::AppendAudit(const AuditEntry& e) {
  std::lock_guard lock(write_mu_);
  auto q = Statement::Prepare(
      writer_.get(),
      "INSERT INTO audit(time_ms, actor, action, target, details) VALUES(?1, ?2, ?3, ?4, ?5)");
  if (!q.ok()) return q.status();
  return q->Bind(1, e.time_ms)
      .Bind(2, e.actor)
      .Bind(3, e.action)
      .Bind(4, e.target)
      .Bind(5, e.details)
      .Run();
}

StatusOr<std::vector<AuditEntry>> SqliteStore::ListAudit(std::uint64_t limit) {
  std::vector<AuditEntry> out;
  Status s = Query(
      "SELECT id, time_ms, actor, action, target, details FROM audit ORDER BY id DESC LIMIT " +
          std::to_string(std::min<std::uint64_t>(limit, INT64_MAX)),
      [&](const Statement& q) {
        AuditEntry& e = out.emplace_back();
        e.id = q.Int(0);
        e.time_ms = q.Int(1);
        e.actor = q.Text(2);
        e.action = q.Text(3);
        e.target = q.Text(4);
        e.details = q.Text(5);
      });
  if (!s.ok()) return s;
  return out;
}

}  // namespace covgap::store::sqlite
