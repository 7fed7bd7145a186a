// Hybrid and predicted analyses on a synthetic district with known sites: measured cells keep
// their binned class exactly, the rest of the area is predicted, binned results do not change,
// and cross-validation never lets a held-out cell reach the fit that predicts it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "geo/gaps/gap_analysis.h"
#include "geo/prediction/campaign.h"
#include "geo/prediction/hybrid_grids.h"
#include "geo/prediction/validation.h"
#include "geo/spatial/point_projector.h"

namespace covgap::geo::prediction {
namespace {

constexpr double kLon0 = 106.20, kLat0 = 21.30, kSpan = 0.06;  // ≈ 6 x 6.7 km

std::string PolygonWkb(double lon0, double lat0, double lon1, double lat1) {
  std::string wkb;
  auto put = [&](const void* p, std::size_t n) { wkb.append(static_cast<const char*>(p), n); };
  const std::uint8_t order = 1;
  const std::uint32_t type = 3, rings = 1, points = 5;
  put(&order, 1);
  put(&type, 4);
  put(&rings, 4);
  put(&points, 4);
  const double ring[5][2] = {{lon0, lat0}, {lon1, lat0}, {lon1, lat1}, {lon0, lat1}, {lon0, lat0}};
  for (const auto& pt : ring) put(pt, 16);
  return wkb;
}

struct Scenario {
  std::vector<Site> sites;
  std::vector<std::int32_t> lat, lon;
  std::vector<std::int64_t> time;
  std::vector<std::int16_t> dbm;
  AnalysisInputs inputs;
  AnalysisParams params;

