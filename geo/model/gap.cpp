#include "geo/model/gap.h"

namespace covgap::geo {

std::string_view ToString(GapKind kind) { return kind == GapKind::kCommon ? "common" : "operator"; }

std::optional<GapKind> ParseGapKind(std::string_view text) {
  if (text == "operator") return GapKind::kOperator;
  if (text == "common") return GapKind::kCommon;
  return std::nullopt;
}

std::string_view ToString(CellClass c) {
  switch (c) {
    case CellClass::kGood:
      return "good";
    case CellClass::kWeak:
      return "weak";
    case CellClass::kDead:
      return "dead";
    case CellClass::kUnmeasured:
      break;
  }
  return "unmeasured";
}

std::string_view ToString(Evidence evidence) {
  switch (evidence) {
    case Evidence::kMeasured:
      return "measured";
    case Evidence::kPredicted:
      return "predicted";
    case Evidence::kMixed:
      return "mixed";
  }
  return "measured";
}

std::optional<Evidence> ParseEvidence(std::string_view text) {
  if (text == "measured") return Evidence::kMeasured;
  if (text == "predicted") return Evidence::kPredicted;
  if (text == "mixed") return Evidence::kMixed;
  return std::nullopt;
}

std::string_view ToString(AnalysisMethod method) {
  switch (method) {
    case AnalysisMethod::kBinned:
      return "binned";
    case AnalysisMethod::kPredicted:
      return "predicted";
    case AnalysisMethod::kHybrid:
      return "hybrid";
  }
  return "binned";
}

std::optional<AnalysisMethod> ParseAnalysisMethod(std::string_view text) {
  if (text == "binned") return AnalysisMethod::kBinned;
  if (text == "predicted") return AnalysisMethod::kPredicted;
  if (text == "hybrid") return AnalysisMethod::kHybrid;
  return std::nullopt;
}

Thresholds DefaultThresholds(Technology tech) {
  switch (tech) {
    case Technology::kLte:
    case Technology::kNr:
      return {-105, -115};
    case Technology::kUmts:
    case Technology::kGsm:
      return {-95, -105};
  }
  return {-105, -115};
}

Thresholds AnalysisParams::ThresholdsFor(Technology tech) const {
  auto it = thresholds.find(tech);
  return it != thresholds.end() ? it->second : DefaultThresholds(tech);
}

std::string_view ToString(GapStatus status) {
  switch (status) {
    case GapStatus::kOpen:
      return "open";
    case GapStatus::kPlanned:
      return "planned";
    case GapStatus::kCleared:
      return "cleared";
    case GapStatus::kAwaitingMeasurement:
      return "awaiting_measurement";
    case GapStatus::kVerified:
      return "verified";
  }
  return "open";
}

std::optional<GapStatus> ParseGapStatus(std::string_view text) {
  for (GapStatus s : {GapStatus::kOpen, GapStatus::kPlanned, GapStatus::kCleared,
                      GapStatus::kAwaitingMeasurement, GapStatus::kVerified}) {
    if (text == ToString(s)) return s;
  }
  return std::nullopt;
}

std::string_view ToString(AreaLevel level) {
  switch (level) {
    case AreaLevel::kProvince:
      return "province";
    case AreaLevel::kDistrict:
      return "district";
    case AreaLevel::kCommune:
      return "commune";
  }
  return "?";
}

std::optional<AreaLevel> ParseAreaLevel(std::string_view text) {
  for (AreaLevel l : {AreaLevel::kProvince, AreaLevel::kDistrict, AreaLevel::kCommune}) {
    if (text == ToString(l)) return l;
  }
  return std::nullopt;
}

std::string_view ToString(SchoolLevel level) {
  switch (level) {
    case SchoolLevel::kPrimary:
      return "primary";
    case SchoolLevel::kLowerSecondary:
      return "lower_secondary";
    case SchoolLevel::kUpperSecondary:
      return "upper_secondary";
    case SchoolLevel::kContinuingEd:
      return "continuing_ed";
  }
  return "?";
}

std::optional<SchoolLevel> ParseSchoolLevel(std::string_view text) {
  for (SchoolLevel l : {SchoolLevel::kPrimary, SchoolLevel::kLowerSecondary,
                        SchoolLevel::kUpperSecondary, SchoolLevel::kContinuingEd}) {
    if (text == ToString(l)) return l;
  }
  return std::nullopt;
}

std::string_view ToString(HouseholdCategory category) {
  switch (category) {
    case HouseholdCategory::kPoor:
      return "poor";
    case HouseholdCategory::kNearPoor:
      return "near_poor";
    case HouseholdCategory::kCovidOrphan:
      return "covid_orphan";
    case HouseholdCategory::kOtherDifficulty:
      return "other_difficulty";
  }
  return "?";
}

std::optional<HouseholdCategory> ParseHouseholdCategory(std::string_view text) {
  for (HouseholdCategory c :
       {HouseholdCategory::kPoor, HouseholdCategory::kNearPoor, HouseholdCategory::kCovidOrphan,
        HouseholdCategory::kOtherDifficulty}) {
    if (text == ToString(c)) return c;
  }
  return std::nullopt;
}

}  // namespace covgap::geo
