#include "importers/place_reader.h"

#include <cpl_string.h>
#include <unicode/unistr.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <span>
#include <unordered_map>

#include "geo/spatial/gdal_handles.h"
#include "importers/drive_test_log.h"
#include "importers/measurement_csv.h"
#include "importers/vector_source.h"

namespace covgap::importers {
namespace {

using geo::Rejection;

std::string Fold(std::string_view s) {
  std::string out;
  icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())))
      .foldCase()
      .toUTF8String(out);
  return NormalizeNfc(out);
}

// A value quoted in a reason: at most 40 bytes, cut on a UTF-8 character boundary.
std::string Shown(std::string_view v) {
  constexpr std::size_t kMax = 40;
  if (v.size() <= kMax) return "'" + std::string(v) + "'";
  std::size_t n = kMax;
  while (n > 0 && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) --n;
  return "'" + std::string(v.substr(0, n)) + "...'";
}

std::optional<double> ParseDouble(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// ---------------------------------------------------------------- tables

// One row of a table, whatever the format: decoded values per column and, for vector layers, the
// point geometry in WGS84.
struct TableRow {
  std::uint64_t number = 0;
  std::vector<std::string> values;
  std::optional<std::pair<double, double>> point;  // lon, lat
  std::optional<Rejection> problem;                // the row could not even be read
};

struct Table {
  std::vector<std::string> columns;
  std::vector<TableRow> rows;
  SourceInfo source;
  bool has_geometry = false;
};

struct Record {
  std::string_view text;   // without the final line end
  std::uint64_t line = 0;  // 1-based line of its first character
};

// Splits file content into CSV records: a quoted field may span line ends. A record whose quote
// never closes ends at its first line end, so one stray quote cannot swallow the rest of the file.
class RecordSplitter {
 public:
  explicit RecordSplitter(std::string_view text) : text_(text) {}

  bool Next(Record& record) {
    if (pos_ >= text_.size()) return false;
    record.line = line_ + 1;
    const std::size_t start = pos_;
    std::size_t end = ScanRecord(start);
    if (end == std::string_view::npos) {  // unbalanced quote: fall back to one physical line
      end = text_.find('\n', start);
      if (end == std::string_view::npos) end = text_.size();
    }
    for (std::size_t i = start; i < end; ++i) line_ += text_[i] == '\n';
    ++line_;
    pos_ = end + 1;
    record.text = text_.substr(start, end - start);
    if (record.text.ends_with('\r')) record.text.remove_suffix(1);
    return true;
  }

 private:
  // The offset of the line end (or text end) that closes the record starting at `start`, or npos
  // when a quoted field is still open at the end of the text.
  std::size_t ScanRecord(std::size_t start) const {
    enum { kFieldStart, kUnquoted, kQuoted, kAfterQuote } state = kFieldStart;
    for (std::size_t i = start; i < text_.size(); ++i) {
      const char c = text_[i];
      switch (state) {
        case kFieldStart:
        case kUnquoted:
          if (c == '\n') return i;
          if (c == ',') {
            state = kFieldStart;
          } else if (state == kFieldStart && c == '"') {
            state = kQuoted;
          } else {
            state = kUnquoted;
          }
          break;
        case kQuoted:
          if (c == '"') state = kAfterQuote;
          break;
        case kAfterQuote:
          if (c == '\n') return i;
          state = c == '"' ? kQuoted : c == ',' ? kFieldStart : kUnquoted;
          break;
      }
    }
    return state == kQuoted ? std::string_view::npos : text_.size();
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint64_t line_ = 0;
};

StatusOr<std::string> ReadWholeFile(const std::string& path) {
  const geo::VsiFile f(VSIFOpenL(path.c_str(), "rb"));
  if (f == nullptr) return NotFound(path + ": no such file");
  std::string content;
  char buf[1 << 16];
  std::size_t n = 0;
  while ((n = VSIFReadL(buf, 1, sizeof buf, f.get())) > 0) content.append(buf, n);
  if (content.starts_with("\xEF\xBB\xBF")) content.erase(0, 3);
  return content;
}

StatusOr<Table> ReadCsvTable(const std::string& path, const PlaceReadOptions& options) {
  StatusOr<std::string> content = ReadWholeFile(path);
  if (!content.ok()) return content.status();
  const TextDecoder decoder = TextDecoder::ForText(*content, options.encoding);
  Table table;
  table.source.format = "CSV";
  table.source.encoding = std::string(ToString(decoder.encoding()));
  table.source.encoding_note = decoder.note();
  RecordSplitter records(*content);
  Record record;
  while (records.Next(record) && TrimBlanks(record.text).empty()) {
  }
  if (TrimBlanks(record.text).empty())
    return InvalidArgument(path + ": the file is empty: no header");
  auto header = decoder.Decode(record.text);
  if (!header) return InvalidArgument(path + ": the header is not valid " + table.source.encoding);
  std::vector<std::string_view> fields;
  std::string storage;
  SplitCsvLine(*header, fields, storage);
  for (auto f : fields) table.columns.emplace_back(TrimBlanks(f));
  while (records.Next(record)) {
    if (TrimBlanks(record.text).empty()) continue;
    TableRow& row = table.rows.emplace_back();
    row.number = record.line;
    auto text = decoder.Decode(record.text);
    if (!text) {
      row.problem =
          Rejection{"invalid_encoding", "the line is not valid " + table.source.encoding +
                                            " (save the file as UTF-8, or pass --encoding)"};
      continue;
    }
    SplitCsvLine(*text, fields, storage);
    if (fields.size() != table.columns.size()) {
      row.problem = Rejection{"wrong_column_count", "row has " + std::to_string(fields.size()) +
                                                        " fields, header has " +
                                                        std::to_string(table.columns.size())};
      continue;
    }
    for (auto f : fields) row.values.emplace_back(TrimBlanks(f));
  }
  return table;
}

StatusOr<Table> ReadVectorTable(const std::string& path, const PlaceReadOptions& options) {
  const SpreadsheetHeaders first_row_is_the_header;
  auto ds = OpenVectorSource(path);
  if (!ds.ok()) return ds.status();
  GDALDatasetH h = ds->get();
  if (GDALDatasetGetLayerCount(h) == 0) return InvalidArgument(path + ": no layer to read");
  OGRLayerH layer = GDALDatasetGetLayer(h, 0);
  Table table;
  table.source.format = GDALGetDriverShortName(GDALGetDatasetDriver(h));
  table.source.layer = OGR_L_GetName(layer);
  const TextDecoder decoder = TextDecoder::ForLayer(h, layer, path, options.encoding);
  table.source.encoding = std::string(ToString(decoder.encoding()));
  table.source.encoding_note = decoder.note();
  for (const std::string& name : FieldNames(layer)) {
    auto decoded = decoder.Decode(name);
    table.columns.push_back(decoded ? *decoded : name);
  }
  const OGRwkbGeometryType type = wkbFlatten(OGR_L_GetGeomType(layer));
  table.has_geometry = type == wkbPoint || type == wkbMultiPoint || type == wkbUnknown;
  geo::TransformPtr transform;
  if (table.has_geometry) {
    auto plan = PlanReprojectionToWgs84(layer, path, options.source_crs);
    if (!plan.ok()) return plan.status();
    transform = std::move(plan.value());
  }
  const int n_fields = static_cast<int>(table.columns.size());
  // Spreadsheets number rows as the sheet does (the header is row 1); other layers by feature.
  const bool sheet_rows = table.source.format == "XLSX" || table.source.format == "ODS";
  std::uint64_t number = 0;
  OGR_L_ResetReading(layer);
  for (geo::FeaturePtr f(OGR_L_GetNextFeature(layer)); f; f.reset(OGR_L_GetNextFeature(layer))) {
    TableRow& row = table.rows.emplace_back();
    ++number;
    row.number = sheet_rows ? static_cast<std::uint64_t>(OGR_F_GetFID(f.get())) : number;
    for (int i = 0; i < n_fields && !row.problem; ++i) {
      auto text = FieldText(f.get(), i, decoder);
      if (!text) {
        row.problem =
            Rejection{"invalid_encoding", "field " + table.columns[i] + " is not valid " +
                                              table.source.encoding + " (pass --encoding)"};
      } else {
        row.values.push_back(std::move(*text));
      }
    }
    OGRGeometryH g = OGR_F_GetGeometryRef(f.get());
    if (g != nullptr && !OGR_G_IsEmpty(g) && wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPoint) {
      double x = OGR_G_GetX(g, 0), y = OGR_G_GetY(g, 0), z = 0;
      if (transform == nullptr || OCTTransform(transform.get(), 1, &x, &y, &z)) {
        row.point = std::make_pair(x, y);
      }
    }
  }
  table.source.crs = transform ? "reprojected to EPSG:4326" : "EPSG:4326";
  return table;
}

bool IsCsv(const std::string& path) {
  const std::string lower = LowerAscii(path);
  return lower.ends_with(".csv") || lower.ends_with(".txt") || lower.ends_with(".tsv");
}

StatusOr<Table> ReadTable(const std::string& path, const PlaceReadOptions& options) {
  return IsCsv(path) ? ReadCsvTable(path, options) : ReadVectorTable(path, options);
}

// Columns of one registry, in the order of its column table: the first `required` are required.
struct Schema {
  ImportKind kind;
  std::span<const std::string_view> columns;
  std::size_t required;
};

std::optional<Rejection> FirstMissing(const Schema& schema,
                                      const std::vector<std::string_view>& values) {
  for (std::size_t c = 0; c < schema.required; ++c) {
    if (values[c].empty()) {
      return Rejection{"missing_value", "column " + std::string(schema.columns[c]) + " is empty"};
    }
  }
  return std::nullopt;
}

// Remembers the first line of every id; a later line with the same id is a duplicate.
class IdTracker {
 public:
  std::optional<Rejection> See(std::string_view column, std::string_view id, std::uint64_t line) {
    auto [it, inserted] = first_line_.try_emplace(std::string(id), line);
    if (inserted) return std::nullopt;
    return Rejection{"duplicate_id", std::string(column) + " " + Shown(id) +
                                         " already appeared on line " + std::to_string(it->second)};
  }

 private:
  std::unordered_map<std::string, std::uint64_t> first_line_;
};

std::optional<Rejection> ParseCoordinate(std::string_view column, std::string_view value,
                                         double& out) {
  std::optional<double> v = ParseDouble(value);
  if (!v) {
    return Rejection{"not_a_number",
                     "column " + std::string(column) + ": " + Shown(value) + " is not a number"};
  }
  out = *v;
  return std::nullopt;
}

// A count: a whole number (12 or 12.0), not negative. An empty optional count stays 0.
std::optional<Rejection> ParseCount(std::string_view column, std::string_view value,
                                    std::int64_t& out) {
  std::string_view digits = value;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size()) {
    std::optional<double> d = ParseDouble(value);
    if (!d || *d != std::floor(*d) || std::abs(*d) > 1e15) {
      return Rejection{"not_a_number", "column " + std::string(column) + ": " + Shown(value) +
                                           " is not a whole number"};
    }
    v = static_cast<std::int64_t>(*d);
  }
  if (v < 0) {
    return Rejection{"negative_count", "column " + std::string(column) + " is " +
                                           std::string(value) + "; a count cannot be negative"};
  }
  out = v;
  return std::nullopt;
}

// Maps each schema column to a table column (or -1), from the mapping and then the accepted
// names (column_names.h); positions may come from the geometry instead of lat/lon columns.
StatusOr<ColumnMatch> ResolveColumns(const Table& table, const Schema& schema,
                                     const PlaceReadOptions& options, const std::string& path) {
  MatchOptions match_options;
  if (table.has_geometry) match_options.may_be_absent = {"lat", "lon"};
  auto match = MatchColumns(ColumnsOf(schema.kind), table.columns, options.columns, match_options);
  if (!match.ok()) return InvalidArgument(path + ": " + match.status().message());
  return match;
}

// Runs `parse` over the table's rows with values in schema order; positions are resolved first
// (columns, reprojected when needed, or the point geometry).
template <typename Parse>
Status ForEachRow(const std::string& path, const Schema& schema, const PlaceReadOptions& options,
                  std::uint64_t& rows_read, std::vector<RowIssue>& rejected, SourceInfo& info,
                  Parse parse) {
  StatusOr<Table> table = ReadTable(path, options);
  if (!table.ok()) return table.status();
  auto match = ResolveColumns(*table, schema, options, path);
  if (!match.ok()) return match.status();
  const std::vector<int>* index = &match->index;
  info = table->source;
  info.columns = match->used;
  std::size_t lat_c = 0, lon_c = 0;
  for (std::size_t c = 0; c < schema.columns.size(); ++c) {
    if (schema.columns[c] == "lat") lat_c = c;
    if (schema.columns[c] == "lon") lon_c = c;
  }
  const int lat_col = (*index)[lat_c], lon_col = (*index)[lon_c];
  const bool from_columns = lat_col >= 0 && lon_col >= 0;

  // Coordinate columns: do they look like lon/lat, or projected?
  geo::TransformPtr transform;
  if (from_columns) {
    // Projected when most coordinate pairs are far outside degree range (a stray swapped or
    // mistyped row is rejected on its own instead).
    std::size_t pairs = 0, metric = 0;
    std::string sample;
    for (const TableRow& row : table->rows) {
      if (row.problem) continue;
      auto x = ParseDouble(row.values[lon_col]), y = ParseDouble(row.values[lat_col]);
      if (!x || !y) continue;
      ++pairs;
      if (std::abs(*x) > 400 || std::abs(*y) > 400) {
        if (metric++ == 0) sample = row.values[lon_col] + ", " + row.values[lat_col];
      }
    }
    const bool projected = metric * 2 > pairs;
    auto plan = PlanColumnReprojection(path, options.source_crs, projected, sample);
    if (!plan.ok()) return plan.status();
    transform = std::move(plan.value());
    info.crs = transform ? "columns reprojected from " + options.source_crs + " to EPSG:4326"
                         : "columns in EPSG:4326";
  }

  std::vector<std::string> values(schema.columns.size());
  for (TableRow& row : table->rows) {
    ++rows_read;
    const auto reject = [&](Rejection r) {
      rejected.push_back({row.number, std::move(r.code), std::move(r.reason)});
    };
    if (row.problem) {
      reject(std::move(*row.problem));
      continue;
    }
    for (std::size_t c = 0; c < schema.columns.size(); ++c) {
      values[c] = (*index)[c] >= 0 ? row.values[(*index)[c]] : std::string();
    }
    if (!from_columns && row.point) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.9g", row.point->first);
      values[lon_c] = buf;
      std::snprintf(buf, sizeof buf, "%.9g", row.point->second);
      values[lat_c] = buf;
    } else if (transform != nullptr) {
      auto x = ParseDouble(values[lon_c]), y = ParseDouble(values[lat_c]);
      if (x && y) {
        double px = *x, py = *y, pz = 0;
        if (!OCTTransform(transform.get(), 1, &px, &py, &pz)) {
          reject({"reprojection_failed", "cannot transform " + values[lon_c] + ", " +
                                             values[lat_c] + " from " + options.source_crs});
          continue;
        }
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.9g", px);
        values[lon_c] = buf;
        std::snprintf(buf, sizeof buf, "%.9g", py);
        values[lat_c] = buf;
      }
    }
    std::vector<std::string_view> views(values.begin(), values.end());
    if (std::optional<Rejection> r = parse(row.number, views)) reject(std::move(*r));
  }
  return Status::Ok();
}

