// Point-in-area queries in WGS84 over administrative areas of one level: which area holds a point
// (e.g. is a school inside the province?). Prepared GEOS geometries behind an envelope check.
// Not thread-safe: one lookup per thread of work.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "geo/base/status.h"
#include "geo/model/gap.h"

namespace covgap::geo {

class AreaLookup {
 public:
  // The areas of `level` among `areas` (WKB in EPSG:4326, lon/lat).
  static StatusOr<std::unique_ptr<AreaLookup>> Build(const std::vector<AdminArea>& areas,
                                                     AreaLevel level);
  ~AreaLookup();
  AreaLookup(const AreaLookup&) = delete;
  AreaLookup& operator=(const AreaLookup&) = delete;

  bool empty() const;
  // The name of the first area (in import order) that contains or touches the point, if any.
  std::optional<std::string> Find(double lon, double lat) const;
  // The names of all areas, joined with ", " (for messages).
  std::string Names() const;

 private:
  AreaLookup();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace covgap::geo
