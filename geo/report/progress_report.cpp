#include "geo/report/progress_report.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "geo/base/time_format.h"
#include "geo/spatial/area_lookup.h"
#include "geo/spatial/gdal_handles.h"
#include "geo/spatial/point_projector.h"

namespace covgap::geo {
namespace {

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// A school or household: where it is, how many students without a device it holds.
struct Place {
  double lon = 0;
  double lat = 0;
  std::int64_t students_nodev = 0;
  std::string district;
};

// Which gaps (indices into one gap list) each place lies in (inside or on the boundary).
StatusOr<std::vector<std::vector<std::size_t>>> PlacesInGaps(const std::vector<Place>& places,
                                                             const std::vector<Gap>& gaps) {
  std::vector<std::vector<std::size_t>> in(places.size());
  GeosContext geos;
  GEOSContextHandle_t ctx = geos.get();
  const GeosWkbReader reader(ctx);
  // Places projected once per CRS, sorted by x for a range search.
  struct Projected {
    std::vector<double> x, y;
    std::vector<std::size_t> by_x;
  };
  std::map<std::string, Projected> projected;
  for (std::size_t gi = 0; gi < gaps.size(); ++gi) {
    const Gap& gap = gaps[gi];
    auto it = projected.find(gap.crs);
    if (it == projected.end()) {
      auto projector = PointProjector::Create(gap.crs);
      if (!projector.ok()) {
        return InvalidArgument("gap " + gap.gap_id + ": CRS '" + gap.crs +
                               "' cannot be used: " + projector.status().message());
      }
      Projected p;
      std::vector<double> lon(places.size()), lat(places.size());
      for (std::size_t i = 0; i < places.size(); ++i) {
        lon[i] = places[i].lon;
        lat[i] = places[i].lat;
      }
      p.x.resize(places.size());
      p.y.resize(places.size());
      (*projector)->Project(lon.data(), lat.data(), p.x.data(), p.y.data(), places.size());
      p.by_x.resize(places.size());
      for (std::size_t i = 0; i < places.size(); ++i) p.by_x[i] = i;
      std::sort(p.by_x.begin(), p.by_x.end(),
                [&](std::size_t a, std::size_t b) { return p.x[a] < p.x[b]; });
      it = projected.emplace(gap.crs, std::move(p)).first;
    }
    const Projected& p = it->second;
    const PreparedShape shape = PreparedShape::Make(ctx, reader.Read(gap.wkb), false);
    if (!shape.geometry)
      return InvalidArgument("gap " + gap.gap_id + " has no readable WKB geometry");
    const Envelope& env = shape.envelope;
    auto first = std::lower_bound(p.by_x.begin(), p.by_x.end(), env.minx,
                                  [&](std::size_t i, double v) { return p.x[i] < v; });
    for (auto k = first; k != p.by_x.end() && p.x[*k] <= env.maxx; ++k) {
      const std::size_t i = *k;
      if (p.y[i] < env.miny || p.y[i] > env.maxy) continue;
      const GeosGeometry point = Own(ctx, GEOSGeom_createPointFromXY_r(ctx, p.x[i], p.y[i]));
      if (GEOSPreparedIntersects_r(ctx, shape.prepared.get(), point.get()) == 1)
        in[i].push_back(gi);
    }
  }
  return in;
}

void CountStatus(const Gap& gap, StatusCounts& c) {
  const auto status = ParseGapStatus(gap.status).value_or(GapStatus::kOpen);
  switch (status) {
    case GapStatus::kOpen:
      ++c.open;
      break;
    case GapStatus::kPlanned:
      ++c.planned;
      break;
    case GapStatus::kCleared:
    case GapStatus::kAwaitingMeasurement:
      ++c.cleared;
      break;
    case GapStatus::kVerified:
      ++c.verified;
      break;
  }
}

void CountPlan(const Gap& gap, std::int64_t now_ms, std::int64_t deadline_ms, ProgressRow& row) {
  if (ParseGapStatus(gap.status) != GapStatus::kPlanned) return;
  if (!gap.target_ms) {
    ++row.plans_without_target;
    return;
  }
  if (*gap.target_ms < now_ms) ++row.overdue_plans;
  if (*gap.target_ms > deadline_ms) ++row.plans_after_deadline;
}

bool Verified(const Gap& gap) { return ParseGapStatus(gap.status) == GapStatus::kVerified; }

}  // namespace

std::int64_t DaysLeft(std::int64_t now_ms, std::int64_t deadline_ms) {
  return FloorDiv(deadline_ms, kMsPerDay) - FloorDiv(now_ms, kMsPerDay);
}

std::string StripDistrictPrefix(const std::string& name) {
  for (std::string_view prefix : {"Huyện ", "Thành phố ", "Thị xã ", "Quận "}) {
    if (name.starts_with(prefix) && name.size() > prefix.size()) {
      return name.substr(prefix.size());
    }
  }
  return name;
}

std::vector<std::string> WhiteZoneSchools(const std::vector<SchoolCoverage>& coverage) {
  std::map<std::string, std::vector<SchoolCoverage>> by_school;
  for (const SchoolCoverage& c : coverage) by_school[c.school_id].push_back(c);
  std::vector<std::string> out;
  for (const auto& [id, records] : by_school) {
    if (InWhiteZone(records)) out.push_back(id);
  }
  return out;
}

StatusOr<ProgressReport> BuildProgressReport(const ProgressInputs& in) {
  ProgressReport r;
  r.deadline_ms = in.deadline_ms;
  r.now_ms = in.now_ms;
  r.days_left = DaysLeft(in.now_ms, in.deadline_ms);
  r.latest_run_id = in.latest_run_id;
  r.baseline_run_id = in.baseline_run_id;

  // Districts of places.
  auto lookup = AreaLookup::Build(in.areas, AreaLevel::kDistrict);
  if (!lookup.ok()) return lookup.status();
  std::map<std::string, std::string> by_short_name;  // "Lục Ngạn" and "Huyện Lục Ngạn" -> area
  std::set<std::string> district_names;
  for (const AdminArea& a : in.areas) {
    if (a.level != AreaLevel::kDistrict) continue;
    district_names.insert(a.name);
    by_short_name[a.name] = a.name;
    by_short_name[StripDistrictPrefix(a.name)] = a.name;
  }
  auto resolve = [&](double lon, double lat, const std::string& given) {
    if (auto found = (*lookup)->Find(lon, lat)) return *found;
    if (auto it = by_short_name.find(StripDistrictPrefix(given)); it != by_short_name.end()) {
      return it->second;
    }
    return given;
  };

  std::vector<Place> places;
  places.reserve(in.schools.size() + in.households.size());
  for (const School& s : in.schools) {
    places.push_back({s.lon, s.lat, s.students_nodev, resolve(s.lon, s.lat, s.district)});
  }
  for (const Household& h : in.households) {
    places.push_back({h.lon, h.lat, h.students_nodev, resolve(h.lon, h.lat, h.district)});
  }

  std::map<std::string, ProgressRow> districts;
  std::map<std::string, ProgressRow> operators;
  for (const std::string& name : district_names) districts[name].key = name;
  auto gap_district = [&](const Gap& g) {
    if (auto it = by_short_name.find(StripDistrictPrefix(g.district)); it != by_short_name.end()) {
      return it->second;
    }
    return g.district;
  };

  // Gap status and plan counts: operator gaps by district, operator and in total; common gaps
  // apart.
  for (const Gap& g : in.latest_gaps) {
    if (g.kind == GapKind::kCommon) {
      CountStatus(g, r.common_gaps);
      continue;
    }
    ProgressRow& d = districts[gap_district(g)];
    ProgressRow& o = operators[g.operator_id];
    for (ProgressRow* row : {&d, &o, &r.total}) {
      CountStatus(g, row->gaps);
      CountPlan(g, in.now_ms, in.deadline_ms, *row);
    }
  }

  // Students without a device in gaps, each place once.
  auto start = PlacesInGaps(places, in.baseline_gaps);
  if (!start.ok()) return start.status();
  auto now = PlacesInGaps(places, in.latest_gaps);
  if (!now.ok()) return now.status();
  for (std::size_t i = 0; i < places.size(); ++i) {
    const Place& place = places[i];
    std::set<std::string> ops_start, ops_now;
    bool common_start = false, common_now = false;
    for (std::size_t gi : (*start)[i]) {
      const Gap& g = in.baseline_gaps[gi];
      if (g.kind == GapKind::kCommon) {
        common_start = true;
      } else {
        ops_start.insert(g.operator_id);
      }
    }
    for (std::size_t gi : (*now)[i]) {
      const Gap& g = in.latest_gaps[gi];
      if (Verified(g)) continue;
      if (g.kind == GapKind::kCommon) {
        common_now = true;
      } else {
        ops_now.insert(g.operator_id);
      }
    }
    if (common_start || common_now) {
      ProgressRow& d = districts[place.district];
      if (common_start) d.students_start += place.students_nodev;
      if (common_now) d.students_now += place.students_nodev;
    }
    if (common_start) r.total.students_start += place.students_nodev;
    if (common_now) r.total.students_now += place.students_nodev;
    for (const std::string& op : ops_start) operators[op].students_start += place.students_nodev;
    for (const std::string& op : ops_now) operators[op].students_now += place.students_nodev;
  }

  for (auto& [key, row] : districts) {
    row.key = key;
    if (!key.empty()) r.districts.push_back(row);
  }
  if (auto it = districts.find(""); it != districts.end()) r.districts.push_back(it->second);
  for (auto& [key, row] : operators) {
    row.key = key;
    r.operators.push_back(row);
  }

  // Readiness per district.
  std::map<std::string, std::vector<SchoolCoverage>> coverage;
  for (const SchoolCoverage& c : in.school_coverage) coverage[c.school_id].push_back(c);
  std::map<std::string, ReadinessRow> readiness;
  for (const std::string& name : district_names) readiness[name].district = name;
  for (const School& s : in.schools) {
    const std::string district = resolve(s.lon, s.lat, s.district);
    ReadinessRow& row = readiness[district];
    for (ReadinessRow* x : {&row, &r.readiness_total}) {
      ++x->schools;
      x->students += s.students;
      x->students_nodev += s.students_nodev;
    }
    // No record, or none with enough samples to class: no data, which is not a white zone
    // (geo::ClassifySchool; docs/gaps.md "Schools").
    auto it = coverage.find(s.school_id);
    const SchoolSignal signal =
        it == coverage.end() ? SchoolSignal::kNoData : ClassifySchool(it->second);
    if (signal == SchoolSignal::kNoData) {
      ++row.schools_no_data;
      ++r.readiness_total.schools_no_data;
    }
    for (ReadinessRow* x : {&row, &r.readiness_total}) {
      x->schools_covered += signal == SchoolSignal::kCovered;
      x->schools_uncertain += signal == SchoolSignal::kUncertain;
    }
    if (signal == SchoolSignal::kWhiteZone) {
      for (ReadinessRow* x : {&row, &r.readiness_total}) {
        ++x->schools_white_zone;
        x->students_white_zone += s.students;
        x->students_nodev_white_zone += s.students_nodev;
      }
    }
  }
  for (auto& [key, row] : readiness) {
    row.district = key;
    if (!key.empty()) r.readiness.push_back(row);
  }
  if (auto it = readiness.find(""); it != readiness.end()) r.readiness.push_back(it->second);
  // What to clear next: rows of the province's list (an operator gap inside a common gap is in
  // its common gap's row), open or planned, by rank.
  std::vector<const Gap*> rows;
  for (const Gap& g : in.latest_gaps) {
    if (g.common_id.empty() && (g.status == "open" || g.status == "planned")) rows.push_back(&g);
  }
  std::sort(rows.begin(), rows.end(), [](const Gap* a, const Gap* b) {
    return a->rank != b->rank ? a->rank < b->rank : a->gap_id < b->gap_id;
  });
  for (const Gap* g : rows) {
    if (r.first_places.size() == kFirstPlaces) break;
    r.first_places.push_back({g->rank, g->gap_id, g->kind, g->operator_id, g->contains, g->tech,
                              g->district, g->commune, g->schools, g->students_nodev, g->status,
                              g->target_ms});
  }
  return r;
}

}  // namespace covgap::geo
