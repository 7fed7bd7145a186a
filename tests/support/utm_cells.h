// Positions of analysis-grid cells for tests: the centre of the 100 m cell (x, y) of EPSG:32648
// (UTM 48N, Bắc Giang's zone) as {lon, lat}, computed with PROJ (not covgap's own projector).
#pragma once

#include <proj.h>

#include <utility>

#include "geo/spatial/gdal_handles.h"

namespace covgap::testing {

inline std::pair<double, double> CellCentreLonLat(int x, int y) {
  const geo::ProjContextPtr ctx(proj_context_create());
  const geo::ProjPtr raw(proj_create_crs_to_crs(ctx.get(), "EPSG:4326", "EPSG:32648", nullptr));
  const geo::ProjPtr pj(proj_normalize_for_visualization(ctx.get(), raw.get()));
  const PJ_COORD c = proj_trans(pj.get(), PJ_INV, proj_coord(x * 100.0 + 50, y * 100.0 + 50, 0, 0));
  return {c.xy.x, c.xy.y};
}

}  // namespace covgap::testing
