// Verification of a cleared gap by re-measurement (docs/gaps.md "Life cycle and verification").
//
// Only samples taken strictly after the gap's cleared time count; old negative samples never keep
// a cleared gap open. The samples of the gap's operator (a common gap: of every operator) and
// technology are projected to the gap's CRS, binned in the analysis grid (cell index
// floor(x / s), floor(y / s)) and kept when their cell lies inside the gap (the gap is a union of
// whole cells, so a cell is inside when its centre is). Per cell: the median signal (a common gap:
// the best operator's median among those that measured the cell), classed with the outdoor
// thresholds. A cell with at least one sample counts as measured: the density rule below already
// decides whether there is enough evidence in all.
//
// Rule (after the FCC 5G Fund's challenge-process density, K samples per km²): needed samples =
// max(1, ceil(K × area in km²)).
//   samples >= needed and good cells >= P % of measured cells  -> verified
//   samples >= needed, fewer good cells                         -> open (reopened), with figures
//   samples <  needed                                           -> awaiting_measurement
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "geo/base/status.h"
#include "geo/model/gap.h"

namespace covgap::geo {

struct VerificationRule {
  double samples_per_km2 = 3;    // K
  double min_good_percent = 90;  // P
};

// One measurement as the verification reads it (WGS84 degrees).
struct VerificationSample {
  std::string operator_id;
  Technology tech = Technology::kLte;
  double lat = 0;
  double lon = 0;
  int signal_dbm = 0;
  std::int64_t time_ms = 0;
};

struct VerificationResult {
  GapStatus status = GapStatus::kAwaitingMeasurement;  // verified, open or awaiting_measurement
  double area_km2 = 0;
  std::int64_t samples = 0;  // counted samples: after the clearance, right operator/tech, inside
  std::int64_t needed = 0;   // max(1, ceil(K × area_km2))
  std::int64_t measured_cells = 0;
  std::int64_t good_cells = 0;
  double good_percent = 0;  // of measured cells (0 when none)
  std::int64_t cleared_ms = 0;
  VerificationRule rule;
  std::string reason;  // the figures in one sentence, for the status note and the event
};

// `gap` needs kind, operator_id, tech, crs and wkb. `params` gives the cell size and thresholds
// (ThresholdsFor). InvalidArgument for a bad rule (K <= 0, P outside 0…100) or geometry.
StatusOr<VerificationResult> VerifyGap(const Gap& gap, std::int64_t cleared_ms,
                                       const std::vector<VerificationSample>& samples,
                                       const AnalysisParams& params,
                                       const VerificationRule& rule = {});

// One gap's verification as VerifyGaps reports it: its status before and after (as stored).
struct VerificationOutcome {
  std::string gap_id;
  std::string previous_status;
  VerificationResult result;
  std::string new_status;
};

// The analysis parameters a run stored as its params_json (method, cell_size_m, min_samples,
// thresholds, analysis_crs, as_of, as covgapd writes them); missing or unreadable keys keep their
// defaults (an old run without a method was binned). The one reader of params_json.
AnalysisParams AnalysisParamsFromJson(const std::string& params_json);

}  // namespace covgap::geo
