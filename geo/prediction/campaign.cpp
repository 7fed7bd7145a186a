#include "geo/prediction/campaign.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "geo/gaps/gap_finder.h"
#include "geo/spatial/area_lookup.h"
#include "geo/spatial/gdal_handles.h"
#include "geo/spatial/point_projector.h"

namespace covgap::geo::prediction {
namespace {

double Uncertainty(double p) { return 4.0 * p * (1.0 - p); }

struct Candidate {
  Waypoint w;
  double x = 0, y = 0;  // analysis CRS
};

double Km(const Candidate& a, const Candidate& b) {
  const double dx = a.x - b.x, dy = a.y - b.y;
  return std::sqrt(dx * dx + dy * dy) / 1000.0;
}

}  // namespace

StatusOr<CampaignPlan> PlanCampaign(const std::string& operator_id,
                                    const std::vector<const CoverageGrid*>& grids,
                                    const std::vector<const GroupPrediction*>& predictions,
                                    const std::vector<School>& schools,
                                    const std::vector<Household>& households,
                                    const std::vector<AdminArea>& areas,
                                    const AnalysisParams& params, const CampaignOptions& options) {
  if (!(options.budget_km > 0)) return InvalidArgument("--budget-km must be more than 0");
  CampaignPlan plan;
  plan.operator_id = operator_id;
  const double s = params.cell_size_m;
  auto projector = PointProjector::Create(params.analysis_crs);
  if (!projector.ok()) return projector.status();
  auto project = [&](double lon, double lat, double* x, double* y) {
    projector.value()->Project(&lon, &lat, x, y, 1);
  };
  std::vector<Candidate> cands;
  // Households: students without a device per cell (never listed one by one).
  std::unordered_map<std::uint64_t, std::pair<std::int64_t, std::int64_t>> hh_by_cell;
  for (const Household& h : households) {
    double x = 0, y = 0;
    project(h.lon, h.lat, &x, &y);
    if (!std::isfinite(x)) continue;
    auto& e = hh_by_cell[CellKey(static_cast<std::int32_t>(std::floor(x / s)),
                                 static_cast<std::int32_t>(std::floor(y / s)))];
    e.first += h.students_nodev;
    ++e.second;
  }
  for (std::size_t g = 0; g < grids.size(); ++g) {
    const CoverageGrid& grid = *grids[g];
    const GroupPrediction& pred = *predictions[g];
    Thresholds indoor = params.ThresholdsFor(grid.tech);
    indoor.good_dbm += params.indoor_margin_db;
    for (const School& sc : schools) {
      double x = 0, y = 0;
      project(sc.lon, sc.lat, &x, &y);
      if (!std::isfinite(x)) continue;
      const auto ix = static_cast<std::int32_t>(std::floor(x / s));
      const auto iy = static_cast<std::int32_t>(std::floor(y / s));
      const GridCell* cell = grid.Find(ix, iy);
      if (cell != nullptr && cell->evidence == Evidence::kMeasured) continue;
      const std::int64_t j = pred.Find(CellKey(ix, iy));
      if (j < 0) continue;
      const double dbm = pred.dbm[static_cast<std::size_t>(j)];
      const double sigma = pred.sigma_db[static_cast<std::size_t>(j)];
      const double p = ProbabilityAtLeast(dbm, sigma, indoor.good_dbm);
      const double u = Uncertainty(p);
      if (u <= 0.0) continue;
      Candidate c;
      c.x = x;
      c.y = y;
      c.w.kind = "school";
      c.w.id = sc.school_id;
      c.w.name = sc.name;
      c.w.tech = grid.tech;
      c.w.lon = sc.lon;
      c.w.lat = sc.lat;
      c.w.p_good = p;
      c.w.sigma_db = sigma;
      c.w.predicted_dbm = dbm;
      c.w.students_nodev = sc.students_nodev;
      c.w.weight = u * (1.0 + static_cast<double>(sc.students_nodev) +
                        static_cast<double>(sc.students) / 100.0);
      cands.push_back(std::move(c));
    }
    for (const GridCell& cell : grid.cells) {
      if (cell.evidence != Evidence::kPredicted) continue;
      const double p = cell.p_good;
      const auto hh = hh_by_cell.find(CellKey(cell.ix, cell.iy));
      const bool uncertain = p > 0.2 && p < 0.8;
      if (!uncertain && hh == hh_by_cell.end()) continue;
      const double u = Uncertainty(p);
      if (u <= 0.0) continue;
      Candidate c;
      c.x = (cell.ix + 0.5) * s;
      c.y = (cell.iy + 0.5) * s;
      c.w.kind = "cell";
      c.w.id = GapIdFor(GapKind::kOperator, operator_id, grid.tech, cell.ix, cell.iy);
      c.w.tech = grid.tech;
      c.w.p_good = p;
      c.w.predicted_dbm = cell.median;
      const std::int64_t j = pred.Find(CellKey(cell.ix, cell.iy));
      c.w.sigma_db = j >= 0 ? pred.sigma_db[static_cast<std::size_t>(j)] : 0.0;
      if (hh != hh_by_cell.end()) {
        c.w.students_nodev = hh->second.first;
        c.w.households = hh->second.second;
      }
      c.w.weight = u * (1.0 + static_cast<double>(c.w.students_nodev));
      cands.push_back(std::move(c));
    }
  }
  plan.candidates = cands.size();
  std::stable_sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
    if (a.w.weight != b.w.weight) return a.w.weight > b.w.weight;
    return a.w.id < b.w.id;
  });
  // Greedy selection with a minimum spacing (a spatial hash of the chosen ones).
  std::vector<Candidate> chosen;
  std::unordered_map<std::uint64_t, std::vector<std::size_t>> near;
  const double sp = std::max(options.min_spacing_m, 1.0);
  for (Candidate& c : cands) {
    if (chosen.size() >= options.max_waypoints) break;
    const auto bx = static_cast<std::int32_t>(std::floor(c.x / sp));
    const auto by = static_cast<std::int32_t>(std::floor(c.y / sp));
    bool clash = false;
    for (int dx = -1; dx <= 1 && !clash; ++dx) {
      for (int dy = -1; dy <= 1 && !clash; ++dy) {
        auto it = near.find(CellKey(bx + dx, by + dy));
        if (it == near.end()) continue;
        for (std::size_t k : it->second) clash = clash || Km(chosen[k], c) * 1000.0 < sp;
      }
    }
    if (clash) continue;
    near[CellKey(bx, by)].push_back(chosen.size());
    chosen.push_back(std::move(c));
  }
  // Positions and communes.
  auto wgs84 = MakeSrs("EPSG:4326");
  auto crs = MakeSrs(params.analysis_crs);
  if (!wgs84.ok()) return wgs84.status();
  if (!crs.ok()) return crs.status();
  TransformPtr back(OCTNewCoordinateTransformation(crs.value().get(), wgs84.value().get()));
  auto communes = AreaLookup::Build(areas, AreaLevel::kCommune);
  auto districts = AreaLookup::Build(areas, AreaLevel::kDistrict);
  for (Candidate& c : chosen) {
    if (c.w.kind == "cell" && back) {
      double x = c.x, y = c.y;
      OCTTransform(back.get(), 1, &x, &y, nullptr);
      c.w.lon = x;
      c.w.lat = y;
    }
    if (communes.ok()) c.w.commune = communes.value()->Find(c.w.lon, c.w.lat).value_or("");
    if (districts.ok()) c.w.district = districts.value()->Find(c.w.lon, c.w.lat).value_or("");
  }
  // Communes in a nearest-neighbour tour of their weighted centres, from the heaviest.
  struct Group {
    std::vector<std::size_t> members;
    double weight = 0, x = 0, y = 0;
  };
  std::map<std::string, Group> groups;
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    Group& g = groups[chosen[i].w.district + "/" + chosen[i].w.commune];
    g.members.push_back(i);
    g.weight += chosen[i].w.weight;
    g.x += chosen[i].w.weight * chosen[i].x;
    g.y += chosen[i].w.weight * chosen[i].y;
  }
  std::vector<Group*> todo;
  for (auto& [name, g] : groups) {
    g.x /= g.weight;
    g.y /= g.weight;
    todo.push_back(&g);
  }
  std::vector<std::size_t> route;
  const Candidate* at = nullptr;
  while (!todo.empty()) {
    std::size_t next = 0;
    for (std::size_t k = 1; k < todo.size(); ++k) {
      if (at == nullptr) {
        if (todo[k]->weight > todo[next]->weight) next = k;
      } else {
        auto d = [&](const Group* g) { return std::hypot(g->x - at->x, g->y - at->y); };
        if (d(todo[k]) < d(todo[next])) next = k;
      }
    }
    std::vector<std::size_t> left = todo[next]->members;
    todo.erase(todo.begin() + static_cast<std::ptrdiff_t>(next));
    while (!left.empty()) {
      std::size_t pick = 0;
      for (std::size_t k = 1; k < left.size(); ++k) {
        if (at == nullptr ? chosen[left[k]].w.weight > chosen[left[pick]].w.weight
                          : Km(*at, chosen[left[k]]) < Km(*at, chosen[left[pick]])) {
          pick = k;
        }
      }
      route.push_back(left[pick]);
      at = &chosen[left[pick]];
      left.erase(left.begin() + static_cast<std::ptrdiff_t>(pick));
    }
  }
  double total = 0;
  const Candidate* prev = nullptr;
  for (std::size_t i : route) {
    const double leg = prev ? Km(*prev, chosen[i]) : 0.0;
    if (total + leg > options.budget_km) break;
    total += leg;
    Waypoint w = chosen[i].w;
    w.order = plan.waypoints.size() + 1;
    w.leg_km = leg;
    w.route_km = total;
    plan.waypoints.push_back(std::move(w));
    prev = &chosen[i];
  }
  plan.route_km = total;
  return plan;
}

}  // namespace covgap::geo::prediction
