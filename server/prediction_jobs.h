// The prediction use cases behind PredictionService (docs/prediction.md), without gRPC: block
// cross-validation of the calibrated model, the drive-test campaign of one operator, and a
// coverage raster of one (operator, technology). Each reads the stored measurements of the
// evidence window and the registry layers, fits the models it needs (only the groups asked for)
// and returns its answer; nothing is stored. One job runs at a time per covgapd (they use every
// analysis thread); a second gets ResourceExhausted.
//
// Who may ask what: `caller_operator` is the caller's operator for an operator token ("" for
// the authority and viewers). An operator asking about another operator gets PermissionDenied
// (not_your_operator); an operator's answers cover its own groups only.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "geo/gaps/gap_analysis.h"
#include "geo/model/gap.h"
#include "geo/prediction/campaign.h"
#include "geo/prediction/coverage_raster.h"
#include "geo/prediction/validation.h"
#include "server/store/store.h"

namespace covgap::server {

struct RasterFile {
  std::string path;       // written in the scratch directory; the caller removes it
  std::string file_name;  // suggested name, e.g. covgap-viettel-LTE-p_good.tif
};

class PredictionJobs {
 public:
  PredictionJobs(store::Store& store, std::string scratch_dir, unsigned threads)
      : store_(store), scratch_dir_(std::move(scratch_dir)), threads_(threads) {}

  // `method_given` false: hybrid. Binned is refused (there is no prediction to score).
  StatusOr<geo::prediction::ValidationReport> Validate(
      const std::string& caller_operator, geo::AnalysisParams params, bool method_given,
      const geo::prediction::ValidationOptions& options, const std::string& operator_id,
      std::optional<geo::Technology> tech);

  // `operator_id` "" = the caller's own (an operator); the authority must name one.
  StatusOr<geo::prediction::CampaignPlan> Campaign(const std::string& caller_operator,
                                                   geo::AnalysisParams params, bool method_given,
                                                   const geo::prediction::CampaignOptions& options,
                                                   const std::string& operator_id,
                                                   std::optional<geo::Technology> tech);

  StatusOr<RasterFile> Raster(const std::string& caller_operator, geo::AnalysisParams params,
                              bool method_given, const std::string& operator_id,
                              std::optional<geo::Technology> tech,
                              geo::prediction::RasterLayer layer, const std::string& target_crs);

 private:
  // The stored inputs with only the sites of `op` (any when empty) and `tech`, and the coverage
  // predicted from them; FailedPrecondition when no such site is imported.
  struct Prepared {
    geo::AnalysisInputs inputs;
    geo::CoverageResult coverage;
  };
  StatusOr<Prepared> PredictCoverage(const geo::AnalysisParams& params, const std::string& op,
                                     std::optional<geo::Technology> tech);

  store::Store& store_;
  std::string scratch_dir_;
  unsigned threads_ = 0;
  std::mutex busy_;
};

}  // namespace covgap::server
