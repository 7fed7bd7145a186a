// The latest run's gaps as the feature API serves them, in memory: their rows (without WKB) in
// rank order, and their GeoJSON geometries per served CRS (encoded once per run and CRS: a run's
// geometries never change). The rows are reloaded when the store changes: a new run (its id) or
// a gap event (statuses, plans, dates; the newest event id), which is also how changes made
// through another replica arrive. Checking costs two small reads per request. Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "geo/base/status.h"
#include "geo/export/gap_export.h"
#include "server/http/http_types.h"
#include "server/http/ogc/crs.h"
#include "server/store/store.h"

namespace covgap::server::http::ogc {

using ShapeTable = std::unordered_map<std::string, geo::EncodedShape>;  // by gap id

struct GapSnapshot {
  std::int64_t run_id = 0;  // 0: nothing analysed yet
  std::int64_t last_event_id = 0;
  std::vector<geo::Gap> gaps;  // rank order (GapOrder::kRank), no WKB
  // Every gap id's latest event type (the dashboard's "reopened"), kept up to date from the
  // events the freshness check reads anyway.
  std::unordered_map<std::string, std::string> last_event_type;
};

// Whether `gap` is one `query` selects, by the rules of Store::ListGaps (operator with or without
// the common gaps, technology, kind, district with or without its prefix, status, min_score);
// `run_id`, paging, order and `grouped` are not looked at. Checked against the store in tests.
bool GapMatches(const store::GapQuery& query, const geo::Gap& gap);

// Recently served GeoJSON pages of one snapshot, with their gzip form, by request (collection,
// caller's scope, host and query): paging clients (QGIS, several analysts, the dashboard) ask for
// the same pages again. Emptied when the snapshot changes; least recently used pages go first.
class PageCache {
 public:
  static constexpr std::size_t kPages = 512;
  static constexpr std::size_t kMaxBodyBytes = 1 << 20;  // larger pages are not kept
  using Snapshot = std::shared_ptr<const GapSnapshot>;
  std::optional<HttpResponse> Find(const Snapshot& snapshot, const std::string& key);
  // Keeps `page` (200, JSON) with its gzip form filled in; returns it.
  HttpResponse Remember(const Snapshot& snapshot, const std::string& key, HttpResponse page);

 private:
  std::mutex mu_;
  Snapshot of_;  // held, so that a new snapshot never takes its address
  std::list<std::pair<std::string, HttpResponse>> order_;  // most recent first
  std::unordered_map<std::string, std::list<std::pair<std::string, HttpResponse>>::iterator>
      by_key_;
};

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

 public:
  PageCache pages;
};

// One gap as a GeoJSON Feature: id, the geometry (null when none) and the export's properties.
std::string GapFeatureJson(const geo::Gap& gap, const geo::EncodedShape* shape);

}  // namespace covgap::server::http::ogc
