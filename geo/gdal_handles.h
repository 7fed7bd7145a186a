// RAII owners for GDAL/OGR/OSR and GEOS handles: move-only std::unique_ptr with deleters, so no
// error path closes anything by hand. Include this only in .cpp files of geo/ and importers/
// (it pulls in the C headers).
#pragma once

#include <gdal.h>
#include <geos_c.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "geo/status.h"

namespace covgap::geo {

struct DatasetCloser {
  void operator()(GDALDatasetH h) const {
    if (h) GDALClose(h);
  }
};
using DatasetPtr = std::unique_ptr<std::remove_pointer_t<GDALDatasetH>, DatasetCloser>;

struct GeometryDestroyer {
  void operator()(OGRGeometryH h) const {
    if (h) OGR_G_DestroyGeometry(h);
  }
};
using OgrGeometryPtr = std::unique_ptr<std::remove_pointer_t<OGRGeometryH>, GeometryDestroyer>;

struct FeatureDestroyer {
  void operator()(OGRFeatureH h) const {
    if (h) OGR_F_Destroy(h);
  }
};
using FeaturePtr = std::unique_ptr<std::remove_pointer_t<OGRFeatureH>, FeatureDestroyer>;

struct SrsReleaser {
  void operator()(OGRSpatialReferenceH h) const {
    if (h) OSRRelease(h);
  }
};
using SrsPtr = std::unique_ptr<std::remove_pointer_t<OGRSpatialReferenceH>, SrsReleaser>;

struct TransformDestroyer {
  void operator()(OGRCoordinateTransformationH h) const {
    if (h) OCTDestroyCoordinateTransformation(h);
  }
};
using TransformPtr =
    std::unique_ptr<std::remove_pointer_t<OGRCoordinateTransformationH>, TransformDestroyer>;

// A spatial reference from "EPSG:n", WKT or PROJ text, with traditional GIS axis order
// (longitude/easting first) whatever the authority says.
StatusOr<SrsPtr> MakeSrs(const std::string& definition);

// OK when `definition` is a projected CRS in metres (an analysis grid needs one); otherwise
// InvalidArgument that says why.
Status CheckProjectedMetricCrs(const std::string& definition);

// GEOS reentrant context, one per thread of work. Notices and errors go to the covgap log.
class GeosContext {
 public:
  GeosContext();
  ~GeosContext();
  GeosContext(const GeosContext&) = delete;
  GeosContext& operator=(const GeosContext&) = delete;
  GEOSContextHandle_t get() const { return handle_; }

 private:
  GEOSContextHandle_t handle_;
};

// A GEOS geometry owned together with the context that destroys it.
class GeosGeometry {
 public:
  GeosGeometry() = default;
  GeosGeometry(GEOSContextHandle_t ctx, GEOSGeometry* g) : ctx_(ctx), g_(g) {}
  GeosGeometry(GeosGeometry&& o) noexcept : ctx_(o.ctx_), g_(std::exchange(o.g_, nullptr)) {}
  GeosGeometry& operator=(GeosGeometry&& o) noexcept {
    std::swap(ctx_, o.ctx_);
    std::swap(g_, o.g_);
    return *this;
  }
  ~GeosGeometry() {
    if (g_) GEOSGeom_destroy_r(ctx_, g_);
  }
  GEOSGeometry* get() const { return g_; }
  GEOSGeometry* release() { return std::exchange(g_, nullptr); }
  explicit operator bool() const { return g_ != nullptr; }

 private:
  GEOSContextHandle_t ctx_ = nullptr;
  GEOSGeometry* g_ = nullptr;
};

// Registers GDAL/OGR drivers once and routes CPLError messages into the covgap log. Safe to call
// from several threads.
void InitGdal();

}  // namespace covgap::geo
