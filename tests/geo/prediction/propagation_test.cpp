// Path-loss model and its calibration on synthetic fields with known answers.
#include "geo/prediction/propagation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace covgap::geo::prediction {
namespace {

Site MakeSite(std::string id, double lon, double lat) {
  Site s;
  s.site_id = std::move(id);
  s.operator_id = "viettel";
  s.tech = Technology::kLte;
  s.lon = lon;
  s.lat = lat;
  s.height_m = 30;
  s.band_mhz = 1800;
  s.eirp_dbm = 60;
  return s;
}

TEST(Propagation, HataMatchesTheTextbookFormula) {
  // COST-231-Hata at 1800 MHz, hb 30 m, hm 1.5 m, medium city: L(1 km) = 46.3 + 33.9 log f
  // − 13.82 log hb − a(hm); slope 44.9 − 6.55 log hb.
  const HataTerms t = HataModel(1800, 30);
  const double lf = std::log10(1800.0);
  const double a_hm = (1.1 * lf - 0.7) * 1.5 - (1.56 * lf - 0.8);
  EXPECT_NEAR(t.intercept_db, 46.3 + 33.9 * lf - 13.82 * std::log10(30.0) - a_hm, 1e-9);
  EXPECT_NEAR(t.slope_db, 44.9 - 6.55 * std::log10(30.0), 1e-9);
  EXPECT_NEAR(ReferenceSignalOffsetDb(Technology::kLte), 30.79, 0.01);
  EXPECT_DOUBLE_EQ(ReferenceSignalOffsetDb(Technology::kUmts), 10.0);
}

TEST(Propagation, AntennaPatternIsZeroOnAxisAndCappedBehind) {
  EXPECT_DOUBLE_EQ(AntennaGainDb(std::nullopt, std::nullopt, 123), 0.0);
  EXPECT_DOUBLE_EQ(AntennaGainDb(90.0, 65.0, 90), 0.0);
  EXPECT_NEAR(AntennaGainDb(90.0, 65.0, 90 + 32.5), -3.0, 1e-9);  // half the beamwidth: −3 dB
  EXPECT_NEAR(AntennaGainDb(350.0, 65.0, 10), AntennaGainDb(350.0, 65.0, 330), 1e-9);  // wraps
  EXPECT_DOUBLE_EQ(AntennaGainDb(0.0, 65.0, 180), -25.0);
}

// Points around one site whose true path loss has intercept and slope corrections a, b.
std::vector<FitPoint> Around(const SiteLayout& layout, double a, double b, double noise_sd,
                             std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> logd(std::log10(0.15), std::log10(8.0));
  std::uniform_real_distribution<double> angle(0, 2 * M_PI);
  std::normal_distribution<double> noise(0, noise_sd);
  std::vector<FitPoint> pts;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = 1000 * std::pow(10.0, logd(rng));
    const double t = angle(rng);
    FitPoint p;
    p.x = layout.x(0) + d * std::cos(t);
    p.y = layout.y(0) + d * std::sin(t);
    double l = 0;
    p.dbm = layout.BasePower(0, p.x, p.y, &l) - a - b * l + noise(rng);
    pts.push_back(p);
  }
  return pts;
}

TEST(Calibration, RecoversAKnownInterceptAndSlopeOfOneSite) {
  const std::vector<Site> sites = {MakeSite("s1", 106.2, 21.3)};
  auto layout = SiteLayout::Build(sites, "EPSG:32648");
  ASSERT_TRUE(layout.ok()) << layout.status().message();
  const auto pts = Around(*layout.value(), 7.0, 4.0, 4.0, 3000, 1);
  FitOptions no_offsets;
  no_offsets.min_site_points = 1'000'000;
  const Calibration cal = Calibrate(*layout.value(), pts, no_offsets);
  EXPECT_TRUE(cal.calibrated);
  EXPECT_NEAR(cal.intercept_db, 7.0, 0.5);
  EXPECT_NEAR(cal.slope_db, 4.0, 0.5);
  EXPECT_NEAR(cal.residual_sd_db, 4.0, 0.5);
  EXPECT_EQ(cal.sites_with_offset, 0u);
  // With a per-site offset, intercept + offset is the site's intercept.
  const Calibration with = Calibrate(*layout.value(), pts);
  EXPECT_EQ(with.sites_with_offset, 1u);
  EXPECT_NEAR(with.intercept_db + with.site_offset_db[0], 7.0, 0.5);
  EXPECT_NEAR(with.slope_db, 4.0, 0.5);
}

TEST(Calibration, RobustToOutliers) {
  const std::vector<Site> sites = {MakeSite("s1", 106.2, 21.3)};
  auto layout = SiteLayout::Build(sites, "EPSG:32648");
  ASSERT_TRUE(layout.ok());
  auto pts = Around(*layout.value(), -3.0, 2.0, 3.0, 2000, 2);
  for (std::size_t i = 0; i < pts.size(); i += 10) pts[i].dbm -= 40;  // 10 % indoor/blocked
  FitOptions no_offsets;
  no_offsets.min_site_points = 1'000'000;
  const Calibration cal = Calibrate(*layout.value(), pts, no_offsets);
  EXPECT_NEAR(cal.intercept_db, -3.0, 0.8);
  EXPECT_NEAR(cal.slope_db, 2.0, 0.8);
}

TEST(Calibration, BestServerPicksTheStrongerSite) {
  std::vector<Site> sites = {MakeSite("near", 106.20, 21.30), MakeSite("far", 106.30, 21.30)};
  auto layout = SiteLayout::Build(sites, "EPSG:32648");
  ASSERT_TRUE(layout.ok());
  const SiteLayout& l = *layout.value();
  const Calibration textbook;
  EXPECT_EQ(l.Best(l.x(0) + 200, l.y(0), textbook).site, 0);
  EXPECT_EQ(l.Best(l.x(1) - 200, l.y(1), textbook).site, 1);
  // The far site 10 dB stronger moves the border towards the near one.
  sites[1].eirp_dbm += 10;
  auto louder = SiteLayout::Build(sites, "EPSG:32648");
  ASSERT_TRUE(louder.ok());
  const double mid_x = 0.5 * (l.x(0) + l.x(1));
  EXPECT_EQ(l.Best(mid_x - 300, l.y(0), textbook).site, 0);
  EXPECT_EQ(louder.value()->Best(mid_x - 300, l.y(0), textbook).site, 1);
}

TEST(Calibration, NoPointsGivesTheTextbookModel) {
  const std::vector<Site> sites = {MakeSite("s1", 106.2, 21.3)};
  auto layout = SiteLayout::Build(sites, "EPSG:32648");
  ASSERT_TRUE(layout.ok());
  const Calibration cal = Calibrate(*layout.value(), {});
  EXPECT_FALSE(cal.calibrated);
  EXPECT_EQ(cal.intercept_db, 0.0);
  EXPECT_EQ(cal.slope_db, 0.0);
}

}  // namespace
}  // namespace covgap::geo::prediction
