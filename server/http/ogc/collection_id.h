// The feature collections and their ids: `gaps` (every gap the caller may see), one per gap kind,
// operator and technology (`gaps-viettel-lte`, `gaps-common-umts`), `schools` (points, counts
// only) and `districts` (boundaries). Ids are lower case.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "geo/model/gap.h"
#include "geo/model/measurement.h"

namespace covgap::server::http::ogc {

struct CollectionId {
  enum class Type { kGaps, kSchools, kDistricts };
  Type type = Type::kGaps;
  // Gaps of one group: kind, operator (operator gaps only) and technology; all unset = every gap.
  std::optional<geo::GapKind> kind;
  std::string operator_id;
  std::optional<geo::Technology> tech;

  std::string Id() const;
  std::string Title() const;
};

std::optional<CollectionId> ParseCollectionId(std::string_view id);
// "lte" / "umts".
std::string TechSlug(geo::Technology tech);

}  // namespace covgap::server::http::ogc
