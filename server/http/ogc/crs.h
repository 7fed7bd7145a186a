// The CRSs the feature API serves (OGC API - Features Part 2): CRS84 (lon/lat, the default),
// EPSG:4326 (lat/lon, its authority's axis order), EPSG:32648 (WGS 84 / UTM 48N, the analysis
// CRS and the gaps' storage CRS) and EPSG:9214 (VN-2000 / TM-3 107-00, Bắc Giang's zone).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace covgap::server::http::ogc {

struct OutputCrs {
  std::string_view uri;   // http://www.opengis.net/def/crs/...
  std::string_view gdal;  // what geo::ShapeEncoder takes (traditional GIS axis order)
  bool lat_first = false;
  int decimals = 7;
};

const std::vector<OutputCrs>& SupportedCrs();
const OutputCrs& DefaultCrs();  // CRS84
const OutputCrs& StorageCrs();  // EPSG:32648
// A CRS by its URI, its [EPSG:n] safe CURIE form or "EPSG:n"; nullopt when not served.
std::optional<OutputCrs> FindCrs(std::string_view text);

}  // namespace covgap::server::http::ogc
