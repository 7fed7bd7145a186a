#include "server/http/ogc/crs.h"

namespace covgap::server::http::ogc {

const std::vector<OutputCrs>& SupportedCrs() {
  static const std::vector<OutputCrs> kCrs = {
      {"http://www.opengis.net/def/crs/OGC/1.3/CRS84", "EPSG:4326", false, 7},
      {"http://www.opengis.net/def/crs/EPSG/0/4326", "EPSG:4326", true, 7},
      {"http://www.opengis.net/def/crs/EPSG/0/32648", "EPSG:32648", false, 2},
      {"http://www.opengis.net/def/crs/EPSG/0/9214", "EPSG:9214", false, 2},
  };
  return kCrs;
}

const OutputCrs& DefaultCrs() { return SupportedCrs()[0]; }
const OutputCrs& StorageCrs() { return SupportedCrs()[2]; }

std::optional<OutputCrs> FindCrs(std::string_view text) {
  if (text == "CRS84" || text == "OGC:CRS84" || text == "[OGC:CRS84]") return DefaultCrs();
  std::string_view code;
  for (std::string_view prefix : {"http://www.opengis.net/def/crs/EPSG/0/",
                                  "https://www.opengis.net/def/crs/EPSG/0/", "EPSG:", "[EPSG:"}) {
    if (text.starts_with(prefix)) {
      code = text.substr(prefix.size());
      if (prefix == "[EPSG:" && code.ends_with(']')) code.remove_suffix(1);
      break;
    }
  }
  for (const OutputCrs& crs : SupportedCrs()) {
    if (crs.uri == text) return crs;
    if (!code.empty() && crs.uri.ends_with("/" + std::string(code))) {
      if (crs.uri.find("/EPSG/") != std::string_view::npos) return crs;
    }
  }
  return std::nullopt;
}

}  // namespace covgap::server::http::ogc
