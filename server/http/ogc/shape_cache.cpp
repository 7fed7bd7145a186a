#include "server/http/ogc/shape_cache.h"

#include <cstdint>

namespace covgap::server::http::ogc {

StatusOr<std::shared_ptr<const ShapeTable>> ShapeCache::For(std::int64_t run_id,
                                                            const OutputCrs& crs) {
  std::lock_guard lock(mu_);
  if (run_id != run_id_) {
    tables_.clear();
    run_id_ = run_id;
  }
  if (auto it = tables_.find(crs.uri); it != tables_.end()) return it->second;
  store::GapQuery query;
  query.run_id = run_id;
  query.limit = INT64_MAX;
  query.with_geometry = true;
  auto gaps = runs_.ListGaps(query);
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

}  // namespace covgap::server::http::ogc
