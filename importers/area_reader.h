// Reader for administrative boundaries (province, district, commune) from any OGR vector source:
// GeoJSON, Shapefile (also zipped: `/vsizip/…` or a plain `.zip` path), GeoPackage. See
// docs/importing.md.
//
// Layer: the first layer that declares a polygon geometry type or, being of mixed type, holds a
// polygon. A source with no such layer fails with InvalidArgument.
//
// Name field: options.name_field if given (InvalidArgument listing the fields if the layer has no
// such field); otherwise the first present, case- and accent-insensitively, of the level's table
// of accepted names (column_names.h, in order: name, ten, <level>_vn, NAME_<1|2|3>, ten_tinh|
// ten_huyen|ten_xa, then English and Vietnamese variants), and InvalidArgument listing the fields
// and the accepted names and suggesting --name-field when none is. Two fields of the same best
// spelling (`Ten` and `tên`) are ambiguous: InvalidArgument naming both.
// Code field: options.code_field if given; otherwise the same for level<1|2|3>_id, <level>_id,
// code, ma, mã huyện, district_code, ….
// Without a code field, or where a feature's code is empty, the code is a lower-case ASCII slug of
// the name ("Huyện Lục Ngạn" -> "huyen-luc-ngan"), made unique with "-2", "-3"….
//
// CRS: options.source_crs, if set, replaces whatever the source declares (missing or wrong .prj).
// Otherwise the layer's CRS; a layer without one is taken as EPSG:4326 only when every coordinate
// is within lon -180..180, lat -90..90, and fails with InvalidArgument asking for the CRS
// otherwise. A geographic CRS whose coordinates are out of those bounds fails the same way.
// Output geometry: EPSG:4326, longitude first, always MultiPolygon ISO WKB (little-endian), 2D.
//
// Per feature (never aborting the file; `row` is the 1-based feature number in the layer):
//   rejected  empty_geometry     null or empty geometry
//             not_a_polygon      anything but (Multi)Polygon (curved polygons are linearised)
//             missing_value      empty name
//             invalid_encoding   the name is not valid text in the layer's encoding
//             reprojection_failed  the CRS transformation failed
//             invalid_geometry   invalid, and nothing polygonal is left after GEOS make-valid
//             duplicate_id       the source code repeats with a different name
//   repaired  invalid_geometry   made valid with GEOS make-valid (polygonal part kept); the reason
//                                is GEOS's validity reason
//             merged             the source code repeats with the same name (a multi-part area
//                                stored as several features): the parts are unioned into one area
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "geo/base/status.h"
#include "geo/model/gap.h"
#include "importers/place_reader.h"
#include "importers/text_encoding.h"

namespace covgap::importers {

struct AreaReadOptions {
  geo::AreaLevel level = geo::AreaLevel::kDistrict;
  std::string name_field;            // empty: auto-detect
  std::string code_field;            // empty: auto-detect, else derive from the name
  std::string source_crs;            // empty: the layer's CRS; else e.g. "EPSG:32648", "EPSG:9214"
  std::optional<Encoding> encoding;  // force the text encoding (else the .cpg, checked)
};

struct AreaImport {
  std::vector<geo::AdminArea> areas;
  std::vector<RowIssue> rejected;
  std::vector<RowIssue> repaired;  // features kept after a repair (also counted in `areas`)
  std::uint64_t rows_read = 0;     // features read from the layer
  std::string layer;               // the layer that was read
  std::string name_field;          // the fields used ("" for a derived code)
  std::string code_field;
  std::vector<ColumnUse> columns;  // name (and code) <- the fields used, for the import report
  std::string format;              // the GDAL driver that read it
  std::string encoding;            // the text encoding used, e.g. "TCVN3"
  std::string encoding_note;       // why, when not obvious (e.g. a wrong .cpg overridden)
};

StatusOr<AreaImport> ReadAreas(const std::string& path, const AreaReadOptions& options);

}  // namespace covgap::importers
