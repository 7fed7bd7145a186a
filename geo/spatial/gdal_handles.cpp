#include "geo/spatial/gdal_handles.h"

#include <cpl_error.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>

#include "geo/base/log.h"

namespace covgap::geo {
namespace {

void CPL_STDCALL GdalErrorHandler(CPLErr level, CPLErrorNum, const char* message) {
  // Never throw from a C callback: log and return.
  if (level == CE_Debug) return;
  Log(level >= CE_Failure ? LogLevel::kWarning : LogLevel::kDebug,
      std::string("GDAL: ") + (message ? message : ""));
}

void GeosMessage(const char* fmt, va_list args, LogLevel level) {
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fmt, args);
  Log(level, std::string("GEOS: ") + buf);
}

void GeosNotice(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  GeosMessage(fmt, args, LogLevel::kDebug);
  va_end(args);
}

void GeosError(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  GeosMessage(fmt, args, LogLevel::kWarning);
  va_end(args);
}

}  // namespace

void InitGdal() {
  static std::once_flag once;
  std::call_once(once, [] {
    GDALAllRegister();
    CPLSetErrorHandler(GdalErrorHandler);
  });
}

StatusOr<SrsPtr> MakeSrs(const std::string& definition) {
  SrsPtr srs(OSRNewSpatialReference(nullptr));
  if (OSRSetFromUserInput(srs.get(), definition.c_str()) != OGRERR_NONE) {
    return InvalidArgument("unknown coordinate reference system '" + definition +
                           "' (use e.g. EPSG:4326, EPSG:32648 or EPSG:9214)");
  }
  OSRSetAxisMappingStrategy(srs.get(), OAMS_TRADITIONAL_GIS_ORDER);
  return srs;
}

Status CheckProjectedMetricCrs(const std::string& definition) {
  auto srs = MakeSrs(definition);
  if (!srs.ok()) return srs.status();
  if (!OSRIsProjected(srs->get())) {
    return InvalidArgument("the analysis CRS " + definition +
                           " is not projected: cells must be squares in metres (use e.g. "
                           "EPSG:32648, UTM 48N, or EPSG:9214, VN-2000 / TM-3 107-00)");
  }
  if (OSRGetLinearUnits(srs->get(), nullptr) != 1.0) {
    return InvalidArgument("the analysis CRS " + definition + " is not in metres");
  }
  return Status::Ok();
}

GeosContext::GeosContext() : handle_(GEOS_init_r()) {
  GEOSContext_setNoticeHandler_r(handle_, GeosNotice);
  GEOSContext_setErrorHandler_r(handle_, GeosError);
}

GeosContext::~GeosContext() { GEOS_finish_r(handle_); }

Envelope EnvelopeOf(GEOSContextHandle_t ctx, const GEOSGeometry* g) {
  Envelope e;
  GEOSGeom_getXMin_r(ctx, g, &e.minx);
  GEOSGeom_getYMin_r(ctx, g, &e.miny);
  GEOSGeom_getXMax_r(ctx, g, &e.maxx);
  GEOSGeom_getYMax_r(ctx, g, &e.maxy);
  return e;
}

PreparedShape PreparedShape::Make(GEOSContextHandle_t ctx, GeosGeometry g, bool make_valid) {
  PreparedShape s;
  if (!g) return s;
  if (make_valid && GEOSisValid_r(ctx, g.get()) != 1) g = Own(ctx, GEOSMakeValid_r(ctx, g.get()));
  if (!g) return s;
  s.envelope = EnvelopeOf(ctx, g.get());
  s.prepared = Prepare(ctx, g.get());
  s.geometry = std::move(g);
  return s;
}

bool CloseZip(ZipPtr zip) { return zip == nullptr || CPLCloseZip(zip.release()) == CE_None; }

bool CloseVsiFile(VsiFile file) { return file == nullptr || VSIFCloseL(file.release()) == 0; }

}  // namespace covgap::geo