  MeasurementSource Source() const {
    return [this](const std::function<void(const MeasurementBlock&)>& visit) {
      visit({"viettel", Technology::kLte, lat, lon, time, dbm});
      return Status();
    };
  }
};

// Four sites; the truth is the textbook model 6 dB worse than COST-231-Hata, with smooth
// shadowing and sample noise; samples
// along three east-west roads, denser near the west.
Scenario MakeScenario() {
  Scenario s;
  const double pos[4][2] = {{0.01, 0.01}, {0.05, 0.012}, {0.015, 0.05}, {0.048, 0.045}};
  for (int i = 0; i < 4; ++i) {
    Site site;
    site.site_id = "s" + std::to_string(i);
    site.operator_id = "viettel";
    site.tech = Technology::kLte;
    site.lon = kLon0 + pos[i][0];
    site.lat = kLat0 + pos[i][1];
    site.height_m = 30;
    site.band_mhz = 1800;
    site.eirp_dbm = 58;
    s.sites.push_back(site);
  }
  s.params.as_of_ms = 1'640'000'000'000;
  s.params.threads = 2;
  auto layout = SiteLayout::Build(s.sites, s.params.analysis_crs);
  Calibration truth;
  truth.intercept_db = 6;
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> noise(0, 4);
  std::vector<double> lon, lat;
  for (int i = 0; i < 12000; ++i) {
    const int road = i % 3;
    lon.push_back(kLon0 + kSpan * std::pow(u(rng), 1.5));
    lat.push_back(kLat0 + 0.012 + road * 0.018 + 0.0003 * u(rng));
  }
  auto proj = PointProjector::Create(s.params.analysis_crs);
  std::vector<double> x(lon.size()), y(lon.size());
  proj.value()->Project(lon.data(), lat.data(), x.data(), y.data(), lon.size());
  for (std::size_t i = 0; i < lon.size(); ++i) {
    // Shadowing that varies over hundreds of metres (what the kriging follows) plus sample noise.
    const double shadow = 6.0 * std::sin(x[i] / 700.0) * std::cos(y[i] / 900.0);
    const double v = layout.value()->Best(x[i], y[i], truth).dbm + shadow + noise(rng);
    s.lon.push_back(static_cast<std::int32_t>(std::lround(lon[i] * 1e7)));
    s.lat.push_back(static_cast<std::int32_t>(std::lround(lat[i] * 1e7)));
    s.time.push_back(s.params.as_of_ms - 86'400'000);
    s.dbm.push_back(static_cast<std::int16_t>(std::clamp(std::lround(v), -140L, -44L)));
  }
  AdminArea area;
  area.level = AreaLevel::kDistrict;
  area.code = "D1";
  area.name = "Test district";
  area.wkb = PolygonWkb(kLon0, kLat0, kLon0 + kSpan, kLat0 + kSpan);
  s.inputs.areas = {area};
  s.inputs.sites = s.sites;
  return s;
}

std::vector<CoverageGrid> Binned(const Scenario& s) {
  GridBuilder builder(s.params);
  EXPECT_TRUE(s.Source()([&](const MeasurementBlock& b) { builder.Add(b); }).ok());
  auto grids = builder.Build();
  EXPECT_TRUE(grids.ok());
  return std::move(grids.value());
}

TEST(Hybrid, MeasuredCellsKeepTheirBinnedClassAndTheAreaIsPredicted) {
  const Scenario s = MakeScenario();
  std::vector<CoverageGrid> grids = Binned(s);
  ASSERT_EQ(grids.size(), 1u);
  const CoverageGrid binned = grids[0];
  auto predicted = PredictGrids(grids, s.sites, s.inputs.areas, s.params);
  ASSERT_TRUE(predicted.ok()) << predicted.status().message();
  ASSERT_TRUE(predicted->predictions[0].has_value());
  const GroupPrediction& p = *predicted->predictions[0];
  EXPECT_TRUE(p.model.calibrated);
  EXPECT_NEAR(p.model.intercept_db, 6.0, 1.0);  // recovered from the drive test
  auto area = AreaCells(s.inputs.areas, s.params);
  ASSERT_TRUE(area.ok());
  EXPECT_GT(area->size(), 3500u);  // ≈ 6 km x 6.7 km of 100 m cells
  const CoverageGrid hybrid = ComposeGrid(binned, p, AnalysisMethod::kHybrid, s.params);
  std::size_t measured = 0;
  for (const GridCell& b : binned.cells) {
    const GridCell* h = hybrid.Find(b.ix, b.iy);
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->n, b.n);
    if (b.cls == CellClass::kUnmeasured) {
      EXPECT_EQ(h->evidence, Evidence::kPredicted);
      continue;
    }
    ++measured;
    EXPECT_EQ(h->cls, b.cls);
    EXPECT_EQ(h->median, b.median);
    EXPECT_EQ(h->evidence, Evidence::kMeasured);
    EXPECT_TRUE(std::equal(binned.ValuesOf(b).begin(), binned.ValuesOf(b).end(),
                           hybrid.ValuesOf(*h).begin()));
  }
  EXPECT_GT(measured, 100u);
  for (std::uint64_t key : area.value()) {
    const auto ix = static_cast<std::int32_t>(static_cast<std::uint32_t>(key >> 32) ^ 0x80000000u);
    const auto iy = static_cast<std::int32_t>(static_cast<std::uint32_t>(key) ^ 0x80000000u);
    const GridCell* h = hybrid.Find(ix, iy);
    ASSERT_NE(h, nullptr);
    EXPECT_NE(h->cls, CellClass::kUnmeasured);
    EXPECT_GE(h->p_good, 0.0f);
    EXPECT_LE(h->p_good, 1.0f);
  }
  // The predicted method classes measured cells from the prediction too.
  const CoverageGrid all = ComposeGrid(binned, p, AnalysisMethod::kPredicted, s.params);
  for (const GridCell& c : all.cells) EXPECT_EQ(c.evidence, Evidence::kPredicted);
}

std::string Digest(const std::vector<Gap>& gaps) {
  std::string d;
  for (const Gap& g : gaps) {
    d += g.gap_id + g.wkb + std::to_string(g.n_cells) + "/" + std::to_string(g.n_samples) + "/" +
         std::to_string(g.median_dbm) + "/" + std::to_string(g.score) + "/" +
         std::to_string(g.rank) + std::string(ToString(g.evidence)) + std::to_string(g.p_good) +
         std::to_string(g.meas_share) + ";";
  }
  return d;
}

TEST(Hybrid, BinnedResultsDoNotDependOnSites) {
  Scenario s = MakeScenario();
  auto with = RunGapAnalysis(s.Source(), s.inputs, s.params);
  s.inputs.sites.clear();
  auto without = RunGapAnalysis(s.Source(), s.inputs, s.params);
  ASSERT_TRUE(with.ok());
  ASSERT_TRUE(without.ok());
  EXPECT_EQ(Digest(with->gaps), Digest(without->gaps));
  EXPECT_TRUE(with->models.empty());
  for (const Gap& g : with->gaps) {
    EXPECT_EQ(g.evidence, Evidence::kMeasured);
    EXPECT_EQ(g.meas_share, 1.0);
    EXPECT_EQ(g.p_good, 0.0);
  }
}

TEST(Hybrid, GapsCarryTheirEvidence) {
  Scenario s = MakeScenario();
  s.params.method = AnalysisMethod::kHybrid;
  auto r = RunGapAnalysis(s.Source(), s.inputs, s.params);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->models.size(), 1u);
  bool predicted = false;  // some gap rests on the prediction
  for (const Gap& g : r->gaps) {
    EXPECT_GE(g.p_good, 0.0);
    EXPECT_LE(g.p_good, 1.0);
    EXPECT_GE(g.meas_share, 0.0);
    EXPECT_LE(g.meas_share, 1.0);
    if (g.evidence == Evidence::kMeasured) {
      EXPECT_EQ(g.meas_share, 1.0);
    }
    if (g.evidence == Evidence::kPredicted) {
      EXPECT_EQ(g.meas_share, 0.0);
    }
    predicted = predicted || g.evidence != Evidence::kMeasured;
    if (g.evidence == Evidence::kMixed) {
      EXPECT_GT(g.meas_share, 0.0);
      EXPECT_LT(g.meas_share, 1.0);
    }
  }
  EXPECT_TRUE(predicted);
}

