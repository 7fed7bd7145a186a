#include "geo/model/measurement.h"

#include <algorithm>
#include <cctype>

namespace covgap::geo {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string_view ToString(Technology tech) {
  switch (tech) {
    case Technology::kGsm:
      return "GSM";
    case Technology::kUmts:
      return "UMTS";
    case Technology::kLte:
      return "LTE";
    case Technology::kNr:
      return "NR";
  }
  return "?";
}

std::string_view ToString(Source source) {
  switch (source) {
    case Source::kDrive:
      return "drive";
    case Source::kCrowd:
      return "crowd";
    case Source::kMdt:
      return "mdt";
    case Source::kUnspecified:
      break;
  }
  return "";
}

std::optional<Technology> ParseTechnology(std::string_view text) {
  struct Alias {
    std::string_view name;
    Technology tech;
  };
  static constexpr Alias kAliases[] = {
      {"LTE", Technology::kLte}, {"4G", Technology::kLte},     {"UMTS", Technology::kUmts},
      {"3G", Technology::kUmts}, {"WCDMA", Technology::kUmts}, {"HSPA", Technology::kUmts},
      {"GSM", Technology::kGsm}, {"2G", Technology::kGsm},     {"NR", Technology::kNr},
      {"5G", Technology::kNr},
  };
  for (const auto& alias : kAliases) {
    if (EqualsIgnoreCase(text, alias.name)) return alias.tech;
  }
  return std::nullopt;
}

std::optional<Source> ParseSource(std::string_view text) {
  if (text.empty()) return Source::kUnspecified;
  for (Source s : {Source::kDrive, Source::kCrowd, Source::kMdt}) {
    if (EqualsIgnoreCase(text, ToString(s))) return s;
  }
  return std::nullopt;
}

}  // namespace covgap::geo
