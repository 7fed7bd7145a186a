// Readers for the school and household registries and the operators' sites from the files people
// have (see docs/importing.md): CSV, XLSX, ODS, Shapefile (loose or zipped), GeoPackage, GeoJSON,
// KML.
//
// Columns are found by name, any order, unknown columns ignored: `options.columns` maps our field
// names to the file's column names (a mapping file, e.g. `name = Tên trường`), otherwise each
// field takes the column whose name is one of its accepted spellings (column_names.h: case- and
// accent-insensitive, English and Vietnamese, Shapefile cuts; docs/importing.md has the tables).
// The columns used come back in `source.columns` for the import report.
// Positions come from the coordinate columns, or from the point geometry of a vector layer when
// there are none. Coordinates are WGS84 lon/lat unless the layer's CRS or `options.source_crs`
// says otherwise (then they are reprojected, e.g. VN-2000 TM-3 X/Y); coordinates without a CRS
// that look projected fail the file with a message that says what to pass.
//   schools     required school_id, name, level, lat, lon, students_nodev
//               optional students, district, commune
//   households  required household_id, category, lat, lon, students_nodev
//               optional district, commune
//   sites       required site_id, operator, tech, lat, lon
//               optional height_m, azimuth_deg, beamwidth_deg, band_mhz, eirp_dbm (defaults below)
// Levels and categories also take their Vietnamese names (Tiểu học, THCS, THPT, GDTX, Hộ nghèo,
// Cận nghèo, …). Text is decoded (UTF-8, CP1258, TCVN3, VISCII: detected, or `options.encoding`)
// and stored as UTF-8 NFC. A missing required column (the message lists the names it accepts) or
// two columns matching one field (the message names both) fails the whole file with
// InvalidArgument; a missing file is NotFound.
//
// A bad row never aborts the file: it comes back in `rejected` with its 1-based row number (CSV:
// the line, the header is line 1; other formats: the feature number), one code and a reason:
//   invalid_encoding         the text is not valid in the file's encoding
//   wrong_column_count       the row's field count differs from the header's (CSV)
//   missing_value            a required field is empty (or no point geometry)
//   duplicate_id             the id already appeared on an earlier row (rejected or not)
//   unknown_level / unknown_category / unknown_technology   not a known value (the reason lists
//                            them)
//   not_a_number             lat, lon, a count or a site figure is not a (finite, for counts
//                            whole) number
//   negative_count           students or students_nodev below zero
//   nodev_exceeds_students   students_nodev > students (when students is given)
//   out_of_range             a site figure outside its range (height 1-300 m, azimuth 0-360,
//                            beamwidth 1-360, band 100-6000 MHz, EIRP 0-90 dBm)
//   coordinates_swapped      outside `region`, but inside it with lat and lon exchanged
//   outside_region           outside `region` (default: Vietnam, geo::Region{})
// Invariant: accepted + rejected == rows_read.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geo/base/status.h"
#include "geo/model/gap.h"
#include "geo/model/measurement_rules.h"
#include "geo/model/site.h"
#include "importers/column_names.h"
#include "importers/text_encoding.h"

namespace covgap::importers {

// One row or feature that an importer rejected or repaired. Shared by every importer.
struct RowIssue {
  std::uint64_t row = 0;  // 1-based line (CSV) or feature (vector layer) number
  std::string code;       // machine-readable, e.g. "missing_value"
  std::string reason;     // a sentence for people
};

// What was read, besides the rows: for the import report.
struct SourceInfo {
  std::string format;  // GDAL driver or "CSV"
  std::string layer;
  std::string encoding;            // e.g. "UTF-8", "TCVN3"
  std::string encoding_note;       // why, when not obvious (e.g. a wrong .cpg overridden)
  std::string crs;                 // where positions came from and how they were reprojected
  std::vector<ColumnUse> columns;  // which column was read for which field, in field order
};

struct SchoolImport {
  std::vector<geo::School> schools;
  std::vector<std::uint64_t> rows;  // the row number of each accepted school
  std::vector<RowIssue> rejected;
  std::uint64_t rows_read = 0;
  SourceInfo source;
};

struct HouseholdImport {
  std::vector<geo::Household> households;
  std::vector<std::uint64_t> rows;  // the row number of each accepted household
  std::vector<RowIssue> rejected;
  std::uint64_t rows_read = 0;
  SourceInfo source;
};

// Sites (geo::Site). The operator is an operator id or a name the Vietnamese operator map knows
// (OperatorMap::VietnamDefaults: "Viettel", "VinaPhone", "452-04", ...), else the value
// lower-cased; whether it is registered (and the caller's own) is covgapd's check, not the
// reader's. Technology: LTE/4G, UMTS/3G/WCDMA/HSPA, GSM/2G, NR/5G. Empty optional figures take
// the defaults below; no azimuth = an omnidirectional antenna.
struct SiteImport {
  std::vector<geo::Site> sites;
  std::vector<std::uint64_t> rows;  // the row number of each accepted site
  std::vector<RowIssue> rejected;
  std::uint64_t rows_read = 0;
  SourceInfo source;
};

inline constexpr double kDefaultSiteHeightM = 30;
// Typical carrier frequency of each technology in Vietnam: GSM 900, UMTS 2100, LTE 1800,
// NR 3500 MHz.
double DefaultBandMhz(geo::Technology tech);
// Typical macro-cell carrier EIRP: GSM 55, UMTS 58, LTE 60, NR 63 dBm.
double DefaultEirpDbm(geo::Technology tech);

enum class PlaceKind { kSchools, kHouseholds, kSites };

struct PlaceReadOptions {
  geo::Region region;
  std::map<std::string, std::string> columns;  // our field -> the file's column name
  std::optional<Encoding> encoding;            // forced text encoding
  std::string source_crs;                      // CRS of the coordinates (overrides the file's)
};

// Parses a column mapping: one `field = Column name` per line, `#` comments, blank lines. Fails on
// an unknown field name of `kind` (the known ones are listed) or a line without `=`.
StatusOr<std::map<std::string, std::string>> ParseColumnMapping(std::string_view text,
                                                                PlaceKind kind);

StatusOr<SchoolImport> ReadSchools(const std::string& path, const PlaceReadOptions& options = {});
StatusOr<HouseholdImport> ReadHouseholds(const std::string& path,
                                         const PlaceReadOptions& options = {});
StatusOr<SiteImport> ReadSites(const std::string& path, const PlaceReadOptions& options = {});

}  // namespace covgap::importers
