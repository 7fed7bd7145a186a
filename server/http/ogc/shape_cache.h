// The GeoJSON geometries of a run's gaps in each served CRS, encoded once per (run, CRS): a run's
// geometries never change (statuses do, and are read from the store on every request). Only the
// latest run is kept. Thread-safe; a first request for a (run, CRS) encodes while others wait.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "geo/base/status.h"
#include "geo/export/gap_export.h"
#include "server/http/ogc/crs.h"
#include "server/store/store.h"

namespace covgap::server::http::ogc {

using ShapeTable = std::unordered_map<std::string, geo::EncodedShape>;  // by gap id

class ShapeCache {
 public:
  explicit ShapeCache(store::RunStore& runs) : runs_(runs) {}
  StatusOr<std::shared_ptr<const ShapeTable>> For(std::int64_t run_id, const OutputCrs& crs);

 private:
  store::RunStore& runs_;
  std::mutex mu_;
  std::int64_t run_id_ = 0;
  std::map<std::string, std::shared_ptr<const ShapeTable>, std::less<>> tables_;  // by CRS URI
};

}  // namespace covgap::server::http::ogc
