// Geometries for seeding stores in tests: WKB from WKT, and the 400 m squares the server tests
// use as gaps (EPSG:32648 MultiPolygons, as an analysis stores them).
#pragma once

#include <gtest/gtest.h>
#include <ogr_api.h>

#include <string>

#include "geo/spatial/gdal_handles.h"
#include "geo/spatial/point_projector.h"

namespace covgap::test_support {

// ISO WKB (little endian) of `wkt`; a test failure when it does not parse.
inline std::string Wkb(const std::string& wkt) {
  OGRGeometryH raw = nullptr;
  char* text = const_cast<char*>(wkt.c_str());
  EXPECT_EQ(OGR_G_CreateFromWkt(&text, nullptr, &raw), OGRERR_NONE) << wkt;
  const geo::OgrGeometryPtr g(raw);
  std::string wkb(static_cast<std::size_t>(OGR_G_WkbSize(g.get())), '\0');
  OGR_G_ExportToIsoWkb(g.get(), wkbNDR, reinterpret_cast<unsigned char*>(wkb.data()));
  return wkb;
}

// A square of 2 * half_m metres around (lon, lat), in EPSG:32648, as a WKB MultiPolygon.
inline std::string SquareAround(double lon, double lat, double half_m = 200) {
  auto projector = geo::PointProjector::Create("EPSG:32648");
  EXPECT_TRUE(projector.ok());
  double x = 0, y = 0;
  (*projector)->Project(&lon, &lat, &x, &y, 1);
  const std::string x0 = std::to_string(x - half_m), x1 = std::to_string(x + half_m);
  const std::string y0 = std::to_string(y - half_m), y1 = std::to_string(y + half_m);
  return Wkb("MULTIPOLYGON (((" + x0 + " " + y0 + "," + x1 + " " + y0 + "," + x1 + " " + y1 + "," +
             x0 + " " + y1 + "," + x0 + " " + y0 + ")))");
}

}  // namespace covgap::test_support
