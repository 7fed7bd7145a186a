// What the progress report (geo/report/progress_report.h) is computed from, read from the store
// without gRPC: the registry, the latest and the baseline (first) run's gaps and the per-school
// coverage records. Shared by ReportService.BuildReport (`covgap report`) and the dashboard's
// progress figures (server/http/dashboard/), so both show the same numbers.
#pragma once

#include <functional>
#include <vector>

#include "geo/base/status.h"
#include "geo/model/school_coverage.h"
#include "geo/report/progress_report.h"
#include "server/store/store.h"

namespace covgap::server {

// Where the per-school coverage records of the latest run come from (the readiness table's
// white zones). Empty function: no records, every school has "no data".
using SchoolCoverageSource =
    std::function<StatusOr<std::vector<geo::SchoolCoverage>>(store::Store&)>;

// The records of Store::LatestSchoolCoverage: what covgapd uses unless a test gives its own.
SchoolCoverageSource LatestSchoolCoverageSource();

// Everything the report needs, read from the store: registry, latest and baseline gaps, coverage.
// deadline_ms and now_ms are left to the caller. FAILED_PRECONDITION when there is no analysis
// yet.
StatusOr<geo::ProgressInputs> LoadReportInputs(store::Store& store,
                                               const SchoolCoverageSource& coverage);

}  // namespace covgap::server
