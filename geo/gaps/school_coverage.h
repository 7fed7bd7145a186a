// Per-school coverage, computed from an analysis' coverage grids (the records and their
// classification are geo/model/school_coverage.h).
#pragma once

#include <span>
#include <vector>

#include "geo/base/status.h"
#include "geo/grid/coverage_grid.h"
#include "geo/model/school_coverage.h"

namespace covgap::geo {

// How far the nearest-good search reaches: beyond this a school has no nearest good cell.
inline constexpr double kNearestGoodLimitM = 20'000;

// For each school (in the given order) and each grid (in the given order), one record: the
// school's cell (same projection and floor rule as the samples) classed with the indoor margin
// (both thresholds of the grid's technology raised by params.indoor_margin_db; fewer than
// min_samples samples stays unmeasured), its samples and exact median, and the exact Euclidean
// distance in the analysis CRS from the school to the centre of the nearest cell whose outdoor
// class is good (none when that is farther than `limit_m`). Pass the operators' grids, not the
// merged ones. Fails when the analysis CRS cannot be used.
StatusOr<std::vector<SchoolCoverage>> ComputeSchoolCoverage(const std::vector<School>& schools,
                                                            std::span<const CoverageGrid> grids,
                                                            const AnalysisParams& params,
                                                            double limit_m = kNearestGoodLimitM);

}  // namespace covgap::geo
