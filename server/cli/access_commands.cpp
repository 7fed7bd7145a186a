// covgap token create|list|revoke and covgap audit (authority only).
#include <cstdio>

#include "covgap/v1/access.grpc.pb.h"
#include "geo/base/time_format.h"
#include "server/cli/commands.h"

namespace covgap::cli {

const char* const kTokenHelp =
    R"(Usage: covgap token create --role ROLE [--label TEXT] [--expires WHEN] [--json]
       covgap token list [--json]
       covgap token revoke TOKEN_ID

Access tokens (authority only). ROLE is authority, viewer or operator:<operator id>, e.g.
operator:viettel. `create` prints the new token once: hand it to its holder, who passes it with
--token-file FILE or $COVGAP_TOKEN. covgapd keeps only a hash of it. `revoke` takes effect on the
holder's next call. See docs/security.md for what each role may do.

  --expires WHEN      the token stops working at the end of DATE (YYYY-MM-DD, Viet Nam time,
                      UTC+7), N days from now (e.g. 30d) or at an ISO 8601 time; default: until
                      revoked
)";

const char* const kAuditHelp = R"(Usage: covgap audit [--limit N] [--json]

The audit trail, newest first (authority only): token changes, imports, analyses, gap status
changes — who (role and token id), what, when.
)";

namespace {

std::unique_ptr<v1::AccessService::Stub> StubFor(const GlobalOptions& options, int& exit_code) {
  auto channel = ConnectOrReport(options);
  if (!channel) {
    exit_code = kExitUnreachable;
    return nullptr;
  }
  return v1::AccessService::NewStub(channel);
}

// --expires: "YYYY-MM-DD" is valid through that day in Viet Nam (UTC+7, no daylight saving);
// "Nd" is N days from now; an ISO 8601 date and time is that moment.
std::optional<std::int64_t> ParseExpiry(const std::string& text) {
  if (text.size() > 1 && text.back() == 'd') {
    auto days = ParseInteger(text.substr(0, text.size() - 1), 1, 3660);
    if (!days) return std::nullopt;
    return geo::NowUnixMs() + *days * geo::kMsPerDay;
  }
  if (text.size() != 10) return geo::ParseIso8601(text);  // a moment, e.g. 2021-12-31T17:00+07
  auto start = geo::ParseIso8601(text + "T00:00:00+07:00");
  if (!start) return std::nullopt;
  return *start + geo::kMsPerDay;
}

void TokenJson(JsonWriter& j, const v1::Token& t) {
  j.BeginObject().Key("token_id").String("tok_" + t.token_id()).Key("role").String(t.role());
  j.Key("operator").String(t.operator_id()).Key("label").String(t.label());
  j.Key("created_by").String(t.created_by());
  j.Key("created").String(geo::FormatIso8601(t.created_unix_ms()));
  j.Key("revoked").String(t.has_revoked_unix_ms() ? geo::FormatIso8601(t.revoked_unix_ms()) : "");
  j.Key("expires").String(t.has_expires_unix_ms() ? geo::FormatIso8601(t.expires_unix_ms()) : "");
  j.EndObject();
}

}  // namespace

