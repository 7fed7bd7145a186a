// Projects WGS84 lon/lat to an analysis CRS, in bulk.
//
// For the UTM zones on WGS84 (EPSG:32601–32660 north, 32701–32760 south; the default analysis CRS
// EPSG:32648 is one) it uses the Krüger series to order n^6 (Karney 2011, "Transverse Mercator
// with an accuracy of a few nanometers") — the same series PROJ's exact tmerc evaluates — and is
// about 1.5 times as fast as PROJ (bench/projector_bench; docs/gaps.md);
// tests/geo/point_projector_test.cpp checks it against PROJ to a micrometre. Any other CRS goes
// through PROJ (axis order normalised to easting/northing). Project() may be called from several
// threads at once.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "geo/base/status.h"

namespace covgap::geo {

class PointProjector {
 public:
  static StatusOr<std::unique_ptr<PointProjector>> Create(const std::string& target_crs);
  virtual ~PointProjector() = default;

  // x[i], y[i] = projection of (lon[i], lat[i]) in degrees. Points that cannot be projected get
  // infinite coordinates.
  virtual void Project(const double* lon, const double* lat, double* x, double* y,
                       std::size_t n) const = 0;
  // True when the fast UTM path is used.
  virtual bool fast_path() const = 0;
};

}  // namespace covgap::geo
