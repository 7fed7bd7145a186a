// RAII owners for GDAL/OGR/OSR/VSI/CPL and GEOS handles: move-only std::unique_ptr with deleters,
// so no error path closes anything by hand. Include this only in .cpp files of geo/ and importers/
// (it pulls in the C headers).
#pragma once

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <geos_c.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <proj.h>

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "geo/base/status.h"

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

// A string GDAL/CPL allocated (OSRExportToWkt, CPLStrdup), freed with CPLFree.
struct CplFreer {
  void operator()(char* p) const { CPLFree(p); }
};
using CplString = std::unique_ptr<char, CplFreer>;

// A buffer GDAL allocated (VSIIngestFile, VSIMalloc), freed with VSIFree.
struct VsiFreer {
  void operator()(void* p) const { VSIFree(p); }
};
using VsiBuffer = std::unique_ptr<GByte, VsiFreer>;

// A field definition (OGR_Fld_Create), destroyed once the layer has copied it.
struct FieldDefnDestroyer {
  void operator()(OGRFieldDefnH h) const {
    if (h) OGR_Fld_Destroy(h);
  }
};
using FieldDefnPtr = std::unique_ptr<std::remove_pointer_t<OGRFieldDefnH>, FieldDefnDestroyer>;

// A GDAL virtual file (VSIFOpenL). Dropping it closes the file; CloseVsiFile closes it and says
// whether the close (the last flush of a write) succeeded.
struct VsiFileCloser {
  void operator()(VSILFILE* f) const {
    if (f) VSIFCloseL(f);
  }
};
using VsiFile = std::unique_ptr<VSILFILE, VsiFileCloser>;
bool CloseVsiFile(VsiFile file);

// PROJ objects (point_projector.cpp): a context, and a PJ made in it (destroy it first).
struct ProjContextDestroyer {
  void operator()(PJ_CONTEXT* c) const {
    if (c) proj_context_destroy(c);
  }
};
using ProjContextPtr = std::unique_ptr<PJ_CONTEXT, ProjContextDestroyer>;
struct ProjDestroyer {
  void operator()(PJ* p) const {
    if (p) proj_destroy(p);
  }
};
using ProjPtr = std::unique_ptr<PJ, ProjDestroyer>;

// A zip archive being written (CPLCreateZip). CloseZip finishes it and says whether that worked.
struct ZipCloser {
  void operator()(void* zip) const {
    if (zip) CPLCloseZip(zip);
  }
};
using ZipPtr = std::unique_ptr<void, ZipCloser>;
bool CloseZip(ZipPtr zip);

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

// Deleter of a GEOS object: carries the context that made it, since every GEOS free takes one.
template <auto Destroy>
struct GeosDeleter {
  GEOSContextHandle_t ctx = nullptr;
  template <typename T>
  void operator()(T* p) const {
    if (p) Destroy(ctx, p);
  }
};

// One owner per GEOS handle kind. Make them with the context: GeosGeometry(g, {ctx}) or the
// helpers below.
using GeosGeometry = std::unique_ptr<GEOSGeometry, GeosDeleter<&GEOSGeom_destroy_r>>;
using GeosPrepared =
    std::unique_ptr<const GEOSPreparedGeometry, GeosDeleter<&GEOSPreparedGeom_destroy_r>>;
using GeosWkbReaderPtr = std::unique_ptr<GEOSWKBReader, GeosDeleter<&GEOSWKBReader_destroy_r>>;
using GeosWkbWriterPtr = std::unique_ptr<GEOSWKBWriter, GeosDeleter<&GEOSWKBWriter_destroy_r>>;
// A buffer GEOS allocated (WKB from a writer, a validity reason), freed with GEOSFree_r.
using GeosBuffer = std::unique_ptr<unsigned char, GeosDeleter<&GEOSFree_r>>;
using GeosString = std::unique_ptr<char, GeosDeleter<&GEOSFree_r>>;

inline GeosGeometry Own(GEOSContextHandle_t ctx, GEOSGeometry* g) { return GeosGeometry(g, {ctx}); }
inline GeosPrepared Prepare(GEOSContextHandle_t ctx, const GEOSGeometry* g) {
  return GeosPrepared(g ? GEOSPrepare_r(ctx, g) : nullptr, {ctx});
}

// Reads WKB into owned geometries (one reader, reused). Null when the WKB is unreadable.
class GeosWkbReader {
 public:
  explicit GeosWkbReader(GEOSContextHandle_t ctx)
      : ctx_(ctx), reader_(GEOSWKBReader_create_r(ctx), {ctx}) {}
  GeosGeometry Read(std::string_view wkb) const {
    return Own(
        ctx_, GEOSWKBReader_read_r(ctx_, reader_.get(),
                                   reinterpret_cast<const unsigned char*>(wkb.data()), wkb.size()));
  }

 private:
  GEOSContextHandle_t ctx_;
  GeosWkbReaderPtr reader_;
};

// The axis-aligned bounding box of a geometry, for cheap rejections before a GEOS predicate.
struct Envelope {
  double minx = 0, miny = 0, maxx = 0, maxy = 0;
  bool Contains(double x, double y) const {
    return x >= minx && x <= maxx && y >= miny && y <= maxy;
  }
  bool Intersects(const Envelope& o) const {
    return !(o.maxx < minx || o.minx > maxx || o.maxy < miny || o.miny > maxy);
  }
};
Envelope EnvelopeOf(GEOSContextHandle_t ctx, const GEOSGeometry* g);

// A geometry with its envelope and prepared form: the one entry of every "which polygon holds
// this point / gap" index (areas, gaps). Invalid input is repaired with GEOSMakeValid first.
struct PreparedShape {
  GeosGeometry geometry;
  GeosPrepared prepared;
  Envelope envelope;
  // Null geometry in, empty shape out (check `geometry`).
  static PreparedShape Make(GEOSContextHandle_t ctx, GeosGeometry g, bool make_valid = true);
};

// Registers GDAL/OGR drivers once and routes CPLError messages into the covgap log. Safe to call
// from several threads.
void InitGdal();

}  // namespace covgap::geo
