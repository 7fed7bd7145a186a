#include "server/http/ogc/collection_id.h"

#include <cctype>

namespace covgap::server::http::ogc {

std::string TechSlug(geo::Technology tech) {
  std::string slug(geo::ToString(tech));
  for (char& ch : slug) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return slug;
}

std::string CollectionId::Id() const {
  switch (type) {
    case Type::kSchools:
      return "schools";
    case Type::kDistricts:
      return "districts";
    case Type::kGaps:
      break;
  }
  if (!kind) return "gaps";
  const std::string who = *kind == geo::GapKind::kCommon ? "common" : operator_id;
  return "gaps-" + who + "-" + TechSlug(tech.value_or(geo::Technology::kLte));
}

std::string CollectionId::Title() const {
  switch (type) {
    case Type::kSchools:
      return "Schools / Trường học (student counts)";
    case Type::kDistricts:
      return "Districts / Huyện";
    case Type::kGaps:
      break;
  }
  if (!kind) return "Coverage gaps / Điểm lõm sóng (all)";
  const std::string t(geo::ToString(tech.value_or(geo::Technology::kLte)));
  if (*kind == geo::GapKind::kCommon) return "Common gaps / Lõm sóng chung " + t;
  return "Gaps of " + operator_id + " / Lõm sóng " + operator_id + " " + t;
}

std::optional<CollectionId> ParseCollectionId(std::string_view id) {
  CollectionId c;
  if (id == "gaps") return c;
  if (id == "schools") {
    c.type = CollectionId::Type::kSchools;
    return c;
  }
  if (id == "districts") {
    c.type = CollectionId::Type::kDistricts;
    return c;
  }
  if (!id.starts_with("gaps-")) return std::nullopt;
  id.remove_prefix(5);
  const auto dash = id.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  const std::string_view who = id.substr(0, dash);
  const std::string_view tech = id.substr(dash + 1);
  c.tech = geo::ParseTechnology(tech);
  if (!c.tech || TechSlug(*c.tech) != tech) return std::nullopt;
  for (char ch : who) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-')) {
      return std::nullopt;
    }
  }
  if (who == "common") {
    c.kind = geo::GapKind::kCommon;
  } else {
    c.kind = geo::GapKind::kOperator;
    c.operator_id = std::string(who);
  }
  return c;
}

}  // namespace covgap::server::http::ogc
