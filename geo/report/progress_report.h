// The progress report for the Chairman of the province (docs/report.md): how far the operators
// are in clearing the dead spots before the deadline of the directive "Sóng và máy tính cho em"
// (report to the Chairman before 20/12/2021), per district and per operator, and how ready the
// districts' students are (devices and signal). Pure computation over domain types; every figure
// is defined in docs/report.md "Figures".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "geo/base/status.h"
#include "geo/model/gap.h"
#include "geo/model/school_coverage.h"

namespace covgap::geo {

// Gaps by life-cycle status. `cleared` includes awaiting_measurement (the operator says it is
// fixed; the measurements have not confirmed it yet).
struct StatusCounts {
  std::int64_t open = 0;
  std::int64_t planned = 0;
  std::int64_t cleared = 0;
  std::int64_t verified = 0;
  std::int64_t total() const { return open + planned + cleared + verified; }
};

struct ProgressRow {
  std::string key;  // district name, operator id, or "" for the total
  StatusCounts gaps;
  std::int64_t students_start = 0;        // students without a device inside the baseline's gaps
  std::int64_t students_now = 0;          // ... inside the latest run's gaps not verified
  std::int64_t overdue_plans = 0;         // planned, target date before "now"
  std::int64_t plans_after_deadline = 0;  // planned, target date after the deadline
  std::int64_t plans_without_target = 0;  // planned, no target date
};

// Device and signal readiness of a district's students (the district's shared device pool).
struct ReadinessRow {
  std::string district;  // "" for the total
  std::int64_t schools = 0;
  std::int64_t schools_white_zone = 0;  // measured, no operator good indoors (geo::InWhiteZone)
  std::int64_t schools_no_data = 0;     // not enough samples to tell (geo::SchoolSignal::kNoData)
  std::int64_t schools_covered = 0;     // measured good, or predicted P(good indoors) >= 0.8
  std::int64_t schools_uncertain = 0;   // predicted P(good indoors) in (0.2, 0.8): measure there
  std::int64_t students = 0;
  std::int64_t students_nodev = 0;
  std::int64_t students_white_zone = 0;        // students of white-zone schools
  std::int64_t students_nodev_white_zone = 0;  // without a device and at a white-zone school
};

// One row of the province's list still to clear (docs/report.md "First places to clear").
struct FirstPlace {
  std::int64_t rank = 0;
  std::string gap_id;
  GapKind kind = GapKind::kOperator;
  std::string operators;  // the operator, or for a common gap "" and `contains` below
  std::string contains;   // a common gap: the operators whose own gaps lie inside it
  Technology tech = Technology::kLte;
  std::string district;
  std::string commune;
  std::int64_t schools = 0;
  std::int64_t students_nodev = 0;
  std::string status;
  std::optional<std::int64_t> target_ms;
};
inline constexpr std::size_t kFirstPlaces = 10;

struct ProgressReport {
  std::int64_t deadline_ms = 0;  // 00:00 UTC of the deadline day
  std::int64_t now_ms = 0;       // "as of"
  std::int64_t days_left = 0;    // calendar days (UTC) from now to the deadline; < 0 when passed
  std::int64_t latest_run_id = 0;
  std::int64_t baseline_run_id = 0;
  std::vector<ProgressRow> districts;   // by name; "" (no district) last when present
  std::vector<ProgressRow> operators;   // by operator id
  ProgressRow total;                    // all operator gaps; students in common gaps
  StatusCounts common_gaps;             // common gaps (no operator covers) by status
  std::vector<ReadinessRow> readiness;  // by district name
  ReadinessRow readiness_total;
  // The first kFirstPlaces rows of the province's list (docs/gaps.md "Ranking") that are open or
  // planned, by rank: what to clear next.
  std::vector<FirstPlace> first_places;
};

struct ProgressInputs {
  std::vector<AdminArea> areas;  // only the district level is used (WGS84 WKB)
  std::vector<Gap> latest_gaps;  // with wkb (analysis CRS, Gap::crs)
  std::vector<Gap> baseline_gaps;
  std::vector<School> schools;
  std::vector<Household> households;
  std::vector<SchoolCoverage> school_coverage;  // the latest run's records
  std::int64_t deadline_ms = 0;
  std::int64_t now_ms = 0;
  std::int64_t latest_run_id = 0;
  std::int64_t baseline_run_id = 0;
};

// Places (schools, households) are put in the district area that contains them (WGS84); a place
// outside every district area keeps the district area whose name matches its own district field
// (with or without the unit prefix), else its district text as given.
StatusOr<ProgressReport> BuildProgressReport(const ProgressInputs& inputs);

// Calendar days (UTC) from the day of `now_ms` to the day of `deadline_ms`.
std::int64_t DaysLeft(std::int64_t now_ms, std::int64_t deadline_ms);

// The district name without its unit prefix ("Huyện ", "Thành phố ", "Thị xã ", "Quận ").
std::string StripDistrictPrefix(const std::string& name);

// Schools whose coverage records say white zone (records present, none good indoors), by id.
std::vector<std::string> WhiteZoneSchools(const std::vector<SchoolCoverage>& coverage);

}  // namespace covgap::geo
