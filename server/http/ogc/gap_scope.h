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

// Whether `caller` may see `gap` at all: an operator its own and the common gaps, everyone else
// every gap (as the life cycle and WatchGaps decide in gRPC).
bool CallerSees(const Caller& caller, const geo::Gap& gap);

// Whether `gap` belongs to `id` as `caller` sees it.
bool InScope(const CollectionId& id, const Caller& caller, const geo::Gap& gap);

// The gap collections among `gaps` the caller may see: "gaps" and one per (kind, operator,
// technology) present, sorted by id.
std::vector<CollectionId> GapCollections(const std::vector<geo::Gap>& gaps, const Caller& caller);

}  // namespace covgap::server::http::ogc
