#include "server/access_control.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "geo/base/time_format.h"

namespace covgap::server {
namespace {

constexpr std::string_view kPrefix = "cgp_";
constexpr std::size_t kIdBytes = 6;       // 12 hex characters
constexpr std::size_t kSecretBytes = 24;  // 48 hex characters
constexpr std::size_t kMinSecretChars = 32;

// Hex of `bytes` bytes from OpenSSL's CSPRNG; Unavailable when it cannot give them (never a
// predictable secret).
StatusOr<std::string> RandomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    return Unavailable("the system random generator failed: no token was made");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

struct ParsedRole {
  Role role;
  std::string operator_id;
};

StatusOr<ParsedRole> ParseRole(std::string_view text) {
  if (text == "authority") return ParsedRole{Role::kAuthority, ""};
  if (text == "viewer") return ParsedRole{Role::kViewer, ""};
  if (text.starts_with("operator:") && text.size() > 9) {
    return ParsedRole{Role::kOperator, std::string(text.substr(9))};
  }
  return InvalidArgument("role must be authority, viewer or operator:<operator id>, not '" +
                         std::string(text) + "'");
}

// Splits "cgp_<id>_<secret>"; nullopt when malformed.
std::optional<std::pair<std::string, std::string>> SplitToken(std::string_view text) {
  if (!text.starts_with(kPrefix)) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  const auto sep = text.find('_');
  if (sep == std::string_view::npos || sep == 0 || sep > 64) return std::nullopt;
  return std::make_pair(std::string(text.substr(0, sep)), std::string(text.substr(sep + 1)));
}

Status Unauthenticated(std::string message) {
  return {StatusCode::kUnauthenticated, std::move(message)};
}

}  // namespace

std::string_view ToString(Role role) {
  switch (role) {
    case Role::kAuthority:
      return "authority";
    case Role::kOperator:
      return "operator";
    case Role::kViewer:
      return "viewer";
  }
  return "?";
}

std::string_view ToString(Rpc rpc) {
  switch (rpc) {
    case Rpc::kIngest:
      return "Ingest";
    case Rpc::kGetStats:
      return "GetStats";
    case Rpc::kImport:
      return "Import";
    case Rpc::kImportSites:
      return "Import (sites)";
    case Rpc::kImportRows:
      return "ImportAreas/ImportSchools/ImportHouseholds";
    case Rpc::kRunAnalysis:
      return "RunAnalysis";
    case Rpc::kGetLatestRun:
      return "GetLatestRun";
    case Rpc::kListGaps:
      return "ListGaps";
    case Rpc::kGetGap:
      return "GetGap";
    case Rpc::kExportGaps:
      return "ExportGaps";
    case Rpc::kCreateToken:
      return "CreateToken";
    case Rpc::kListTokens:
      return "ListTokens";
    case Rpc::kRevokeToken:
      return "RevokeToken";
    case Rpc::kListAudit:
      return "ListAudit";
    case Rpc::kPlanGap:
      return "PlanGap";
    case Rpc::kClearGap:
      return "ClearGap";
    case Rpc::kReopenGap:
      return "ReopenGap";
    case Rpc::kVerifyGaps:
      return "VerifyGaps";
    case Rpc::kGetGapHistory:
      return "GetGapHistory";
    case Rpc::kWatchGaps:
      return "WatchGaps";
    case Rpc::kListSchools:
      return "ListSchools";
    case Rpc::kBuildReport:
      return "BuildReport";
    case Rpc::kListSites:
      return "ListSites";
    case Rpc::kValidatePrediction:
      return "Validate";
    case Rpc::kPlanCampaign:
      return "PlanCampaign";
    case Rpc::kExportCoverageRaster:
      return "ExportCoverageRaster";
    case Rpc::kWhoAmI:
      return "WhoAmI";
    case Rpc::kGetRegistryStats:
      return "GetRegistryStats";
  }
  return "?";
}

bool Allowed(Role role, Rpc rpc) {
  // Plans and clearances are the operators' word about their own network: not the authority's.
  if (rpc == Rpc::kPlanGap || rpc == Rpc::kClearGap) return role == Role::kOperator;
  if (role == Role::kAuthority) return true;
  switch (rpc) {
    case Rpc::kIngest:
      return role == Role::kOperator;  // its own rows only: MeasurementService checks each row
    case Rpc::kGetStats:
    case Rpc::kGetLatestRun:
    case Rpc::kListGaps:
    case Rpc::kGetGap:
    case Rpc::kExportGaps:
      return true;  // gaps carry counts, never households
    case Rpc::kListSchools:
      return true;  // schools are public registry data, not personal data
    case Rpc::kImportSites:
      return role == Role::kOperator;  // its own sites only: RegistryService checks each row
    case Rpc::kListSites:
      return true;  // operators see only their own: RegistryService filters
    case Rpc::kImport:
    case Rpc::kImportRows:
    case Rpc::kRunAnalysis:
    case Rpc::kCreateToken:
    case Rpc::kListTokens:
    case Rpc::kRevokeToken:
    case Rpc::kListAudit:
      return false;
    case Rpc::kPlanGap:
    case Rpc::kClearGap:
      return role == Role::kOperator;  // the gap's own operator: GapLifecycle checks each gap
    case Rpc::kReopenGap:
    case Rpc::kVerifyGaps:
      return false;
    case Rpc::kGetGapHistory:
    case Rpc::kWatchGaps:
      return true;  // operators see only their own and common gaps
    case Rpc::kBuildReport:
      return role == Role::kViewer;  // counts only, never a household; not for one operator
    case Rpc::kValidatePrediction:
    case Rpc::kExportCoverageRaster:
      return true;  // operators: their own operator's groups only (PredictionService checks)
    case Rpc::kPlanCampaign:
      return role == Role::kOperator;  // its own drive tests; the authority plans any operator's
    case Rpc::kWhoAmI:
      return true;
    case Rpc::kGetRegistryStats:
      return true;  // counts; households only to the authority, sites only an operator's own
  }
  return false;
}

std::string Caller::Describe() const {
  std::string who(ToString(role));
  if (role == Role::kOperator) who += " " + operator_id;
  return who + " (" + (token_id.empty() ? "no token" : "tok_" + token_id) + ")";
}

std::string AccessControl::HashSecret(std::string_view secret) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(secret.data(), secret.size(), digest, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

StatusOr<NewToken> AccessControl::MakeToken(std::string_view role_text, std::string label,
                                            std::string created_by) {
  auto id = RandomHex(kIdBytes);
  if (!id.ok()) return id.status();
  auto secret = RandomHex(kSecretBytes);
  if (!secret.ok()) return secret.status();
  return TokenFromText(std::string(kPrefix) + *id + "_" + *secret, role_text, std::move(label),
                       std::move(created_by));
}

StatusOr<NewToken> AccessControl::TokenFromText(std::string_view text, std::string_view role_text,
                                                std::string label, std::string created_by) {
  auto role = ParseRole(role_text);
  if (!role.ok()) return role.status();
  auto parts = SplitToken(text);
  if (!parts || parts->second.size() < kMinSecretChars) {
    return InvalidArgument("a token is cgp_<id>_<secret> with a secret of at least " +
                           std::to_string(kMinSecretChars) + " characters");
  }
  NewToken t;
  t.text = std::string(text);
  t.record.token_id = parts->first;
  t.record.secret_hash = HashSecret(parts->second);
  t.record.role = std::string(ToString(role->role));
  t.record.operator_id = role->operator_id;
  t.record.label = std::move(label);
  t.record.created_by = std::move(created_by);
  t.record.created_ms = geo::NowUnixMs();
  return t;
}

StatusOr<Caller> AccessControl::CheckToken(std::optional<std::string_view> token_text,
                                           Rpc rpc) const {
  if (!enabled_) return Caller{Role::kAuthority, "", ""};
  if (!token_text) {
    return Unauthenticated(
        "no token: send 'authorization: Bearer <token>' (covgap --token-file / "
        "COVGAP_TOKEN)");
  }
  auto parts = SplitToken(*token_text);
  if (!parts) return Unauthenticated("malformed token");
  auto record = store_.FindToken(parts->first);
  if (!record.ok()) return record.status();
  const std::string hash = HashSecret(parts->second);
  if (!record.value() || record.value()->secret_hash.size() != hash.size() ||
      CRYPTO_memcmp(record.value()->secret_hash.data(), hash.data(), hash.size()) != 0) {
    return Unauthenticated("unknown token");
  }
  const store::TokenRecord& t = *record.value();
  if (t.revoked_ms) {
    return Unauthenticated("token tok_" + t.token_id + " was revoked on " +
                           geo::FormatIso8601(*t.revoked_ms));
  }
  if (t.expires_ms && geo::NowUnixMs() >= *t.expires_ms) {
    return Unauthenticated("token tok_" + t.token_id + " expired on " +
                           geo::FormatIso8601(*t.expires_ms) +
                           ": ask the authority for a new one (covgap token create)");
  }
  auto role = ParseRole(t.role == "operator" ? "operator:" + t.operator_id : t.role);
  if (!role.ok()) return Internal("token tok_" + t.token_id + " has a damaged role");
  Caller caller{role->role, role->operator_id, t.token_id};
  if (!Allowed(caller.role, rpc)) {
    return PermissionDenied(caller.Describe() + " may not call " + std::string(ToString(rpc)));
  }
  return caller;
}

StatusOr<std::optional<std::string>> AccessControl::Bootstrap(const std::string& given_text) {
  auto has_authority = [this]() -> StatusOr<bool> {
    auto tokens = store_.ListTokens();
    if (!tokens.ok()) return tokens.status();
    for (const auto& t : tokens.value()) {
      // An expired authority token is as good as none: a restart then prints a new bootstrap.
      const bool expired = t.expires_ms && geo::NowUnixMs() >= *t.expires_ms;
      if (t.role == "authority" && !t.revoked_ms && !expired) return true;
    }
    return false;
  };
  auto found = has_authority();
  if (!found.ok()) return found.status();
  if (found.value()) return std::optional<std::string>();
  // None yet: replicas starting together on an empty shared database must not each create one.
  // The store-wide analysis lock (a database lock on a shared store) serialises them; the first
  // creates the token, the others find it once they hold the lock. On an empty database no
  // analysis holds the lock for long.
  auto lease = store_.AcquireAnalysisLock(/*wait=*/true);
  if (!lease.ok()) return lease.status();
  found = has_authority();
  if (!found.ok()) return found.status();
  if (found.value()) return std::optional<std::string>();
  auto token = given_text.empty() ? MakeToken("authority", "bootstrap", "covgapd")
                                  : TokenFromText(given_text, "authority", "bootstrap", "covgapd");
  if (!token.ok()) return token.status();
  if (Status s = store_.CreateToken(token->record); !s.ok()) return s;
  return std::optional<std::string>(token->text);
}

}  // namespace covgap::server
