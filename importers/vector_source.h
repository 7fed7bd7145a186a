// Opening vector sources with GDAL/OGR and reading their text, shared by the area and place
// importers.
//
// OpenVectorSource opens any OGR vector source: GeoJSON, Shapefile (loose, `/vsizip/…` or a plain
// `.zip`), GeoPackage, KML, XLSX, ODS (the first row is the header), CSV. Shapefile text is read
// raw (no recoding by GDAL) so that TextDecoder can decide the encoding itself: the `.cpg` is a
// claim, checked against the text (docs/importing.md "Encodings").
// PlanReprojectionToWgs84 decides how a layer's coordinates become WGS84 lon/lat and refuses, with
// a sentence that says what to pass, a layer without CRS whose numbers look projected.
#pragma once

#include <gdal.h>
#include <ogr_api.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geo/base/status.h"
#include "geo/spatial/gdal_handles.h"
#include "importers/text_encoding.h"
#include "importers/text_fields.h"

namespace covgap::importers {

std::string JoinNames(const std::vector<std::string>& items);

StatusOr<geo::DatasetPtr> OpenVectorSource(const std::string& path);

// Sets GDAL configuration options for this thread while alive (the spreadsheet drivers take their
// header mode from OGR_XLSX_HEADERS / OGR_ODS_HEADERS, read when a sheet is first used).
class SpreadsheetHeaders {
 public:
  SpreadsheetHeaders();
  ~SpreadsheetHeaders();
  SpreadsheetHeaders(const SpreadsheetHeaders&) = delete;
  SpreadsheetHeaders& operator=(const SpreadsheetHeaders&) = delete;
};

std::vector<std::string> FieldNames(OGRLayerH layer);
// Index of the field named `wanted` (case-insensitive, Unicode case folding), or -1.
int FindField(const std::vector<std::string>& fields, std::string_view wanted);

// Null transform: the coordinates are WGS84 lon/lat already. `source_crs`, when not empty,
// replaces what the layer declares.
StatusOr<geo::TransformPtr> PlanReprojectionToWgs84(OGRLayerH layer, const std::string& path,
                                                    const std::string& source_crs);

// The same decision for coordinates read from columns (lon/x, lat/y): `looks_projected` tells
// whether any value is outside lon/lat range.
StatusOr<geo::TransformPtr> PlanColumnReprojection(const std::string& path,
                                                   const std::string& source_crs,
                                                   bool looks_projected, const std::string& sample);

// Decodes the text of one layer into UTF-8 NFC.
class TextDecoder {
 public:
  // Decides the encoding: `forced` if given; UTF-8 for formats that define it (GeoPackage,
  // GeoJSON, KML, XLSX, ODS) unless their text is not valid UTF-8; for a Shapefile the `.cpg`
  // claim checked against samples of the layer's text (DetectEncoding).
  static TextDecoder ForLayer(GDALDatasetH ds, OGRLayerH layer, const std::string& path,
                              std::optional<Encoding> forced);
  // For text already in memory (CSV files): detection over the whole text.
  static TextDecoder ForText(std::string_view text, std::optional<Encoding> forced);
  explicit TextDecoder(Encoding e, std::string note = {}) : encoding_(e), note_(std::move(note)) {}

  // UTF-8 NFC, or nullopt when the bytes are not valid in the chosen encoding.
  std::optional<std::string> Decode(std::string_view raw) const;
  Encoding encoding() const { return encoding_; }
  // Why this encoding (e.g. "the .cpg says UTF-8 but the text is TCVN3"); empty when obvious.
  const std::string& note() const { return note_; }

 private:
  Encoding encoding_;
  std::string note_;
};

// The text of a field, trimmed, decoded; nullopt when it cannot be decoded; "" when null.
std::optional<std::string> FieldText(OGRFeatureH feature, int field, const TextDecoder& decoder);

}  // namespace covgap::importers
