// Positions of analysis-grid cells for tests: the centre of the 100 m cell (x, y) of EPSG:32648
// (UTM 48N, Bắc Giang's zone) as {lon, lat}, computed with PROJ (not covgap's own projector).
#pragma once

#include <proj.h>

#include <utility>

namespace covgap::testing {

inline std::pair<double, double> CellCentreLonLat(int x, int y) {
  PJ_CONTEXT* ctx = proj_context_create();
  PJ* raw = proj_create_crs_to_crs(ctx, "EPSG:4326", "EPSG:32648", nullptr);
  PJ* pj = proj_normalize_for_visualization(ctx, raw);
  const PJ_COORD c = proj_trans(pj, PJ_INV, proj_coord(x * 100.0 + 50, y * 100.0 + 50, 0, 0));
  proj_destroy(pj);
  proj_destroy(raw);
  proj_context_destroy(ctx);
  return {c.xy.x, c.xy.y};
}

}  // namespace covgap::testing
