#include "server/app/school_listing.h"

#include <map>
#include <string_view>
#include <utility>
#include <vector>

namespace covgap::server {

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

StatusOr<geo::SchoolListing> ListSchoolCoverage(store::RunStore& runs,
                                                store::RegistryStore& registry,
                                                const std::string& district, bool uncovered_only) {
  auto run = runs.LatestRun();
  if (!run.ok()) return run.status();
  if (!run.value()) {
    return FailedPrecondition("no analysis has been run yet: run covgap analyse first");
  }
  auto schools = registry.Schools();
  if (!schools.ok()) return schools.status();
  auto coverage = runs.LatestSchoolCoverage();
  if (!coverage.ok()) return coverage.status();
  std::map<std::string, std::vector<geo::SchoolCoverage>> by_school;
  for (auto& c : coverage.value()) by_school[c.school_id].push_back(std::move(c));

  geo::SchoolListing out;
  out.run_id = run.value()->run_id;
  for (geo::School& school : schools.value()) {
    if (!DistrictMatches(school.district, district)) continue;
    auto it = by_school.find(school.school_id);
    std::vector<geo::SchoolCoverage> records;
    if (it != by_school.end()) records = std::move(it->second);
    const geo::SchoolSignal signal = geo::ClassifySchool(records);
    ++out.total_schools;
    if (signal == geo::SchoolSignal::kNoData) {
      ++out.no_data_schools;
      out.no_data_students += static_cast<std::uint64_t>(school.students);
    }
    if (signal == geo::SchoolSignal::kWhiteZone) {
      ++out.white_zone_schools;
      out.white_zone_students += static_cast<std::uint64_t>(school.students);
      out.white_zone_students_nodev += static_cast<std::uint64_t>(school.students_nodev);
    }
    if (uncovered_only && signal == geo::SchoolSignal::kCovered) continue;
    out.rows.push_back({std::move(school), signal, std::move(records)});
  }
  return out;
}

}  // namespace covgap::server
