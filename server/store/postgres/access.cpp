// PostgreSQL store: access tokens and the audit trail.
#include "server/store/postgres/store_impl.h"
#include "server/store/row_mapping.h"

namespace covgap::store::postgres {

Status PostgresStore::CreateToken(const TokenRecord& t) {
  auto r = Query("INSERT INTO tokens VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                 PgParams()
                     .Add(t.token_id)
                     .AddBytes(t.secret_hash)
                     .Add(t.role)
                     .Add(t.operator_id)
                     .Add(t.label)
                     .Add(t.created_by)
                     .Add(t.created_ms)
                     .Add(t.revoked_ms)
                     .Add(t.expires_ms));
  if (!r.ok() && r.status().code() == StatusCode::kAlreadyExists) {
    return {StatusCode::kAlreadyExists, "a token with id " + t.token_id + " exists"};
  }
  return r.status();
}

StatusOr<std::optional<TokenRecord>> PostgresStore::FindToken(const std::string& token_id) {
  auto r = Query(std::string(kTokenSelect) + " WHERE token_id = $1", PgParams().Add(token_id));
  if (!r.ok()) return r.status();
  std::optional<TokenRecord> found;
  if (r->Rows() > 0) found = ReadToken(PgRow{*r, 0});
  return found;
}

StatusOr<std::vector<TokenRecord>> PostgresStore::ListTokens() {
  auto r = Query(std::string(kTokenSelect) + " ORDER BY created_ms, token_id");
  if (!r.ok()) return r.status();
  std::vector<TokenRecord> out;
  for (int i = 0; i < r->Rows(); ++i) out.push_back(ReadToken(PgRow{*r, i}));
  return out;
}

StatusOr<bool> PostgresStore::RevokeToken(const std::string& token_id, std::int64_t when_ms) {
  auto r = Query("UPDATE tokens SET revoked_ms = $2 WHERE token_id = $1 AND revoked_ms IS NULL",
                 PgParams().Add(token_id).Add(when_ms));
  if (!r.ok()) return r.status();
  return r->Affected() > 0;
}

Status PostgresStore::AppendAudit(const AuditEntry& e) {
  return Query(
             "INSERT INTO audit(time_ms, actor, action, target, details) VALUES($1, $2, $3, "
             "$4, $5)",
             PgParams().Add(e.time_ms).Add(e.actor).Add(e.action).Add(e.target).Add(e.details))
      .status();
}

StatusOr<std::vector<AuditEntry>> PostgresStore::ListAudit(std::uint64_t limit) {
  auto r = Query(
      "SELECT id, time_ms, actor, action, target, details FROM audit ORDER BY id DESC LIMIT $1",
      PgParams().Add(static_cast<std::int64_t>(std::min<std::uint64_t>(limit, INT64_MAX))));
  if (!r.ok()) return r.status();
  std::vector<AuditEntry> out;
  for (int i = 0; i < r->Rows(); ++i) {
    AuditEntry& e = out.emplace_back();
    e.id = r->Int(i, 0);
    e.time_ms = r->Int(i, 1);
    e.actor = r->Text(i, 2);
    e.action = r->Text(i, 3);
    e.target = r->Text(i, 4);
    e.details = r->Text(i, 5);
  }
  return out;
}

}  // namespace covgap::store::postgres
