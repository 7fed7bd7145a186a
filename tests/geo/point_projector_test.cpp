#include "geo/spatial/point_projector.h"

#include <gtest/gtest.h>
#include <proj.h>

#include <cmath>
#include <random>
#include <vector>

#include "geo/spatial/gdal_handles.h"

namespace covgap::geo {
namespace {

// The fast UTM path agrees with PROJ's exact transverse Mercator to a micrometre over the zone
// (and beyond it, where the series is still accurate).
TEST(PointProjector, UtmFastPathMatchesProj) {
  for (const char* crs : {"EPSG:32648", "EPSG:32649", "EPSG:32748"}) {
    auto fast = PointProjector::Create(crs);
    ASSERT_TRUE(fast.ok());
    EXPECT_TRUE(fast.value()->fast_path());
    const bool south = std::string(crs).starts_with("EPSG:327");
    const double lon0 = std::string(crs).ends_with("49") ? 111 : 105;
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> dlon(lon0 - 4.5, lon0 + 4.5), dlat(0.5, 60);
    const int n = 20000;
    std::vector<double> lon(n), lat(n), x(n), y(n), px(n), py(n);
    for (int i = 0; i < n; ++i) {
      lon[i] = dlon(rng);
      lat[i] = south ? -dlat(rng) : dlat(rng);
    }
    fast.value()->Project(lon.data(), lat.data(), x.data(), y.data(), n);
    const ProjContextPtr ctx(proj_context_create());
    const ProjPtr raw(proj_create_crs_to_crs(ctx.get(), "EPSG:4326", crs, nullptr));
    const ProjPtr pj(proj_normalize_for_visualization(ctx.get(), raw.get()));
    px = lon;
    py = lat;
    proj_trans_generic(pj.get(), PJ_FWD, px.data(), sizeof(double), n, py.data(), sizeof(double), n,
                       nullptr, 0, 0, nullptr, 0, 0);
    double worst = 0;
    for (int i = 0; i < n; ++i) {
      worst = std::max({worst, std::abs(x[i] - px[i]), std::abs(y[i] - py[i])});
    }
    EXPECT_LT(worst, 1e-6) << crs;
  }
}

TEST(PointProjector, KnownPointInBacGiang) {
  auto p = PointProjector::Create("EPSG:32648");
  ASSERT_TRUE(p.ok());
  const double lon = 106.2, lat = 21.27;
  double x = 0, y = 0;
  p.value()->Project(&lon, &lat, &x, &y, 1);
  // pyproj: Transformer.from_crs(4326, 32648, always_xy=True).transform(106.2, 21.27)
  EXPECT_NEAR(x, 624495.6678, 1e-4);
  EXPECT_NEAR(y, 2352502.7416, 1e-4);
}

TEST(PointProjector, OtherCrsGoesThroughProj) {
  auto p = PointProjector::Create("EPSG:9214");  // VN-2000 / TM-3 107-00
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p.value()->fast_path());
  const double lon = 107.0, lat = 21.0;
  double x = 0, y = 0;
  p.value()->Project(&lon, &lat, &x, &y, 1);
  EXPECT_NEAR(x, 500000.0, 200.0);  // on the central meridian (datum shift aside)
  EXPECT_FALSE(PointProjector::Create("EPSG:999999").ok());
}

}  // namespace
}  // namespace covgap::geo