int RunToken(const GlobalOptions& options, const Args& args) {
  const auto& pos = args.positional();
  const std::string action = pos.empty() ? "" : pos[0];
  const bool json = options.json || args.Has("json");
  if (std::string bad = args.Unknown({"role", "label", "expires", "json"}); !bad.empty()) {
    return UsageError("token", "unknown option " + bad);
  }
  if (!(action == "create" || action == "list" || action == "revoke")) {
    return UsageError("token", action.empty() ? "say create, list or revoke"
                                              : "'" + action + "' is not create, list or revoke");
  }
  if (action == "revoke" && pos.size() != 2) {
    return UsageError("token revoke",
                      "name the one token to revoke (tok_… from covgap token list)");
  }
  v1::CreateTokenRequest create;
  if (action == "create") {
    if (!args.Has("role")) {
      return UsageError("token create", "give --role authority, viewer or operator:<operator id>");
    }
    create.set_role(args.Get("role"));
    create.set_label(args.Get("label"));
    if (args.Has("expires")) {
      auto expires = ParseExpiry(args.Get("expires"));
      if (!expires) {
        return UsageError("token create",
                          "--expires must be a date YYYY-MM-DD, a number of days such as 30d or "
                          "an ISO 8601 time, not '" +
                              args.Get("expires") + "'");
      }
      create.set_expires_unix_ms(*expires);
    }
  }
  int exit_code = kExitOk;
  auto stub = StubFor(options, exit_code);
  if (!stub) return exit_code;
  grpc::ClientContext context;
  Authorize(context, options);
  if (action == "create") {
    v1::CreateTokenResponse response;
    const grpc::Status status = stub->CreateToken(&context, create, &response);
    if (!status.ok()) return RpcError("token create", status, options);
    if (json) {
      JsonWriter j;
      j.BeginObject().Key("token").String(response.secret_token()).Key("record");
      TokenJson(j, response.token());
      j.EndObject();
      std::printf("%s\n", j.str().c_str());
    } else {
      const auto& t = response.token();
      std::fprintf(stderr, "created tok_%s (%s%s%s%s%s); the token, shown once:\n",
                   t.token_id().c_str(), t.role().c_str(), t.operator_id().empty() ? "" : " ",
                   t.operator_id().c_str(), t.has_expires_unix_ms() ? ", expires " : "",
                   t.has_expires_unix_ms() ? geo::FormatIso8601(t.expires_unix_ms()).c_str() : "");
      std::printf("%s\n", response.secret_token().c_str());
    }
    return kExitOk;
  }
  if (action == "list") {
    v1::ListTokensResponse response;
    const grpc::Status status = stub->ListTokens(&context, {}, &response);
    if (!status.ok()) return RpcError("token list", status, options);
    if (json) {
      JsonWriter j;
      j.BeginObject().Key("tokens").BeginArray();
      for (const auto& t : response.tokens()) TokenJson(j, t);
      j.EndArray().EndObject();
      std::printf("%s\n", j.str().c_str());
      return kExitOk;
    }
    std::printf("%-17s %-10s %-10s %-20s %-20s %-20s %s\n", "token", "role", "operator", "created",
                "revoked", "expires", "label");
    auto when = [](bool has, std::int64_t ms) {
      return has ? geo::FormatIso8601(ms).substr(0, 19) : std::string();
    };
    for (const auto& t : response.tokens()) {
      std::printf("tok_%-13s %-10s %-10s %-20s %-20s %-20s %s\n", t.token_id().c_str(),
                  t.role().c_str(), t.operator_id().c_str(),
                  when(true, t.created_unix_ms()).c_str(),
                  when(t.has_revoked_unix_ms(), t.revoked_unix_ms()).c_str(),
                  when(t.has_expires_unix_ms(), t.expires_unix_ms()).c_str(), t.label().c_str());
    }
    return kExitOk;
  }
  v1::RevokeTokenRequest request;
  request.set_token_id(pos[1]);
  v1::RevokeTokenResponse response;
  const grpc::Status status = stub->RevokeToken(&context, request, &response);
  if (!status.ok()) return RpcError("token revoke", status, options);
  std::printf("revoked tok_%s\n", response.token().token_id().c_str());
  return kExitOk;
}

int RunAudit(const GlobalOptions& options, const Args& args) {
  if (int e = ArgumentError("audit", args, {"limit", "json"}); e) return e;
  const auto limit = ParseInteger(args.Get("limit", "50"), 1, 100000);
  if (!limit) {
    return UsageError("audit",
                      "--limit must be a number 1..100000, not '" + args.Get("limit") + "'");
  }
  int exit_code = kExitOk;
  auto stub = StubFor(options, exit_code);
  if (!stub) return exit_code;
  grpc::ClientContext context;
  Authorize(context, options);
  v1::ListAuditRequest request;
  request.set_limit(static_cast<std::uint32_t>(*limit));
  v1::ListAuditResponse response;
  const grpc::Status status = stub->ListAudit(&context, request, &response);
  if (!status.ok()) return RpcError("audit", status, options);
  if (options.json || args.Has("json")) {
    JsonWriter j;
    j.BeginObject().Key("entries").BeginArray();
    for (const auto& e : response.entries()) {
      j.BeginObject().Key("id").Number(e.id());
      j.Key("time").String(geo::FormatIso8601(e.time_unix_ms())).Key("actor").String(e.actor());
      j.Key("action").String(e.action()).Key("target").String(e.target());
      j.Key("details").String(e.details_json()).EndObject();
    }
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  for (const auto& e : response.entries()) {
    std::printf("%s  %-34s %-18s %-24s %s\n", geo::FormatIso8601(e.time_unix_ms()).c_str(),
                e.actor().c_str(), e.action().c_str(), e.target().c_str(),
                e.details_json().c_str());
  }
  return kExitOk;
}

}  // namespace covgap::cli
