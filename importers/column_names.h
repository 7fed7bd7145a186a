// The column names every importer accepts for its fields, and the matching of a file's header
// against them (docs/importing.md "Accepted column names"). One table per import kind — schools,
// households, sites, measurements (covgap's CSV) and boundaries of each level — so every reader
// recognises the same spellings and reports the same way what it understood.
//
// Each field has a list of spellings: covgap's own name first, then full English names, common
// variants, Giga-style school-list names and Vietnamese headers (written with diacritics; the
// form without them is matched too). Besides those, the first 10 characters of every ASCII
// spelling longer than 10 are accepted (GDAL cuts Shapefile field names at 10: `students_w`),
// unless that cut also belongs to another field of the kind, where it would mean either.
//
// Names are compared normalised (NormalizeColumnName): Unicode case folding, accents and tone
// marks removed (đ is d), and everything but letters and digits dropped, so `Số HS không có
// thiết bị`, `so_hs_khong_co_thiet_bi` and `SO HS KHONG CO THIET BI` are one name, and
// `Height (m)` is `height_m`. No two fields of a kind share a normalised spelling.
//
// MatchColumns: an explicit mapping (`field = Column name`, e.g. from --columns) is used first;
// then every other field takes the header column whose name is one of its spellings. Two columns
// matching one field is an error naming both — except in boundary tables (whose files often
// carry a name several times: English, Vietnamese, ASCII), where the earlier spelling wins and
// only two columns of the same best spelling are ambiguous, and in drive-test log tables
// (G-NetTrack, generic drive-test CSVs: apps log what they log), where the first such column wins.
// A required field without a column is an error that names the field and lists the names it
// accepts. Errors are InvalidArgument without a path prefix; callers add it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "geo/base/status.h"

namespace covgap::importers {

enum class ImportKind {
  kSchools,
  kHouseholds,
  kSites,
  kMeasurements,  // covgap's own measurement CSV (measurement_csv.h)
  kProvinces,
  kDistricts,
  kCommunes,
  kGNetTrack,     // G-NetTrack logs (drive_test_log.h); every field optional
  kDriveTestCsv,  // generic drive-test CSVs (drive_test_log.h); every field optional
};

// "schools", "households", "sites", "measurements", "provinces", "districts", "communes",
// "gnettrack", "drive-test CSV".
std::string_view ToString(ImportKind kind);

// A name a field accepts, normalised, and its rank (its spelling's position with
// Ties::kEarlierSpelling, 0 otherwise).
struct AcceptedName {
  std::string name;
  int rank = 0;
  bool cut = false;  // the first 10 characters of a longer spelling
};

struct FieldSpellings {
  std::string field;  // covgap's name of the field, e.g. "students_nodev"
  bool required = false;
  std::vector<std::string> spellings;  // as documented, the field's own name first
  std::vector<AcceptedName> accepted;  // filled by ColumnsOf: spellings, then unambiguous cuts
};

// What happens when several columns match one field.
enum class Ties {
  kAmbiguous,        // an error naming two of them
  kEarlierSpelling,  // the column of the earliest spelling wins; that spelling twice is an error
  kFirstColumn,      // the first such column of the header wins
};

struct ColumnTable {
  ImportKind kind;
  Ties ties = Ties::kAmbiguous;
  std::vector<FieldSpellings> fields;

  // The index of `field` in `fields`, or -1.
  int IndexOf(std::string_view field) const;
};

// The table of one kind (built once; valid for the life of the program).
const ColumnTable& ColumnsOf(ImportKind kind);

// Case folded, accents and tone marks removed (đ -> d), only letters and digits kept, UTF-8.
std::string NormalizeColumnName(std::string_view name);

// One field and the column that was used for it.
struct ColumnUse {
  std::string field;
  std::string column;   // the header's name as in the file
  bool mapped = false;  // named by the explicit mapping
};

struct ColumnMatch {
  std::vector<int> index;       // per field of the table, the header column, or -1
  std::vector<ColumnUse> used;  // every matched field, in table order
};

struct MatchOptions {
  // Required fields that may be absent here (e.g. lat, lon when a layer has point geometry).
  std::vector<std::string> may_be_absent;
  // The last sentence of a missing-column or ambiguity error: how to name a column.
  std::string how_to_name = "Name other columns with a column mapping (--columns FILE).";
};

// Matches `header` (the file's column names) against `table`. `mapping`: our field -> the file's
// column name, case-insensitive and accent-insensitive; a name the header lacks is an error.
StatusOr<ColumnMatch> MatchColumns(const ColumnTable& table, const std::vector<std::string>& header,
                                   const std::map<std::string, std::string>& mapping = {},
                                   const MatchOptions& options = {});

// "students_nodev ← students_without_device, lat ← Vĩ độ" (mapped columns are marked
// "(mapping)"); "" when nothing was matched.
std::string DescribeColumnUse(const std::vector<ColumnUse>& used);

}  // namespace covgap::importers