TEST(Hybrid, RefusesTilesAndMissingBoundaries) {
  Scenario s = MakeScenario();
  s.params.method = AnalysisMethod::kHybrid;
  s.params.tile_cells = 64;
  auto tiled = RunGapAnalysis(s.Source(), s.inputs, s.params);
  EXPECT_EQ(tiled.status().code(), StatusCode::kInvalidArgument);
  s.params.tile_cells = 0;
  s.inputs.areas.clear();
  auto no_areas = RunGapAnalysis(s.Source(), s.inputs, s.params);
  EXPECT_EQ(no_areas.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(no_areas.status().message().find("covgap import areas"), std::string::npos);
}

TEST(Campaign, UncertainPlacesOnARouteWithinTheBudget) {
  const Scenario s = MakeScenario();
  std::vector<CoverageGrid> grids = Binned(s);
  auto predicted = PredictGrids(grids, s.sites, s.inputs.areas, s.params);
  ASSERT_TRUE(predicted.ok());
  const CoverageGrid hybrid =
      ComposeGrid(grids[0], *predicted->predictions[0], AnalysisMethod::kHybrid, s.params);
  std::vector<School> schools;
  std::vector<Household> households;
  for (int i = 0; i < 30; ++i) {
    School sc;
    sc.school_id = "SCH" + std::to_string(i);
    sc.name = "Trường " + std::to_string(i);
    sc.lon = kLon0 + 0.002 * i;
    sc.lat = kLat0 + 0.03 + 0.0007 * i;
    sc.students = 300;
    sc.students_nodev = i;
    schools.push_back(sc);
    Household h;
    h.household_id = "HH-SECRET-" + std::to_string(i);
    h.lon = kLon0 + 0.0019 * i;
    h.lat = kLat0 + 0.005;
    h.students_nodev = 2;
    households.push_back(h);
  }
  CampaignOptions options;
  options.budget_km = 12;
  options.max_waypoints = 25;
  options.min_spacing_m = 400;
  auto plan = PlanCampaign("viettel", {&hybrid}, {&*predicted->predictions[0]}, schools, households,
                           s.inputs.areas, s.params, options);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_FALSE(plan->waypoints.empty());
  EXPECT_LE(plan->waypoints.size(), 25u);
  EXPECT_LE(plan->route_km, 12.0);
  double total = 0;
  for (std::size_t i = 0; i < plan->waypoints.size(); ++i) {
    const Waypoint& w = plan->waypoints[i];
    EXPECT_EQ(w.order, i + 1);
    EXPECT_GT(w.p_good, 0.0);
    EXPECT_LT(w.p_good, 1.0);
    EXPECT_GT(w.weight, 0.0);
    EXPECT_EQ(w.id.find("HH-SECRET"), std::string::npos);  // households are never listed
    total += w.leg_km;
    EXPECT_NEAR(w.route_km, total, 1e-9);
    EXPECT_NEAR(w.lon, kLon0 + 0.03, 0.05);
    EXPECT_NEAR(w.lat, kLat0 + 0.03, 0.05);
    for (std::size_t j = 0; j < i; ++j) {
      const Waypoint& o = plan->waypoints[j];
      const double d = std::hypot((w.lon - o.lon) * 104000, (w.lat - o.lat) * 111000);
      EXPECT_GT(d, 300) << w.id << " too close to " << o.id;
    }
  }
  options.budget_km = 0;
  EXPECT_EQ(PlanCampaign("viettel", {&hybrid}, {&*predicted->predictions[0]}, schools, households,
                         s.inputs.areas, s.params, options)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(Validation, HeldOutCellsNeverReachTheirOwnFit) {
  const Scenario s = MakeScenario();
  const std::vector<CoverageGrid> grids = Binned(s);
  ValidationOptions options;
  options.folds = 3;
  options.block_km = 1;
  std::vector<HeldOutCell> before;
  auto v = ValidateGroup(grids[0], s.sites, s.params, options, &before);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_GT(v->model.cells, 50u);
  EXPECT_LT(v->model.rmse_db, v->baseline.rmse_db);  // calibrated beats textbook (6 dB off)
  EXPECT_NEAR(v->baseline.bias_db, 6.0, 1.5);
  // Change every sample of fold 0's cells: fold 0's predictions must not move; the others must.
  CoverageGrid changed = grids[0];
  for (const GridCell& c : changed.cells) {
    if (FoldOf(c.ix, c.iy, s.params.cell_size_m, options.block_km, options.folds) != 0) continue;
    for (std::uint32_t k = 0; k < c.n; ++k) changed.values[c.first + k] += 25;
  }
  for (GridCell& c : changed.cells) {
    if (FoldOf(c.ix, c.iy, s.params.cell_size_m, options.block_km, options.folds) == 0) {
      c.median += 25;
    }
  }
  std::vector<HeldOutCell> after;
  ASSERT_TRUE(ValidateGroup(changed, s.sites, s.params, options, &after).ok());
  ASSERT_EQ(before.size(), after.size());
  std::size_t others_moved = 0, fold0 = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    ASSERT_EQ(before[i].key, after[i].key);
    if (before[i].fold == 0) {
      ++fold0;
      EXPECT_EQ(before[i].predicted, after[i].predicted);
      EXPECT_EQ(before[i].sigma, after[i].sigma);
    } else {
      others_moved += before[i].predicted != after[i].predicted;
    }
  }
  EXPECT_GT(fold0, 0u);
  EXPECT_GT(others_moved, 0u);
}

TEST(Validation, RefusesBadOptions) {
  const Scenario s = MakeScenario();
  const std::vector<CoverageGrid> grids = Binned(s);
  ValidationOptions bad;
  bad.folds = 1;
  EXPECT_EQ(ValidateGroup(grids[0], s.sites, s.params, bad).status().code(),
            StatusCode::kInvalidArgument);
  bad.folds = 5;
  bad.block_km = 0;
  EXPECT_EQ(ValidateGroup(grids[0], s.sites, s.params, bad).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace covgap::geo::prediction
