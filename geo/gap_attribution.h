// Attribution of gaps: administrative areas (the one of each level with the largest overlap),
// schools and households inside (exactly by cell: a point is inside a gap when the cell it falls
// in, floor(x / s), floor(y / s), is one of the gap's cells), and the ranking score.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "geo/gap.h"
#include "geo/gap_finder.h"
#include "geo/status.h"

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

// Hardship weights and score weights of the ranking model (docs/gaps.md "Ranking").
struct RankingWeights {
  double poor = 2.0;
  double near_poor = 1.5;
  double covid_orphan = 3.0;
  double other_difficulty = 1.0;
  double school_student = 1.0;  // a student without a device counted at a school
  double per_school = 5.0;
  double severity = 10.0;  // times the share of dead cells
  double per_km2 = 1.0;
};

// Counts schools, students without a device and poor/near-poor households inside each gap, and
// the hardship-weighted student count. Places are projected with the analysis CRS.
Status JoinPlaces(std::vector<FoundGap>& gaps, const std::vector<School>& schools,
                  const std::vector<Household>& households, const AnalysisParams& params,
                  const RankingWeights& weights);

// score = hardship-weighted students + per_school * schools + severity * share of dead cells
//         + per_km2 * area in km²; rank 1.. per (kind, operator, technology) by score, then area,
// then id.
void ScoreAndRank(std::vector<Gap>& gaps, const RankingWeights& weights);

}  // namespace covgap::geo