// Vietnamese and English names of levels and categories, case-folded.
std::optional<geo::SchoolLevel> ParseLevelName(std::string_view text) {
  static const std::unordered_map<std::string, geo::SchoolLevel> kNames = [] {
    std::unordered_map<std::string, geo::SchoolLevel> m;
    auto add = [&](geo::SchoolLevel l, std::initializer_list<const char*> names) {
      for (const char* n : names) m.emplace(Fold(n), l);
    };
    add(geo::SchoolLevel::kPrimary, {"primary", "tiểu học", "th", "tieu hoc", "tieu_hoc"});
    add(geo::SchoolLevel::kLowerSecondary,
        {"lower_secondary", "lower secondary", "trung học cơ sở", "thcs", "trung hoc co so"});
    add(geo::SchoolLevel::kUpperSecondary, {"upper_secondary", "upper secondary",
                                            "trung học phổ thông", "thpt", "trung hoc pho thong"});
    add(geo::SchoolLevel::kContinuingEd,
        {"continuing_ed", "continuing education", "gdtx", "gdnn-gdtx", "gdnn - gdtx",
         "giáo dục thường xuyên", "giáo dục nghề nghiệp - giáo dục thường xuyên"});
    return m;
  }();
  auto it = kNames.find(Fold(text));
  return it == kNames.end() ? std::nullopt : std::optional(it->second);
}

