// Exports gaps as GIS files for analysts (QGIS, ArcGIS, Google Earth, spreadsheets).
//
// WriteGapExport writes one layer (ExportOptions::layer_name) holding every gap, whatever its kind,
// operator or technology; `kind`, `operator` and `tech` are columns to filter on. The fields are
// the gap attributes of docs/domain.md, in that order, ending with the evidence of the prediction
// (`evidence`, `p_good`, `meas_share`; docs/prediction.md), with names of at most 10 characters so
// that every format carries the same names; docs/exports.md has the table. Geometries are the gaps'
// (Multi)Polygons, promoted to MultiPolygon and reprojected from each gap's `crs` to `target_crs`
// in longitude/easting-first order; they are not simplified, so valid input stays valid. Dates are
// the UTC calendar dates of the millisecond timestamps.
//
// Formats:
//   kShapefile  a .zip holding exactly <layer>.shp .shx .dbf .prj .cpg (UTF-8); strings longer than
//               254 bytes are cut on a UTF-8 character boundary.
//   kGeoPackage one vector layer with the target CRS.
//   kGeoJson    WGS84 targets follow RFC 7946 (no `crs` member, right-hand-rule rings); any other
//               target must have an EPSG code and is written with a GeoJSON 2008 `crs` member.
//   kCsv        UTF-8 with a byte order mark, geometry as a first `WKT` column, dates as
//               YYYY-MM-DD text, no CRS metadata (coordinates are in target_crs).
//   kKml        WGS84 only; Integer64 fields become Real and dates YYYY-MM-DD text (KML has no
//               64-bit integer or date type).
// Empty strings and non-finite numbers are written as nulls.
//
// The export is built in memory (/vsimem), written to a temporary file next to `path` and renamed
// over it, so `path` changes only when the export succeeded. Errors: InvalidArgument for a bad
// option (unknown CRS, a CRS the format cannot carry, bad layer name) or a gap that cannot be
// exported (bad WKB, not a (Multi)Polygon, unknown or untransformable CRS); Internal for GDAL and
// file-system failures. Messages include GDAL's own. Safe to call from several threads at once.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geo/base/json_writer.h"
#include "geo/base/status.h"
#include "geo/model/gap.h"

namespace covgap::geo {

enum class ExportFormat { kShapefile, kGeoPackage, kGeoJson, kCsv, kKml };

// "shp", "gpkg", "geojson", "csv", "kml" (case-insensitive); nullopt for anything else.
std::optional<ExportFormat> ParseExportFormat(std::string_view text);
// The inverse of ParseExportFormat.
std::string_view ToString(ExportFormat format);
// ".zip", ".gpkg", ".geojson", ".csv", ".kml".
std::string_view DefaultExtension(ExportFormat format);

struct ExportOptions {
  ExportFormat format = ExportFormat::kGeoPackage;
  std::string target_crs = "EPSG:4326";  // any EPSG code, WKT or PROJ string
  std::string layer_name = "gaps";       // also the member names inside a shapefile .zip
};

// Writes `gaps` to a new file at `path`, replacing any file there.
Status WriteGapExport(const std::vector<Gap>& gaps, const ExportOptions& options,
                      const std::string& path);

// ---- Feature services (server/http, docs/web.md): the same attributes as the files ----

// One attribute of the export: its name and its JSON Schema type ("string", "integer",
// "number"; dates are strings of format "date", YYYY-MM-DD).
struct GapField {
  std::string_view name;
  std::string_view json_type;
  bool is_date = false;
};
// The export's fields, in order.
std::vector<GapField> GapFields();
// The gap's values of GapFields() as members of the open JSON object (null when empty).
void WriteGapProperties(const Gap& gap, JsonWriter& json);

// A geometry as GeoJSON in a target CRS, and its envelope there.
struct EncodedShape {
  std::string geometry_json;
  std::array<double, 4> envelope{};  // min x, min y, max x, max y in the written axis order
};

// Encodes geometries into one target CRS as GeoJSON (reprojected from their own CRS, polygon
// rings right-handed as RFC 7946 asks). `lat_first` writes (y, x): EPSG:4326 in its authority's
// axis order, as OGC API - Features Part 2 wants for crs=EPSG:4326 (CRS84 is lon/lat).
// Coordinates are rounded to `decimals`. Not thread-safe: one per thread or under a lock.
struct ShapeEncoderImpl;
class ShapeEncoder {
 public:
  static StatusOr<ShapeEncoder> Make(const std::string& target_crs, bool lat_first, int decimals);
  ShapeEncoder(ShapeEncoder&&) noexcept;
  ShapeEncoder& operator=(ShapeEncoder&&) noexcept;
  ~ShapeEncoder();
  // A gap's MultiPolygon (the same geometry as the exports).
  StatusOr<EncodedShape> Encode(const Gap& gap);
  // Any WKB geometry in `crs` (areas: EPSG:4326 lon/lat); `what` names it in errors.
  StatusOr<EncodedShape> EncodeWkb(const std::string& wkb, const std::string& crs,
                                   const std::string& what);
  // A WGS84 point (schools).
  StatusOr<EncodedShape> EncodeLonLat(double lon, double lat);

 private:
  explicit ShapeEncoder(std::unique_ptr<ShapeEncoderImpl> impl);
  std::unique_ptr<ShapeEncoderImpl> impl_;
};

}  // namespace covgap::geo
