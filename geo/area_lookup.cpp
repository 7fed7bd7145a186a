#include "geo/area_lookup.h"

#include "geo/gdal_handles.h"

namespace covgap::geo {

struct AreaLookup::Impl {
  struct Entry {
    std::string name;
    GeosGeometry geometry;
    const GEOSPreparedGeometry* prepared = nullptr;
    double minx = 0, miny = 0, maxx = 0, maxy = 0;
  };
  GeosContext ctx;
  std::vector<Entry> entries;
  ~Impl() {
    for (auto& e : entries) GEOSPreparedGeom_destroy_r(ctx.get(), e.prepared);
  }
};

AreaLookup::AreaLookup() : impl_(std::make_unique<Impl>()) {}
AreaLookup::~AreaLookup() = default;

StatusOr<std::unique_ptr<AreaLookup>> AreaLookup::Build(const std::vector<AdminArea>& areas,
                                                        AreaLevel level) {
  std::unique_ptr<AreaLookup> lookup(new AreaLookup());
  Impl& impl = *lookup->impl_;
  GEOSContextHandle_t ctx = impl.ctx.get();
  GEOSWKBReader* reader = GEOSWKBReader_create_r(ctx);
  for (const AdminArea& a : areas) {
    if (a.level != level) continue;
    GeosGeometry g(
        ctx, GEOSWKBReader_read_r(ctx, reader, reinterpret_cast<const unsigned char*>(a.wkb.data()),
                                  a.wkb.size()));
    if (!g) continue;
    if (GEOSisValid_r(ctx, g.get()) != 1) g = GeosGeometry(ctx, GEOSMakeValid_r(ctx, g.get()));
    Impl::Entry e{a.name, std::move(g)};
    GEOSGeom_getXMin_r(ctx, e.geometry.get(), &e.minx);
    GEOSGeom_getYMin_r(ctx, e.geometry.get(), &e.miny);
    GEOSGeom_getXMax_r(ctx, e.geometry.get(), &e.maxx);
    GEOSGeom_getYMax_r(ctx, e.geometry.get(), &e.maxy);
    e.prepared = GEOSPrepare_r(ctx, e.geometry.get());
    impl.entries.push_back(std::move(e));
  }
  GEOSWKBReader_destroy_r(ctx, reader);
  return lookup;
}

bool AreaLookup::empty() const { return impl_->entries.empty(); }

std::optional<std::string> AreaLookup::Find(double lon, double lat) const {
  GEOSContextHandle_t ctx = impl_->ctx.get();
  GeosGeometry point(ctx, GEOSGeom_createPointFromXY_r(ctx, lon, lat));
  for (const auto& e : impl_->entries) {
    if (lon < e.minx || lon > e.maxx || lat < e.miny || lat > e.maxy) continue;
    if (GEOSPreparedIntersects_r(ctx, e.prepared, point.get()) == 1) return e.name;
  }
  return std::nullopt;
}

std::string AreaLookup::Names() const {
  std::string out;
  for (const auto& e : impl_->entries) out += (out.empty() ? "" : ", ") + e.name;
  return out;
}

}  // namespace covgap::geo