std::optional<geo::HouseholdCategory> ParseCategoryName(std::string_view text) {
  static const std::unordered_map<std::string, geo::HouseholdCategory> kNames = [] {
    std::unordered_map<std::string, geo::HouseholdCategory> m;
    auto add = [&](geo::HouseholdCategory c, std::initializer_list<const char*> names) {
      for (const char* n : names) m.emplace(Fold(n), c);
    };
    add(geo::HouseholdCategory::kPoor, {"poor", "hộ nghèo", "nghèo", "ho ngheo"});
    add(geo::HouseholdCategory::kNearPoor,
        {"near_poor", "near-poor", "near poor", "hộ cận nghèo", "cận nghèo", "ho can ngheo"});
    add(geo::HouseholdCategory::kCovidOrphan, {"covid_orphan", "covid orphan", "mồ côi do covid",
                                               "mồ côi do covid-19", "mo coi do covid"});
    add(geo::HouseholdCategory::kOtherDifficulty,
        {"other_difficulty", "other difficulty", "khó khăn khác", "khó khăn", "kho khan khac",
         "khác"});
    return m;
  }();
  auto it = kNames.find(Fold(text));
  return it == kNames.end() ? std::nullopt : std::optional(it->second);
}

// ---------------------------------------------------------------- schools

