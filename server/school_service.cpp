#include "server/school_service.h"

#include <map>
#include <string_view>

#include "geo/gaps/school_coverage.h"
#include "server/api/conversions.h"
#include "server/status_mapping.h"

namespace covgap::server {
namespace {

// The district filter of GapFilter: the full name, or the name after its unit prefix.
bool DistrictMatches(const std::string& name, const std::string& filter) {
  if (filter.empty() || name == filter) return true;
  for (std::string_view prefix : {"Huyện ", "Quận ", "Thị xã ", "Thành phố "}) {
    if (name.size() == prefix.size() + filter.size() && name.starts_with(prefix) &&
        name.ends_with(filter)) {
      return true;
    }
  }
  return false;
}

}  // namespace

grpc::Status SchoolService::ListSchools(grpc::ServerContext* context,
                                        const v1::ListSchoolsRequest* request,
                                        v1::ListSchoolsResponse* response) {
  auto caller = access_.Check(*context, Rpc::kListSchools);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto run = store_.LatestRun();
  if (!run.ok()) return ToGrpcStatus(run.status());
  if (!run.value()) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            "no analysis has been run yet: run covgap analyse first"};
  }
  auto schools = store_.Schools();
  if (!schools.ok()) return ToGrpcStatus(schools.status());
  auto coverage = store_.LatestSchoolCoverage();
  if (!coverage.ok()) return ToGrpcStatus(coverage.status());
  std::map<std::string, std::vector<geo::SchoolCoverage>> by_school;
  for (auto& c : coverage.value()) by_school[c.school_id].push_back(std::move(c));

  response->set_run_id(run.value()->run_id);
  response->set_nearest_good_limit_m(geo::kNearestGoodLimitM);
  static const std::vector<geo::SchoolCoverage> kNone;
  for (const geo::School& school : schools.value()) {
    if (!DistrictMatches(school.district, request->district())) continue;
    auto it = by_school.find(school.school_id);
    const auto& records = it == by_school.end() ? kNone : it->second;
    const geo::SchoolSignal signal = geo::ClassifySchool(records);
    const bool white = signal == geo::SchoolSignal::kWhiteZone;
    const bool no_data = signal == geo::SchoolSignal::kNoData;
    response->set_total_schools(response->total_schools() + 1);
    if (no_data) {
      response->set_no_data_schools(response->no_data_schools() + 1);
      response->set_no_data_students(response->no_data_students() +
                                     static_cast<std::uint64_t>(school.students));
    }
    if (white) {
      response->set_white_zone_schools(response->white_zone_schools() + 1);
      response->set_white_zone_students(response->white_zone_students() +
                                        static_cast<std::uint64_t>(school.students));
      response->set_white_zone_students_nodev(response->white_zone_students_nodev() +
                                              static_cast<std::uint64_t>(school.students_nodev));
    }
    if (request->uncovered_only() && signal == geo::SchoolSignal::kCovered) continue;
    v1::SchoolRow* row = response->add_schools();
    api::ToProto(school, *row->mutable_school());
    row->set_white_zone(white);
    row->set_no_data(no_data);
    for (const geo::SchoolCoverage& c : records) api::ToProto(c, *row->add_coverage());
  }
  return grpc::Status::OK;
}

}  // namespace covgap::server
