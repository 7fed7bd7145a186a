// The latest run's gaps as the feature API serves them, in memory: their rows (without WKB) in
// rank order, and their GeoJSON geometries per served CRS (encoded once per run and CRS: a run's
// geometries never change). The rows are reloaded when the store changes: a new run (its id) or
// a gap event (statuses, plans, dates; the newest event id), which is also how changes made
// through another replica arrive. Checking costs two small reads per request. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "geo/base/status.h"
#include "geo/export/gap_export.h"
#include "server/http/ogc/crs.h"
#include "server/store/store.h"

namespace covgap::server::http::ogc {

using ShapeTable = std::unordered_map<std::string, geo::EncodedShape>;  // by gap id

struct GapSnapshot {
  std::int64_t run_id = 0;  // 0: nothing analysed yet
  std::int64_t last_event_id = 0;
  std::vector<geo::Gap> gaps;  // rank order (GapOrder::kRank), no WKB
};

// Whether `gap` is one `query` selects, by the rules of Store::ListGaps (operator with or without
// the common gaps, technology, kind, district with or without its prefix, status, min_score);
// `run_id`, paging, order and `grouped` are not looked at. Checked against the store in tests.
bool GapMatches(const store::GapQuery& query, const geo::Gap& gap);

class FeatureCache {
 public:
  explicit FeatureCache(store::Store& store) : store_(store) {}
  // The current gaps (reloaded first if the store changed).
  StatusOr<std::shared_ptr<const GapSnapshot>> Gaps();
  // The geometries of run `run_id`'s gaps in `crs`.
  StatusOr<std::shared_ptr<const ShapeTable>> Shapes(std::int64_t run_id, const OutputCrs& crs);
  // Each gap of `snapshot` as a GeoJSON Feature in `crs` (index-aligned with snapshot.gaps),
  // serialised once per snapshot and CRS: pages are then concatenations.
  StatusOr<std::shared_ptr<const std::vector<std::string>>> Features(
      const std::shared_ptr<const GapSnapshot>& snapshot, const OutputCrs& crs);

 private:
  store::Store& store_;
  std::mutex gaps_mu_;
  std::shared_ptr<const GapSnapshot> snapshot_;
  std::mutex shapes_mu_;
  std::int64_t shapes_run_id_ = 0;
  std::map<std::string, std::shared_ptr<const ShapeTable>, std::less<>> tables_;  // by CRS URI
  std::mutex features_mu_;
  std::shared_ptr<const GapSnapshot> features_of_;  // the snapshot `features_` belong to
  std::map<std::string, std::shared_ptr<const std::vector<std::string>>, std::less<>> features_;
};

// One gap as a GeoJSON Feature: id, the geometry (null when none) and the export's properties.
std::string GapFeatureJson(const geo::Gap& gap, const geo::EncodedShape* shape);

}  // namespace covgap::server::http::ogc
