// Attribution of gaps: administrative areas (the one of each level with the largest overlap),
// schools and households inside (exactly by cell: a point is inside a gap when the cell it falls
// in, floor(x / s), floor(y / s), is one of the gap's cells), and the ranking score.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "geo/base/status.h"
#include "geo/gaps/gap_finder.h"
#include "geo/model/gap.h"

namespace covgap::geo {

// Administrative areas reprojected to the analysis CRS, for overlap queries with GEOS.
class AreaIndex {
 public:
  static StatusOr<std::unique_ptr<AreaIndex>> Build(const std::vector<AdminArea>& areas,
                                                    const std::string& analysis_crs);
  ~AreaIndex();
  AreaIndex(const AreaIndex&) = delete;
  AreaIndex& operator=(const AreaIndex&) = delete;

  // Sets gap.province, gap.district and gap.commune to the name of the area of that level that
  // overlaps the gap's polygon most (ties: the first imported); "" where none overlaps. A gap
  // across a border therefore goes to the side holding most of its area.
  void Attribute(Gap& gap) const;

 private:
  AreaIndex();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Weights of the ranking model (docs/gaps.md "Ranking"); every one can be set in a weights file
// (ParseRankingWeights), by covgapd --ranking-weights and per run. All are >= 0.
struct RankingWeights {
  // Students without a device, weighted by the hardship of their household.
  double covid_orphan = 3.0;
  double poor = 2.0;
  double near_poor = 1.5;
  double other_difficulty = 1.0;
  double school_student = 1.0;  // a student without a device counted at a school
  // Schools inside: a weight per level plus a weight per enrolled student.
  double school_primary = 5.0;
  double school_lower_secondary = 5.0;
  double school_upper_secondary = 6.0;
  double school_continuing_ed = 4.0;
  double per_enrolled_student = 0.01;
  // Severity: the share of dead cells, and how far the gap's median is below the good threshold.
  double dead_share = 10.0;
  double depth_per_db = 0.5;
  // Size.
  double per_km2 = 1.0;
  // Evidence (hybrid and predicted analyses): the score is multiplied by
  // meas_share + (1 − meas_share) · predicted_evidence, so that a measured gap outranks an
  // equally bad predicted one. 1 = no difference; binned gaps (meas_share 1) are unaffected.
  double predicted_evidence = 0.7;
};

// The weights' keys in file order, with a pointer to each field.
std::vector<std::pair<std::string, double RankingWeights::*>> RankingWeightKeys();
// "covid_orphan, poor, …": for error messages.
std::string RankingWeightKeyList();
// Sets one weight by key; fails for an unknown key or a negative or non-finite value.
Status SetRankingWeight(RankingWeights& weights, const std::string& key, double value);
// Reads `key = value` lines (blank lines and # comments ignored; a # after the value starts a
// comment too) on top of `base` (default: the built-in weights). Errors name the line and list
// the valid keys.
StatusOr<RankingWeights> ParseRankingWeights(const std::string& text,
                                             const RankingWeights& base = {});
// The pairs of a weights file, checked the same way, without applying them.
StatusOr<std::vector<std::pair<std::string, double>>> ParseRankingWeightLines(
    const std::string& text);

// Counts schools, students without a device and poor/near-poor households inside each gap, and
// the hardship-weighted student count. Places are projected with the analysis CRS.
Status JoinPlaces(std::vector<FoundGap>& gaps, const std::vector<School>& schools,
                  const std::vector<Household>& households, const AnalysisParams& params,
                  const RankingWeights& weights);

// Sets common_id on every operator gap whose cells all lie in one common gap of its technology,
// and on that common gap `contains` = those gaps' operators (sorted, comma-separated): the same
// place, listed once (docs/gaps.md "Ranking").
void GroupContainedGaps(std::vector<FoundGap>& gaps);

// score = hardship-weighted students + school points (level + size)
//         + dead_share * share of dead cells + depth_per_db * dB of the median below the good
//           threshold of the gap's technology (params) + per_km2 * area in km²,
//           times meas_share + (1 − meas_share) * predicted_evidence;
// grp_rank 1.. per (kind, operator, technology) by score, then area, then id; rank 1.. over the
// rows of the province's list (every gap without a common_id; a common gap scoring the highest
// score of itself and the gaps inside it; then area, then id), a gap with a common_id sharing its
// common gap's rank.
void ScoreAndRank(std::vector<Gap>& gaps, const RankingWeights& weights,
                  const AnalysisParams& params = {});

}  // namespace covgap::geo
