// Per-school coverage (docs/gaps.md "Schools"): for each school, the class of the cell it stands in
// for every operator and technology, judged with the indoor margin (a school is indoors: its cell
// needs threshold + margin), and the distance to the nearest good cell (outdoor thresholds).
// A school is in a white zone when no operator is good for it in any technology.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "geo/coverage_grid.h"
#include "geo/gap.h"

namespace covgap::geo {

struct SchoolCoverage {
  std::string school_id;
  std::string operator_id;
  Technology tech = Technology::kLte;
  CellClass indoor_class = CellClass::kUnmeasured;  // the school's cell, thresholds + indoor margin
  std::int64_t samples = 0;                         // samples in the school's cell
  double median_dbm = std::nan("");                 // NaN when the cell has no samples
  std::optional<double> nearest_good_m;  // to the nearest good cell's centre; none within reach
};

// True when none of the school's records is good (indoor): no operator serves it in any
// technology. `coverage` holds the records of one school.
inline bool InWhiteZone(std::span<const SchoolCoverage> coverage) {
  for (const SchoolCoverage& c : coverage) {
    if (c.indoor_class == CellClass::kGood) return false;
  }
  return true;
}

}  // namespace covgap::geo
