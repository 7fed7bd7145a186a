#include "server/http/ogc/gap_scope.h"

#include <algorithm>
#include <cstdint>
#include <set>

#include "server/http/http_auth.h"
#include "server/http/ogc/ogc_api.h"

namespace covgap::server::http::ogc {

Status CheckVisible(const CollectionId& id, const Caller& caller) {
  if (caller.role == Role::kOperator && id.kind == geo::GapKind::kOperator &&
      id.operator_id != caller.operator_id) {
    return PermissionDenied(caller.Describe() + " may see only " + caller.operator_id +
                            "'s and the common gaps, not " + id.operator_id + "'s");
  }
  return Status::Ok();
}

Status CheckKnown(store::RegistryStore& registry, const CollectionId& id) {
  if (id.kind != geo::GapKind::kOperator) return Status::Ok();
  auto ops = registry.Operators();
  if (!ops.ok()) return ops.status();
  if (std::find(ops->begin(), ops->end(), id.operator_id) == ops->end()) {
    return NotFound("no collection '" + id.Id() + "': no operator '" + id.operator_id + "'");
  }
  return Status::Ok();
}

store::GapQuery ScopeQuery(const CollectionId& id, const Caller& caller, std::int64_t run_id) {
  store::GapQuery q;
  q.run_id = run_id;
  q.order = store::GapOrder::kRank;
  q.kind = id.kind;
  q.tech = id.tech;
  if (id.kind == geo::GapKind::kOperator) q.operator_id = id.operator_id;
  if (!id.kind && caller.role == Role::kOperator) {
    q.operator_id = caller.operator_id;
    q.include_common = true;
  }
  return q;
}

bool CallerSees(const Caller& caller, const geo::Gap& gap) {
  return caller.role != Role::kOperator || gap.kind == geo::GapKind::kCommon ||
         gap.operator_id == caller.operator_id;
}

bool InScope(const CollectionId& id, const Caller& caller, const geo::Gap& gap) {
  if (id.kind && gap.kind != *id.kind) return false;
  if (id.tech && gap.tech != *id.tech) return false;
  if (id.kind == geo::GapKind::kOperator && gap.operator_id != id.operator_id) return false;
  return CallerSees(caller, gap);
}

std::vector<CollectionId> GapCollections(const std::vector<geo::Gap>& gaps, const Caller& caller) {
  std::vector<CollectionId> out;
  out.emplace_back();  // "gaps"
  std::set<std::string> seen;
  for (const geo::Gap& g : gaps) {
    CollectionId id;
    id.kind = g.kind;
    id.tech = g.tech;
    if (g.kind == geo::GapKind::kOperator) id.operator_id = g.operator_id;
    if (!CheckVisible(id, caller).ok()) continue;
    if (seen.insert(id.Id()).second) out.push_back(std::move(id));
  }
  std::sort(out.begin() + 1, out.end(),
            [](const CollectionId& a, const CollectionId& b) { return a.Id() < b.Id(); });
  return out;
}

StatusOr<std::pair<CollectionId, Caller>> OpenCollection(OgcContext& ctx,
                                                         const HttpRequest& request) {
  auto id = ParseCollectionId(request.path_params.at(0));
  if (!id) return NotFound("no collection '" + request.path_params[0] + "'");
  auto caller =
      Authenticate(ctx.access, request,
                   id->type == CollectionId::Type::kSchools ? Rpc::kListSchools : Rpc::kListGaps);
  if (!caller.ok()) return caller.status();
  if (Status s = CheckVisible(*id, *caller); !s.ok()) return s;
  if (Status s = CheckKnown(ctx.store, *id); !s.ok()) return s;
  return std::make_pair(*id, *caller);
}

}  // namespace covgap::server::http::ogc
