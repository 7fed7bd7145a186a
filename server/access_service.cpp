#include "server/access_service.h"

#include "geo/base/json_writer.h"
#include "geo/base/time_format.h"
#include "server/analysis_inputs.h"
#include "server/api/conversions.h"
#include "server/grpc_access.h"
#include "server/status_mapping.h"

namespace covgap::server {

grpc::Status AccessService::CreateToken(grpc::ServerContext* context,
                                        const v1::CreateTokenRequest* request,
                                        v1::CreateTokenResponse* response) {
  auto caller = CheckCall(access_, *context, Rpc::kCreateToken);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto token =
      AccessControl::MakeToken(request->role(), request->label(), "tok_" + caller->token_id);
  if (!token.ok()) return ToGrpcStatus(token.status());
  if (request->has_expires_unix_ms()) {
    if (request->expires_unix_ms() <= token->record.created_ms) {
      return ToGrpcStatus(InvalidArgument("the expiry " +
                                          geo::FormatIso8601(request->expires_unix_ms()) +
                                          " is not in the future: give a later --expires"));
    }
    token->record.expires_ms = request->expires_unix_ms();
  }
  if (token->record.role == "operator") {
    if (Status s = CheckOperator(store_, token->record.operator_id); !s.ok()) {
      return ToGrpcStatus(s);
    }
  }
  if (Status s = store_.CreateToken(token->record); !s.ok()) return ToGrpcStatus(s);
  geo::JsonWriter j;
  j.BeginObject().Key("role").String(request->role()).Key("label").String(request->label());
  if (token->record.expires_ms)
    j.Key("expires").String(geo::FormatIso8601(*token->record.expires_ms));
  j.EndObject();
  audit_.Record(caller.value(), "token.create", "tok_" + token->record.token_id, j.str());
  api::ToProto(token->record, token->text, *response);
  return grpc::Status::OK;
}

grpc::Status AccessService::ListTokens(grpc::ServerContext* context, const v1::ListTokensRequest*,
                                       v1::ListTokensResponse* response) {
  auto caller = CheckCall(access_, *context, Rpc::kListTokens);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto tokens = store_.ListTokens();
  if (!tokens.ok()) return ToGrpcStatus(tokens.status());
  for (const auto& t : tokens.value()) api::ToProto(t, *response->add_tokens());
  return grpc::Status::OK;
}

grpc::Status AccessService::RevokeToken(grpc::ServerContext* context,
                                        const v1::RevokeTokenRequest* request,
                                        v1::RevokeTokenResponse* response) {
  auto caller = CheckCall(access_, *context, Rpc::kRevokeToken);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  std::string id = request->token_id();
  if (id.starts_with("tok_")) id = id.substr(4);
  auto revoked = store_.RevokeToken(id, geo::NowUnixMs());
  if (!revoked.ok()) return ToGrpcStatus(revoked.status());
  auto token = store_.FindToken(id);
  if (!token.ok()) return ToGrpcStatus(token.status());
  if (!token.value()) return ToGrpcStatus(NotFound("no token tok_" + id));
  if (!revoked.value()) {
    return ToGrpcStatus(FailedPrecondition("token tok_" + id + " was revoked already"));
  }
  audit_.Record(caller.value(), "token.revoke", "tok_" + id);
  api::ToProto(*token.value(), *response->mutable_token());
  return grpc::Status::OK;
}

grpc::Status AccessService::ListAudit(grpc::ServerContext* context,
                                      const v1::ListAuditRequest* request,
                                      v1::ListAuditResponse* response) {
  auto caller = CheckCall(access_, *context, Rpc::kListAudit);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto entries = store_.ListAudit(request->limit() == 0 ? 100 : request->limit());
  if (!entries.ok()) return ToGrpcStatus(entries.status());
  for (const auto& e : entries.value()) api::ToProto(e, *response->add_entries());
  return grpc::Status::OK;
}

grpc::Status AccessService::WhoAmI(grpc::ServerContext* context, const v1::WhoAmIRequest*,
                                   v1::WhoAmIResponse* response) {
  auto caller = CheckCall(access_, *context, Rpc::kWhoAmI);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  std::optional<store::TokenRecord> token;
  if (!caller->token_id.empty()) {
    auto found = store_.FindToken(caller->token_id);
    if (!found.ok()) return ToGrpcStatus(found.status());
    token = std::move(found.value());
  }
  std::vector<std::string> allowed;
  for (Rpc rpc : kAllRpcs) {
    if (Allowed(caller->role, rpc)) allowed.emplace_back(ToString(rpc));
  }
  api::ToProto(ToString(caller->role), caller->operator_id, caller->token_id,
               token ? &*token : nullptr, allowed, *response);
  return grpc::Status::OK;
}

}  // namespace covgap::server