enum SchoolColumn {
  kSchoolId,
  kName,
  kLevel,
  kSLat,
  kSLon,
  kSNodev,
  kStudents,
  kSDistrict,
  kSCommune
};
constexpr std::array<std::string_view, 9> kSchoolColumns = {
    "school_id",      "name",     "level",    "lat",    "lon",
    "students_nodev", "students", "district", "commune"};
constexpr Schema kSchoolSchema{ImportKind::kSchools, kSchoolColumns, 6};

std::optional<Rejection> ParseSchool(const std::vector<std::string_view>& v,
                                     const geo::Region& region, std::uint64_t line, IdTracker& ids,
                                     geo::School& s) {
  if (v[kSchoolId].empty()) return FirstMissing(kSchoolSchema, v);
  if (auto r = ids.See("school_id", v[kSchoolId], line)) return r;
  if (auto r = FirstMissing(kSchoolSchema, v)) return r;
  std::optional<geo::SchoolLevel> level = ParseLevelName(v[kLevel]);
  if (!level) {
    return Rejection{"unknown_level",
                     "level " + Shown(v[kLevel]) +
                         " is not one of primary, lower_secondary, upper_secondary, continuing_ed"};
  }
  if (auto r = ParseCoordinate("lat", v[kSLat], s.lat)) return r;
  if (auto r = ParseCoordinate("lon", v[kSLon], s.lon)) return r;
  if (!v[kStudents].empty()) {
    if (auto r = ParseCount("students", v[kStudents], s.students)) return r;
  }
  if (auto r = ParseCount("students_nodev", v[kSNodev], s.students_nodev)) return r;
  if (!v[kStudents].empty() && s.students_nodev > s.students) {
    return Rejection{"nodev_exceeds_students",
                     "students_nodev " + std::to_string(s.students_nodev) +
                         " is more than students " + std::to_string(s.students)};
  }
  if (auto r = geo::CheckPosition(region, s.lat, s.lon)) return r;
  s.school_id = std::string(v[kSchoolId]);
  s.name = std::string(v[kName]);
  s.level = *level;
  s.district = std::string(v[kSDistrict]);
  s.commune = std::string(v[kSCommune]);
  return std::nullopt;
}

