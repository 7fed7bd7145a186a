// Which gaps a collection holds for a caller: the collection's kind, operator and technology, and
// for an operator's token its own and the common gaps only (as the gap life cycle and WatchGaps
// do in gRPC).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "geo/base/status.h"
#include "server/http/ogc/collection_id.h"
#include "server/roles.h"
#include "server/store/store.h"

namespace covgap::server::http::ogc {

// PermissionDenied when an operator asks for another operator's gaps.
Status CheckVisible(const CollectionId& id, const Caller& caller);

// NotFound for a collection of an operator the registry does not know.
Status CheckKnown(store::RegistryStore& registry, const CollectionId& id);

// The query of `id`'s gaps of run `run_id` for `caller` (limit and offset left to the caller).
store::GapQuery ScopeQuery(const CollectionId& id, const Caller& caller, std::int64_t run_id);

// Whether `gap` belongs to `id` as `caller` sees it.
bool InScope(const CollectionId& id, const Caller& caller, const geo::Gap& gap);

// The gap collections of run `run_id` (run_id 0: no run yet) the caller may see: "gaps" and one
// per (kind, operator, technology) present, sorted by id.
StatusOr<std::vector<CollectionId>> GapCollections(store::RunStore& runs, std::int64_t run_id,
                                                   const Caller& caller);

// The latest run's id, 0 when nothing was analysed yet.
StatusOr<std::int64_t> LatestRunId(store::RunStore& runs);

}  // namespace covgap::server::http::ogc
