// The prediction step of a predicted or hybrid analysis (docs/prediction.md), between binning and
// gap finding: one calibrated model per operator and technology that has sites, predicted at every
// cell of the analysed area and every sampled cell, and the grids gaps are then found in. Also the
// per-school records of those analyses (predicted level, σ and P(good) indoors where the school's
// cell is not measured).
#pragma once

#include <optional>
#include <vector>

#include "geo/gaps/school_coverage.h"
#include "geo/grid/coverage_grid.h"
#include "geo/model/gap.h"
#include "geo/model/site.h"
#include "geo/prediction/coverage_prediction.h"

namespace covgap::geo::prediction {

struct PredictedGrids {
  // Parallel to the grids passed in (after site-only groups were appended): the prediction of
  // that grid's group, or none when the group has no site (its grid stays binned).
  std::vector<std::optional<GroupPrediction>> predictions;
  std::vector<ModelSummary> models;  // one per predicted group
  double fit_seconds = 0, predict_seconds = 0;
};

// `grids` are the binned grids of every group with measurements; a group with sites but no
// measurement gets an empty grid appended (operator, tech set). Targets: AreaCells(areas) plus
// every cell with a sample. Groups are fitted one after another, each on params.threads threads.
StatusOr<PredictedGrids> PredictGrids(std::vector<CoverageGrid>& grids,
                                      const std::vector<Site>& sites,
                                      const std::vector<AdminArea>& areas,
                                      const AnalysisParams& params,
                                      const PredictionOptions& options = {});

// The sites of one operator and technology.
std::vector<Site> SitesOf(const std::vector<Site>& sites, const std::string& operator_id,
                          Technology tech);

// Records of ComputeSchoolCoverage over the composed grids (school-major, grids in order) whose
// cell is predicted get predicted_dbm, sigma_db, p_good_indoor (threshold + indoor margin) and the
// predicted indoor class; median_dbm and samples stay those of the cell's own samples.
Status AddPredictedSchoolCoverage(std::vector<SchoolCoverage>& records,
                                  const std::vector<School>& schools,
                                  const std::vector<CoverageGrid>& composed,
                                  const std::vector<std::optional<GroupPrediction>>& predictions,
                                  const AnalysisParams& params);

}  // namespace covgap::geo::prediction