// ---------------------------------------------------------------- households

enum HouseholdColumn { kHouseholdId, kCategory, kHLat, kHLon, kHNodev, kHDistrict, kHCommune };
constexpr std::array<std::string_view, 7> kHouseholdColumns = {
    "household_id", "category", "lat", "lon", "students_nodev", "district", "commune"};
constexpr Schema kHouseholdSchema{ImportKind::kHouseholds, kHouseholdColumns, 5};

std::optional<Rejection> ParseHousehold(const std::vector<std::string_view>& v,
                                        const geo::Region& region, std::uint64_t line,
                                        IdTracker& ids, geo::Household& h) {
  if (v[kHouseholdId].empty()) return FirstMissing(kHouseholdSchema, v);
  if (auto r = ids.See("household_id", v[kHouseholdId], line)) return r;
  if (auto r = FirstMissing(kHouseholdSchema, v)) return r;
  std::optional<geo::HouseholdCategory> category = ParseCategoryName(v[kCategory]);
  if (!category) {
    return Rejection{"unknown_category",
                     "category " + Shown(v[kCategory]) +
                         " is not one of poor, near_poor, covid_orphan, other_difficulty"};
  }
  if (auto r = ParseCoordinate("lat", v[kHLat], h.lat)) return r;
  if (auto r = ParseCoordinate("lon", v[kHLon], h.lon)) return r;
  if (auto r = ParseCount("students_nodev", v[kHNodev], h.students_nodev)) return r;
  if (auto r = geo::CheckPosition(region, h.lat, h.lon)) return r;
  h.household_id = std::string(v[kHouseholdId]);
  h.category = *category;
  h.district = std::string(v[kHDistrict]);
  h.commune = std::string(v[kHCommune]);
  return std::nullopt;
}

