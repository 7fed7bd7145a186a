// Per-school coverage (docs/gaps.md "Schools"): for each school, the class of the cell it stands in
// for every operator and technology, judged with the indoor margin (a school is indoors: its cell
// needs threshold + margin), and the distance to the nearest good cell (outdoor thresholds).
// A school is in a white zone when no operator is good for it in any technology.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "geo/model/gap.h"

namespace covgap::geo {

struct SchoolCoverage {
  std::string school_id;
  std::string operator_id;
  Technology tech = Technology::kLte;
  CellClass indoor_class = CellClass::kUnmeasured;  // the school's cell, thresholds + indoor margin
  std::int64_t samples = 0;                         // samples in the school's cell
  double median_dbm = std::nan("");                 // NaN when the cell has no samples
  std::optional<double> nearest_good_m;  // to the nearest good cell's centre; none within reach
  // Prediction (hybrid and predicted analyses, docs/prediction.md): where the school's cell is
  // not measured, the predicted signal, its standard deviation and the probability that it
  // reaches the indoor threshold (good threshold + indoor margin); indoor_class is then the
  // predicted class. Unset for measured cells and in binned analyses.
  std::optional<double> predicted_dbm;
  std::optional<double> sigma_db;
  std::optional<double> p_good_indoor;
};

// What covgap can say about a school's signal, over all its records (one school's):
//   covered     some operator is good indoors in a measured cell, or its predicted P(good indoors)
//               is at least kCoveredProbability;
//   uncertain   not covered, and the best predicted P(good indoors) is inside the uncertain band
//               (kUncoveredProbability, kCoveredProbability): it needs a drive test;
//   white zone  ("not covered") measured or predicted, and no operator is good or likely good;
//   no data     no operator's cell at the school is measured or predicted (binned analyses: too
//               few samples) — unknown, not known to be bad.
enum class SchoolSignal : std::uint8_t { kCovered, kWhiteZone, kNoData, kUncertain };

inline constexpr double kCoveredProbability = 0.8;
inline constexpr double kUncoveredProbability = 0.2;

inline SchoolSignal ClassifySchool(std::span<const SchoolCoverage> coverage) {
  bool known = false;
  double best_p = -1;
  for (const SchoolCoverage& c : coverage) {
    if (c.p_good_indoor) {
      best_p = std::max(best_p, *c.p_good_indoor);
      known = true;
      continue;
    }
    if (c.indoor_class == CellClass::kGood) return SchoolSignal::kCovered;
    known = known || c.indoor_class != CellClass::kUnmeasured;
  }
  if (best_p >= kCoveredProbability) return SchoolSignal::kCovered;
  if (best_p > kUncoveredProbability) return SchoolSignal::kUncertain;
  return known ? SchoolSignal::kWhiteZone : SchoolSignal::kNoData;
}

// True when the school was measured and no operator serves it indoors in any technology.
inline bool InWhiteZone(std::span<const SchoolCoverage> coverage) {
  return ClassifySchool(coverage) == SchoolSignal::kWhiteZone;
}

// The schools of one run as SchoolService.ListSchools reports them: per school its signal and
// records, and counts over the schools listed (before an uncovered-only filter drops rows).
struct SchoolListingRow {
  School school;
  SchoolSignal signal = SchoolSignal::kNoData;
  std::vector<SchoolCoverage> coverage;
};
struct SchoolListing {
  std::int64_t run_id = 0;
  std::uint64_t total_schools = 0;
  std::uint64_t no_data_schools = 0;
  std::uint64_t no_data_students = 0;
  std::uint64_t white_zone_schools = 0;
  std::uint64_t white_zone_students = 0;
  std::uint64_t white_zone_students_nodev = 0;
  std::vector<SchoolListingRow> rows;
};

}  // namespace covgap::geo
