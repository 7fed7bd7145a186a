#include "server/grpc_access.h"

#include <string_view>

namespace covgap::server {

StatusOr<Caller> CheckCall(const AccessControl& access, const grpc::ServerContext& context,
                           Rpc rpc) {
  if (!access.enabled()) return access.CheckToken(std::nullopt, rpc);
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return access.CheckToken(std::nullopt, rpc);
  std::string_view value(it->second.data(), it->second.size());
  if (!value.starts_with("Bearer ")) {
    return Status(StatusCode::kUnauthenticated, "the authorization is not a Bearer token");
  }
  value.remove_prefix(7);
  return access.CheckToken(value, rpc);
}

}  // namespace covgap::server
