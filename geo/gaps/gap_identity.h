// Stable gap identity across analyses.
//
// A new analysis matches its gaps to the previous run's by overlap: within the same kind,
// operator, technology and CRS, every (new, previous) pair whose polygons overlap is a candidate;
// pairs are taken greedily, largest overlap area first (ties: previous id, then new id), each gap
// at most once. A matched new gap takes the previous gap's id, so its status, plan and history
// carry over. Hence:
//   split  — a previous gap split in parts: the part overlapping it most keeps its id, the other
//            parts are new gaps;
//   merge  — previous gaps merged into one: the merged gap keeps the id of the one it overlaps
//            most; the others end (their ids do not appear in the new run).
// An unmatched new gap keeps its own id (`<operator>-<TECH>-<ix>_<iy>`), made unique with "-2",
// "-3", … if a matched gap already took that id.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "geo/model/gap.h"

namespace covgap::geo {

struct IdentityStats {
  std::size_t kept = 0;   // new gaps that took a previous gap's id
  std::size_t fresh = 0;  // new gaps with a new id
  std::size_t ended = 0;  // previous gaps no new gap matched
};

// `previous` needs gap_id, kind, operator_id, tech, crs and wkb.
IdentityStats MatchGapIdentities(const std::vector<Gap>& previous, std::vector<Gap>& gaps);

}  // namespace covgap::geo