// ---------------------------------------------------------------- sites

enum SiteColumn {
  kSiteId,
  kOperator,
  kTech,
  kSiteLat,
  kSiteLon,
  kHeight,
  kAzimuth,
  kBeamwidth,
  kBand,
  kEirp
};
constexpr std::array<std::string_view, 10> kSiteColumns = {
    "site_id",  "operator",    "tech",          "lat",      "lon",
    "height_m", "azimuth_deg", "beamwidth_deg", "band_mhz", "eirp_dbm"};
constexpr Schema kSiteSchema{ImportKind::kSites, kSiteColumns, 5};

// A site figure: a finite number, within [min, max]. Empty stays `out` unchanged (the default).
std::optional<Rejection> ParseFigure(std::string_view column, std::string_view value, double min,
                                     double max, const char* unit, double& out) {
  std::optional<double> v = ParseDouble(value);
  if (!v) {
    return Rejection{"not_a_number",
                     "column " + std::string(column) + ": " + Shown(value) + " is not a number"};
  }
  if (*v < min || *v > max) {
    char range[96];
    std::snprintf(range, sizeof range, " is outside %g-%g %s", min, max, unit);
    return Rejection{"out_of_range", "column " + std::string(column) + ": " + Shown(value) + range};
  }
  out = *v;
  return std::nullopt;
}

std::optional<Rejection> ParseSite(const std::vector<std::string_view>& v,
                                   const geo::Region& region, std::uint64_t line, IdTracker& ids,
                                   const OperatorMap& operators, geo::Site& s) {
  if (v[kSiteId].empty()) return FirstMissing(kSiteSchema, v);
  if (auto r = ids.See("site_id", v[kSiteId], line)) return r;
  if (auto r = FirstMissing(kSiteSchema, v)) return r;
  std::optional<geo::Technology> tech = geo::ParseTechnology(v[kTech]);
  if (!tech) {
    return Rejection{"unknown_technology", "tech " + Shown(v[kTech]) +
                                               " is not one of LTE (4G), UMTS (3G), GSM (2G), "
                                               "NR (5G)"};
  }
  if (auto r = ParseCoordinate("lat", v[kSiteLat], s.lat)) return r;
  if (auto r = ParseCoordinate("lon", v[kSiteLon], s.lon)) return r;
  s.height_m = kDefaultSiteHeightM;
  s.band_mhz = DefaultBandMhz(*tech);
  s.eirp_dbm = DefaultEirpDbm(*tech);
  if (!v[kHeight].empty()) {
    if (auto r = ParseFigure("height_m", v[kHeight], 1, 300, "m", s.height_m)) return r;
  }
  if (!v[kAzimuth].empty()) {
    double azimuth = 0;
    if (auto r = ParseFigure("azimuth_deg", v[kAzimuth], 0, 360, "degrees", azimuth)) return r;
    s.azimuth_deg = azimuth;
  }
  if (!v[kBeamwidth].empty()) {
    double beamwidth = 0;
    if (auto r = ParseFigure("beamwidth_deg", v[kBeamwidth], 1, 360, "degrees", beamwidth)) {
      return r;
    }
    s.beamwidth_deg = beamwidth;
  }
  if (!v[kBand].empty()) {
    if (auto r = ParseFigure("band_mhz", v[kBand], 100, 6000, "MHz", s.band_mhz)) return r;
  }
  if (!v[kEirp].empty()) {
    if (auto r = ParseFigure("eirp_dbm", v[kEirp], 0, 90, "dBm", s.eirp_dbm)) return r;
  }
  if (auto r = geo::CheckPosition(region, s.lat, s.lon)) return r;
  s.site_id = std::string(v[kSiteId]);
  std::optional<std::string> id = operators.Find(v[kOperator]);
  s.operator_id = id ? *id : LowerAscii(v[kOperator]);
  s.tech = *tech;
  return std::nullopt;
}

}  // namespace

