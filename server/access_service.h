// AccessService: tokens (create, list, revoke) and the audit trail, authority only; WhoAmI for
// every role.
#pragma once

#include "covgap/v1/access.grpc.pb.h"
#include "server/access_control.h"
#include "server/audit_trail.h"

namespace covgap::server {

class AccessService final : public v1::AccessService::Service {
 public:
  AccessService(store::Store& store, const AccessControl& access, AuditTrail& audit)
      : store_(store), access_(access), audit_(audit) {}

  grpc::Status CreateToken(grpc::ServerContext* context, const v1::CreateTokenRequest* request,
                           v1::CreateTokenResponse* response) override;
  grpc::Status ListTokens(grpc::ServerContext* context, const v1::ListTokensRequest* request,
                          v1::ListTokensResponse* response) override;
  grpc::Status RevokeToken(grpc::ServerContext* context, const v1::RevokeTokenRequest* request,
                           v1::RevokeTokenResponse* response) override;
  grpc::Status ListAudit(grpc::ServerContext* context, const v1::ListAuditRequest* request,
                         v1::ListAuditResponse* response) override;
  // Any role: who the caller's token says it is, and what it may call.
  grpc::Status WhoAmI(grpc::ServerContext* context, const v1::WhoAmIRequest* request,
                      v1::WhoAmIResponse* response) override;

 private:
  store::Store& store_;
  const AccessControl& access_;
  AuditTrail& audit_;
};

}  // namespace covgap::server
