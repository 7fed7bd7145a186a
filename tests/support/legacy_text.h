// Test support: legacy Vietnamese text and coordinates made the way the files people bring have
// them (TCVN3 bytes from glibc iconv, positions in another CRS with OGR).
#pragma once

#include <gtest/gtest.h>
#include <iconv.h>

#include <string>
#include <utility>

#include "geo/spatial/gdal_handles.h"
#include "tests/support/iconv_handle.h"

namespace covgap::test_support {

// UTF-8 text as TCVN3 (ABC) bytes.
inline std::string ToTcvn3(const std::string& utf8) {
  const IconvHandle cd(iconv_open("TCVN5712-1", "UTF-8"));
  EXPECT_TRUE(IsOpen(cd));
  std::string in = utf8, out(utf8.size() * 2 + 8, '\0');
  char* ip = in.data();
  char* op = out.data();
  std::size_t il = in.size(), ol = out.size();
  EXPECT_NE(iconv(cd.get(), &ip, &il, &op, &ol), static_cast<std::size_t>(-1)) << utf8;
  out.resize(out.size() - ol);
  return out;
}

// lon/lat -> (x, y) in `crs`, with OGR (traditional GIS axis order).
inline std::pair<double, double> Project(double lon, double lat, const std::string& crs) {
  auto wgs84 = geo::MakeSrs("EPSG:4326");
  auto target = geo::MakeSrs(crs);
  EXPECT_TRUE(wgs84.ok() && target.ok());
  geo::TransformPtr t(OCTNewCoordinateTransformation(wgs84->get(), target->get()));
  double x = lon, y = lat, z = 0;
  EXPECT_TRUE(OCTTransform(t.get(), 1, &x, &y, &z));
  return {x, y};
}

}  // namespace covgap::test_support
