// Where to measure next (docs/prediction.md "Campaign"): the places whose coverage class is most
// uncertain, weighted by the students without a device who depend on them, as a drive-test plan
// for one operator.
//
// Uncertainty of a predicted cell: u = 4·p·(1 − p) with p = P(good) (1 at p = 0.5, 0 when the
// prediction is sure; measured cells have u = 0). Candidates:
//   school     the school's cell, p = P(good indoors), weight u · (1 + students without a device
//              + students / 100);
//   cell       a predicted cell with households (their students without a device summed; the
//              households themselves are never listed) or inside the uncertain band, weight
//              u · (1 + students without a device of its households).
// The best candidates by weight (at most max_waypoints, at least min_spacing_m apart: one pass of
// a drive test measures a neighbourhood) are grouped by commune; communes are visited in a
// nearest-neighbour tour from the heaviest one, and the waypoints inside a commune in a
// nearest-neighbour tour from where the route enters it. The route stops before the straight-line
// length would pass budget_km (a road route is typically 1.2–1.4 times longer).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "geo/grid/coverage_grid.h"
#include "geo/model/gap.h"
#include "geo/prediction/coverage_prediction.h"

namespace covgap::geo::prediction {

struct CampaignOptions {
  double budget_km = 150;
  std::size_t max_waypoints = 150;
  double min_spacing_m = 500;
};

struct Waypoint {
  std::size_t order = 0;  // 1, 2, … along the route
  std::string kind;       // "school" or "cell"
  std::string id;         // school id, or the cell's gap-style id <op>-<TECH>-<ix>_<iy>
  std::string name;       // school name; "" for cells
  Technology tech = Technology::kLte;
  double lon = 0, lat = 0;
  std::string district, commune;
  double p_good = 0;  // of the waypoint's cell (indoors for schools)
  double sigma_db = 0;
  double predicted_dbm = 0;
  std::int64_t students_nodev = 0;
  std::int64_t households = 0;
  double weight = 0;
  double leg_km = 0, route_km = 0;  // straight line from the previous waypoint, and in total
};

struct CampaignPlan {
  std::string operator_id;
  std::vector<Waypoint> waypoints;
  std::uint64_t candidates = 0;  // before the selection
  double route_km = 0;
};

// `grids` are the operator's composed grids (ComposeGrid) with their predictions (parallel).
StatusOr<CampaignPlan> PlanCampaign(const std::string& operator_id,
                                    const std::vector<const CoverageGrid*>& grids,
                                    const std::vector<const GroupPrediction*>& predictions,
                                    const std::vector<School>& schools,
                                    const std::vector<Household>& households,
                                    const std::vector<AdminArea>& areas,
                                    const AnalysisParams& params, const CampaignOptions& options);

}  // namespace covgap::geo::prediction
