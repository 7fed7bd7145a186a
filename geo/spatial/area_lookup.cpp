#include "geo/spatial/area_lookup.h"

#include "geo/spatial/gdal_handles.h"

namespace covgap::geo {

struct AreaLookup::Impl {
  struct Entry {
    std::string name;
    PreparedShape shape;
  };
  GeosContext ctx;
  std::vector<Entry> entries;
};

AreaLookup::AreaLookup() : impl_(std::make_unique<Impl>()) {}
AreaLookup::~AreaLookup() = default;

StatusOr<std::unique_ptr<AreaLookup>> AreaLookup::Build(const std::vector<AdminArea>& areas,
                                                        AreaLevel level) {
  std::unique_ptr<AreaLookup> lookup(new AreaLookup());
  Impl& impl = *lookup->impl_;
  GEOSContextHandle_t ctx = impl.ctx.get();
  const GeosWkbReader reader(ctx);
  for (const AdminArea& a : areas) {
    if (a.level != level) continue;
    PreparedShape shape = PreparedShape::Make(ctx, reader.Read(a.wkb));
    if (!shape.geometry) continue;
    impl.entries.push_back({a.name, std::move(shape)});
  }
  return lookup;
}

bool AreaLookup::empty() const { return impl_->entries.empty(); }

std::optional<std::string> AreaLookup::Find(double lon, double lat) const {
  GEOSContextHandle_t ctx = impl_->ctx.get();
  const GeosGeometry point = Own(ctx, GEOSGeom_createPointFromXY_r(ctx, lon, lat));
  for (const auto& e : impl_->entries) {
    if (!e.shape.envelope.Contains(lon, lat)) continue;
    if (GEOSPreparedIntersects_r(ctx, e.shape.prepared.get(), point.get()) == 1) return e.name;
  }
  return std::nullopt;
}

std::string AreaLookup::Names() const {
  std::string out;
  for (const auto& e : impl_->entries) out += (out.empty() ? "" : ", ") + e.name;
  return out;
}

}  // namespace covgap::geo
