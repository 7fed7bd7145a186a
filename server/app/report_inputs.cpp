#include "server/app/report_inputs.h"

#include <cstdint>
#include <utility>

namespace covgap::server {
namespace {

StatusOr<std::vector<geo::Gap>> AllGaps(store::Store& store, std::int64_t run_id) {
  store::GapQuery query;
  query.run_id = run_id;
  query.order = store::GapOrder::kRank;
  query.limit = UINT64_MAX >> 1;
  query.with_geometry = true;
  auto gaps = store.ListGaps(query);
  if (!gaps.ok()) return gaps.status();
  return std::move(gaps->first);
}

}  // namespace

SchoolCoverageSource LatestSchoolCoverageSource() {
  return [](store::Store& st) { return st.LatestSchoolCoverage(); };
}

StatusOr<geo::ProgressInputs> LoadReportInputs(store::Store& store,
                                               const SchoolCoverageSource& coverage) {
  geo::ProgressInputs in;
  auto latest = store.LatestRun();
  if (!latest.ok()) return latest.status();
  if (!latest->has_value()) {
    return FailedPrecondition("no analysis has been run yet: run covgap analyse first");
  }
  auto first = store.FirstRun();
  if (!first.ok()) return first.status();
  in.latest_run_id = (*latest)->run_id;
  in.baseline_run_id = first->has_value() ? (*first)->run_id : in.latest_run_id;
  auto latest_gaps = AllGaps(store, in.latest_run_id);
  if (!latest_gaps.ok()) return latest_gaps.status();
  in.latest_gaps = std::move(latest_gaps.value());
  if (in.baseline_run_id == in.latest_run_id) {
    in.baseline_gaps = in.latest_gaps;
  } else {
    auto baseline_gaps = AllGaps(store, in.baseline_run_id);
    if (!baseline_gaps.ok()) return baseline_gaps.status();
    in.baseline_gaps = std::move(baseline_gaps.value());
  }
  auto areas = store.Areas();
  if (!areas.ok()) return areas.status();
  in.areas = std::move(areas.value());
  auto schools = store.Schools();
  if (!schools.ok()) return schools.status();
  in.schools = std::move(schools.value());
  auto households = store.Households();
  if (!households.ok()) return households.status();
  in.households = std::move(households.value());
  if (coverage) {
    auto records = coverage(store);
    if (!records.ok()) return records.status();
    in.school_coverage = std::move(records.value());
  }
  return in;
}

}  // namespace covgap::server
