#include "server/http/ogc/feature_cache.h"

#include <cstdint>

#include "geo/base/json_writer.h"
#include "server/http/http_server.h"

namespace covgap::server::http::ogc {

bool GapMatches(const store::GapQuery& q, const geo::Gap& g) {
  if (!q.operator_id.empty() && g.operator_id != q.operator_id &&
      !(q.include_common && g.kind == geo::GapKind::kCommon)) {
    return false;
  }
  if (q.tech && g.tech != *q.tech) return false;
  if (q.kind && g.kind != *q.kind) return false;
  if (!q.district.empty()) {
    bool found = g.district == q.district;
    for (const char* prefix : {"Huyện ", "Quận ", "Thị xã ", "Thành phố "}) {
      found = found || g.district == prefix + q.district;
    }
    if (!found) return false;
  }
  if (!q.status.empty() && g.status != q.status) return false;
  return g.score >= q.min_score;
}

StatusOr<std::shared_ptr<const GapSnapshot>> FeatureCache::Gaps() {
  std::lock_guard lock(gaps_mu_);
  auto run = store_.LatestRun();
  if (!run.ok()) return run.status();
  const std::int64_t run_id = run.value() ? run.value()->run_id : 0;
  const std::int64_t seen = snapshot_ ? snapshot_->last_event_id : 0;
  // Events first, then the rows: the rows are at least as new as the newest event seen.
  std::int64_t newest = seen;
  std::vector<store::GapEvent> arrived;
  while (true) {
    auto events = store_.ListGapEvents(newest, 1000);
    if (!events.ok()) return events.status();
    if (events->empty()) break;
    newest = events->back().event_id;
    const bool last_page = events->size() < 1000;
    for (store::GapEvent& e : *events) arrived.push_back(std::move(e));
    if (last_page) break;
  }
  if (snapshot_ && snapshot_->run_id == run_id && newest == seen) return snapshot_;
  auto fresh = std::make_shared<GapSnapshot>();
  fresh->run_id = run_id;
  fresh->last_event_id = newest;
  if (snapshot_) fresh->last_event_type = snapshot_->last_event_type;
  for (store::GapEvent& e : arrived) fresh->last_event_type[e.gap_id] = std::move(e.type);
  if (run_id != 0) {
    store::GapQuery q;
    q.run_id = run_id;
    q.order = store::GapOrder::kRank;
    q.limit = INT64_MAX;
    auto gaps = store_.ListGaps(q);
    if (!gaps.ok()) return gaps.status();
    fresh->gaps = std::move(gaps->first);
  }
  snapshot_ = fresh;
  return snapshot_;
}

StatusOr<std::shared_ptr<const ShapeTable>> FeatureCache::Shapes(std::int64_t run_id,
                                                                 const OutputCrs& crs) {
  std::lock_guard lock(shapes_mu_);
  if (run_id != shapes_run_id_) {
    tables_.clear();
    shapes_run_id_ = run_id;
  }
  if (auto it = tables_.find(crs.uri); it != tables_.end()) return it->second;
  store::GapQuery query;
  query.run_id = run_id;
  query.limit = INT64_MAX;
  query.with_geometry = true;
  auto gaps = store_.ListGaps(query);
  if (!gaps.ok()) return gaps.status();
  auto encoder = geo::ShapeEncoder::Make(std::string(crs.gdal), crs.lat_first, crs.decimals);
  if (!encoder.ok()) return encoder.status();
  auto table = std::make_shared<ShapeTable>();
  table->reserve(gaps->first.size());
  for (const geo::Gap& gap : gaps->first) {
    auto shape = encoder->Encode(gap);
    if (!shape.ok()) return shape.status();
    table->emplace(gap.gap_id, std::move(shape.value()));
  }
  std::shared_ptr<const ShapeTable> out = table;
  tables_.emplace(std::string(crs.uri), out);
  return out;
}

std::optional<HttpResponse> PageCache::Find(const Snapshot& snapshot, const std::string& key) {
  std::lock_guard lock(mu_);
  if (snapshot != of_) return std::nullopt;
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return std::nullopt;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->second;
}

HttpResponse PageCache::Remember(const Snapshot& snapshot, const std::string& key,
                                 HttpResponse page) {
  if (page.status != 200 || page.body.size() > kMaxBodyBytes) return page;
  page.gzip_body = std::make_shared<const std::string>(Gzip(page.body));
  page.shared_body = std::make_shared<const std::string>(std::move(page.body));
  page.body.clear();
  std::lock_guard lock(mu_);
  if (snapshot != of_) {
    order_.clear();
    by_key_.clear();
    of_ = snapshot;
  }
  if (by_key_.count(key) == 0) {
    order_.emplace_front(key, page);
    by_key_[key] = order_.begin();
    if (order_.size() > kPages) {
      by_key_.erase(order_.back().first);
      order_.pop_back();
    }
  }
  return page;
}

std::string GapFeatureJson(const geo::Gap& gap, const geo::EncodedShape* shape) {
  geo::JsonWriter j;
  j.BeginObject().Key("type").String("Feature").Key("id").String(gap.gap_id).Key("geometry");
  if (shape != nullptr) {
    j.Raw(shape->geometry_json);
  } else {
    j.Null();
  }
  j.Key("properties").BeginObject();
  geo::WriteGapProperties(gap, j);
  j.EndObject().EndObject();
  return j.str();
}

StatusOr<std::shared_ptr<const std::vector<std::string>>> FeatureCache::Features(
    const std::shared_ptr<const GapSnapshot>& snapshot, const OutputCrs& crs) {
  std::lock_guard lock(features_mu_);
  if (features_of_ != snapshot) {
    features_.clear();
    features_of_ = snapshot;
  }
  if (auto it = features_.find(crs.uri); it != features_.end()) return it->second;
  auto shapes = Shapes(snapshot->run_id, crs);
  if (!shapes.ok()) return shapes.status();
  auto out = std::make_shared<std::vector<std::string>>();
  out->reserve(snapshot->gaps.size());
  for (const geo::Gap& g : snapshot->gaps) {
    auto it = shapes.value()->find(g.gap_id);
    out->push_back(GapFeatureJson(g, it == shapes.value()->end() ? nullptr : &it->second));
  }
  std::shared_ptr<const std::vector<std::string>> shared = out;
  features_.emplace(std::string(crs.uri), shared);
  return shared;
}

}  // namespace covgap::server::http::ogc
