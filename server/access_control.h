// Who may do what: bearer tokens and the role x RPC table, in one place (no transport: gRPC
// calls are checked through server/grpc_access.h, HTTP requests through server/http/).
//
// Every call carries `authorization: Bearer cgp_<id>_<secret>` metadata. The store keeps, per
// token, its public id, a SHA-256 hash of the secret (never the secret), its role and, for
// operators, their operator id; a revoked token stops working on the next call (tokens are looked
// up on every call, nothing is cached). Roles:
//   authority   everything
//   operator    ingest its own measurements (rows naming another operator are rejected), import
//               its own sites (likewise), read stats, runs, gaps and its own sites, export gaps
//   viewer      read stats, runs, gaps and sites, export gaps (aggregates only)
// Gap life cycle: plan and clear only by an operator (its own gaps or common ones: checked per
// gap by GapLifecycle, the authority may not), verify and reopen by the authority, history and
// watch by everyone (operators see only their own and common gaps).
// Household locations and ids never leave covgapd through any RPC: gaps and exports carry counts.
// The standard health service and server reflection stay open. docs/security.md has the table.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "geo/base/status.h"
#include "server/roles.h"
#include "server/store/store.h"

namespace covgap::server {

// A new token: its record for the store and the text handed to its holder (shown once).
struct NewToken {
  store::TokenRecord record;
  std::string text;  // "cgp_<id>_<secret>"
};

class AccessControl {
 public:
  // With `enabled` false every call is the authority (in-process tests of other behaviour only;
  // covgapd always enables it).
  AccessControl(store::Store& store, bool enabled) : store_(store), enabled_(enabled) {}

  // Authenticates a token text ("cgp_<id>_<secret>", however it arrived: gRPC metadata through
  // server/grpc_access.h, an HTTP header or parameter through server/http/) and checks `rpc`
  // against the caller's role. UNAUTHENTICATED for a missing (nullopt), malformed, unknown,
  // revoked or expired token, PERMISSION_DENIED when the role may not call `rpc`.
  StatusOr<Caller> CheckToken(std::optional<std::string_view> token_text, Rpc rpc) const;

  // Makes a token (not stored). `role_text`: "authority", "viewer" or "operator:<id>".
  static StatusOr<NewToken> MakeToken(std::string_view role_text, std::string label,
                                      std::string created_by);
  // Makes a token from a given text (bootstrap from a file or the environment), which must be of
  // the form cgp_<id>_<secret> with at least 32 secret characters.
  static StatusOr<NewToken> TokenFromText(std::string_view text, std::string_view role_text,
                                          std::string label, std::string created_by);
  static std::string HashSecret(std::string_view secret);

  // Creates the first authority token when the store has no active one: from `given_text` if
  // not empty, else random. Returns its text when one was created now. Replicas starting together
  // on one database: the first to take the store-wide lock creates it, the others find it.
  StatusOr<std::optional<std::string>> Bootstrap(const std::string& given_text);

  bool enabled() const { return enabled_; }

 private:
  store::Store& store_;
  bool enabled_;
};

}  // namespace covgap::server
