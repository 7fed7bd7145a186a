// What an analysis reads from the store, shared by the analysis and the prediction services:
// the registry layers (areas, schools, households, sites), the stored measurements of the
// evidence window as a MeasurementSource, and the method a request gets when it names none.
// No gRPC here: the services parse the request, call these and convert the answers.
#pragma once

#include <string>

#include "geo/gaps/gap_analysis.h"
#include "geo/gaps/gap_attribution.h"
#include "server/store/store.h"

namespace covgap::server {

// OK when `operator_id` is empty (any operator) or registered; otherwise InvalidArgument naming
// the registered ones, so a misspelt --operator is an error rather than an empty answer.
Status CheckOperator(store::Store& store, const std::string& operator_id);

// Areas, schools, households and sites as stored.
StatusOr<geo::AnalysisInputs> LoadAnalysisInputs(store::Store& store);

// What the registry holds, counted (covgap doctor). Everything, whoever asks: the caller filters
// what a role may see.
StatusOr<store::RegistryCounts> CountRegistry(store::Store& store);

// The stored measurements inside params' evidence window (window_days before as_of, up to as_of).
// `store` must outlive the source.
geo::MeasurementSource StoredMeasurements(store::Store& store, const geo::AnalysisParams& params);

// The method of a request that names none (docs/prediction.md "Methods"): hybrid when sites and
// administrative areas are imported and the analysis is one piece (not tiled); otherwise binned,
// the reference method.
geo::AnalysisMethod DefaultMethod(const geo::AnalysisInputs& inputs,
                                  const geo::AnalysisParams& params);

// The run's parameters as stored with it (AnalysisRun::params_json).
std::string ParamsJson(const geo::AnalysisParams& params, const geo::RankingWeights& weights);

// (Read back with geo::AnalysisParamsFromJson, geo/gaps/gap_verification.h.)

// The run's summary as stored with it: grids, stage times and the calibrated models.
std::string SummaryJson(const geo::AnalysisResult& result);

}  // namespace covgap::server
