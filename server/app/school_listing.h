// The per-school coverage of the latest run as a use case, without gRPC (SchoolService.ListSchools
// parses, calls ListSchoolCoverage, converts): the schools of a district (or all), each with its
// signal (covered, uncertain, white zone, no data) and records, and the counts over them.
#pragma once

#include <string>

#include "geo/base/status.h"
#include "geo/model/school_coverage.h"
#include "server/store/store.h"

namespace covgap::server {

// The district filter of gap and school queries: the full name ("Huyện Lục Ngạn") or the name
// after its unit prefix ("Lục Ngạn"); empty matches every district.
bool DistrictMatches(const std::string& name, const std::string& filter);

// FailedPrecondition when no analysis has been run yet.
StatusOr<geo::SchoolListing> ListSchoolCoverage(store::RunStore& runs,
                                                store::RegistryStore& registry,
                                                const std::string& district, bool uncovered_only);

}  // namespace covgap::server