double DefaultBandMhz(geo::Technology tech) {
  switch (tech) {
    case geo::Technology::kGsm:
      return 900;
    case geo::Technology::kUmts:
      return 2100;
    case geo::Technology::kLte:
      return 1800;
    case geo::Technology::kNr:
      return 3500;
  }
  return 1800;
}

double DefaultEirpDbm(geo::Technology tech) {
  switch (tech) {
    case geo::Technology::kGsm:
      return 55;
    case geo::Technology::kUmts:
      return 58;
    case geo::Technology::kLte:
      return 60;
    case geo::Technology::kNr:
      return 63;
  }
  return 60;
}

StatusOr<std::map<std::string, std::string>> ParseColumnMapping(std::string_view text,
                                                                PlaceKind kind) {
  const std::span<const std::string_view> columns =
      kind == PlaceKind::kHouseholds ? std::span<const std::string_view>(kHouseholdColumns)
      : kind == PlaceKind::kSites    ? std::span<const std::string_view>(kSiteColumns)
                                     : std::span<const std::string_view>(kSchoolColumns);
  std::map<std::string, std::string> mapping;
  int line_no = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = TrimBlanks(text.substr(start, end - start));
    start = end + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument("column mapping line " + std::to_string(line_no) +
                             ": expected 'field = Column name'");
    }
    const std::string field = LowerAscii(TrimBlanks(line.substr(0, eq)));
    const std::string column(TrimBlanks(line.substr(eq + 1)));
    bool known = false;
    std::string names;
    for (std::string_view c : columns) {
      known |= c == field;
      names += (names.empty() ? "" : ", ") + std::string(c);
    }
    if (!known) {
      return InvalidArgument("column mapping line " + std::to_string(line_no) + ": '" + field +
                             "' is not a field (fields: " + names + ")");
    }
    mapping[field] = NormalizeNfc(column);
  }
  return mapping;
}

StatusOr<SchoolImport> ReadSchools(const std::string& path, const PlaceReadOptions& options) {
  SchoolImport out;
  IdTracker ids;
  Status s = ForEachRow(path, kSchoolSchema, options, out.rows_read, out.rejected, out.source,
                        [&](std::uint64_t line, const std::vector<std::string_view>& values) {
                          geo::School school;
                          auto r = ParseSchool(values, options.region, line, ids, school);
                          if (!r) {
                            out.schools.push_back(std::move(school));
                            out.rows.push_back(line);
                          }
                          return r;
                        });
  if (!s.ok()) return s;
  return out;
}

StatusOr<HouseholdImport> ReadHouseholds(const std::string& path, const PlaceReadOptions& options) {
  HouseholdImport out;
  IdTracker ids;
  Status s = ForEachRow(path, kHouseholdSchema, options, out.rows_read, out.rejected, out.source,
                        [&](std::uint64_t line, const std::vector<std::string_view>& values) {
                          geo::Household household;
                          auto r = ParseHousehold(values, options.region, line, ids, household);
                          if (!r) {
                            out.households.push_back(std::move(household));
                            out.rows.push_back(line);
                          }
                          return r;
                        });
  if (!s.ok()) return s;
  return out;
}

StatusOr<SiteImport> ReadSites(const std::string& path, const PlaceReadOptions& options) {
  SiteImport out;
  IdTracker ids;
  const OperatorMap operators = OperatorMap::VietnamDefaults();
  Status s = ForEachRow(path, kSiteSchema, options, out.rows_read, out.rejected, out.source,
                        [&](std::uint64_t line, const std::vector<std::string_view>& values) {
                          geo::Site site;
                          auto r = ParseSite(values, options.region, line, ids, operators, site);
                          if (!r) {
                            out.sites.push_back(std::move(site));
                            out.rows.push_back(line);
                          }
                          return r;
                        });
  if (!s.ok()) return s;
  return out;
}

}  // namespace covgap::importers
