#include "importers/registry_csv.h"

#include <cpl_string.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>

#include "importers/measurement_csv.h"

namespace covgap::importers {
namespace {

using geo::Rejection;

constexpr std::string_view kBlanks = " \t\r\n\v\f";

std::string_view Trim(std::string_view s) {
  const std::size_t begin = s.find_first_not_of(kBlanks);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kBlanks) - begin + 1);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A value quoted in a reason: at most 40 bytes, cut on a UTF-8 character boundary.
std::string Shown(std::string_view v) {
  constexpr std::size_t kMax = 40;
  if (v.size() <= kMax) return "'" + std::string(v) + "'";
  std::size_t n = kMax;
  while (n > 0 && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) --n;
  return "'" + std::string(v.substr(0, n)) + "...'";
}

std::string FormatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::optional<double> ParseDouble(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// ---------------------------------------------------------------- the table

// Maps header names that people use to our column names.
std::string_view Canonical(std::string_view name) {
  if (name == "latitude") return "lat";
  if (name == "longitude" || name == "lng") return "lon";
  return name;
}

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

StatusOr<std::string> ReadFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return NotFound(path + ": " + std::strerror(errno));
  std::string content;
  char buf[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) content.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Internal(path + ": read error");
  if (content.starts_with("\xEF\xBB\xBF")) content.erase(0, 3);
  return content;
}

// Columns of one registry: the first `required` are required.
struct Schema {
  std::span<const std::string_view> columns;
  std::size_t required;
};

// Reads `path` and calls parse(record line, values by column) for each non-blank data row; a
// Rejection it returns goes to `rejected`. Absent optional columns read as empty values.
template <typename Parse>
Status ForEachRow(const std::string& path, const Schema& schema, std::uint64_t& rows_read,
                  std::vector<RowIssue>& rejected, Parse parse) {
  StatusOr<std::string> content = ReadFile(path);
  if (!content.ok()) return content.status();
  RecordSplitter records(*content);
  Record record;
  while (records.Next(record) && Trim(record.text).empty()) {
  }
  if (Trim(record.text).empty()) return InvalidArgument(path + ": the file is empty: no header");

  std::vector<std::string_view> fields;
  std::string storage;
  SplitCsvLine(record.text, fields, storage);
  const std::size_t field_count = fields.size();
  std::vector<int> column_of_field(field_count, -1);
  std::vector<bool> seen(schema.columns.size(), false);
  for (std::size_t f = 0; f < field_count; ++f) {
    const std::string name = Lower(Trim(fields[f]));
    const std::string_view canonical = Canonical(name);
    for (std::size_t c = 0; c < schema.columns.size(); ++c) {
      if (canonical != schema.columns[c]) continue;
      if (seen[c]) {
        return InvalidArgument(path + ": column '" + std::string(schema.columns[c]) +
                               "' appears twice in the header");
      }
      seen[c] = true;
      column_of_field[f] = static_cast<int>(c);
    }
  }
  std::string missing;
  std::string required;
  for (std::size_t c = 0; c < schema.required; ++c) {
    required += (c == 0 ? "" : ", ") + std::string(schema.columns[c]);
    if (!seen[c]) missing += (missing.empty() ? "" : ", ") + std::string(schema.columns[c]);
  }
  if (!missing.empty()) {
    return InvalidArgument(path + ": missing required column(s): " + missing + " (required: " +
                           required + "; found: " + std::string(record.text) + ")");
  }

  std::vector<std::string_view> values(schema.columns.size());
  while (records.Next(record)) {
    if (Trim(record.text).empty()) continue;
    ++rows_read;
    const auto reject = [&](Rejection r) {
      rejected.push_back({record.line, std::move(r.code), std::move(r.reason)});
    };
    if (!CPLIsUTF8(record.text.data(), static_cast<int>(record.text.size()))) {
      reject({"invalid_encoding",
              "the line is not valid UTF-8; save the file as \"CSV UTF-8\" (Vietnamese text in "
              "TCVN3/VNI or Windows-1258 must be converted first)"});
      continue;
    }
    SplitCsvLine(record.text, fields, storage);
    if (fields.size() != field_count) {
      reject({"wrong_column_count", "row has " + std::to_string(fields.size()) +
                                        " fields, header has " + std::to_string(field_count)});
      continue;
    }
    std::fill(values.begin(), values.end(), std::string_view());
    for (std::size_t f = 0; f < field_count; ++f) {
      if (column_of_field[f] >= 0) values[column_of_field[f]] = Trim(fields[f]);
    }
    if (std::optional<Rejection> r = parse(record.line, values)) reject(std::move(*r));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- field rules

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

std::optional<Rejection> CheckRegion(const geo::Region& region, double lat, double lon) {
  if (region.Contains(lat, lon)) return std::nullopt;
  const std::string where = "lat " + FormatNumber(lat) + ", lon " + FormatNumber(lon);
  const std::string box = "lat " + FormatNumber(region.min_lat) + ".." +
                          FormatNumber(region.max_lat) + ", lon " + FormatNumber(region.min_lon) +
                          ".." + FormatNumber(region.max_lon);
  if (region.Contains(lon, lat)) {
    return Rejection{"coordinates_swapped",
                     where + " is outside the region (" + box +
                         ") but inside it with lat and lon exchanged: the lat and lon values "
                         "look swapped"};
  }
  return Rejection{"outside_region", where + " is outside the region (" + box + ")"};
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
constexpr Schema kSchoolSchema{kSchoolColumns, 6};

std::optional<Rejection> ParseSchool(const std::vector<std::string_view>& v,
                                     const geo::Region& region, std::uint64_t line, IdTracker& ids,
                                     geo::School& s) {
  if (v[kSchoolId].empty()) return FirstMissing(kSchoolSchema, v);
  if (auto r = ids.See("school_id", v[kSchoolId], line)) return r;
  if (auto r = FirstMissing(kSchoolSchema, v)) return r;
  std::optional<geo::SchoolLevel> level = geo::ParseSchoolLevel(Lower(v[kLevel]));
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
  if (auto r = CheckRegion(region, s.lat, s.lon)) return r;
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
constexpr Schema kHouseholdSchema{kHouseholdColumns, 5};

std::optional<Rejection> ParseHousehold(const std::vector<std::string_view>& v,
                                        const geo::Region& region, std::uint64_t line,
                                        IdTracker& ids, geo::Household& h) {
  if (v[kHouseholdId].empty()) return FirstMissing(kHouseholdSchema, v);
  if (auto r = ids.See("household_id", v[kHouseholdId], line)) return r;
  if (auto r = FirstMissing(kHouseholdSchema, v)) return r;
  std::optional<geo::HouseholdCategory> category = geo::ParseHouseholdCategory(Lower(v[kCategory]));
  if (!category) {
    return Rejection{"unknown_category",
                     "category " + Shown(v[kCategory]) +
                         " is not one of poor, near_poor, covid_orphan, other_difficulty"};
  }
  if (auto r = ParseCoordinate("lat", v[kHLat], h.lat)) return r;
  if (auto r = ParseCoordinate("lon", v[kHLon], h.lon)) return r;
  if (auto r = ParseCount("students_nodev", v[kHNodev], h.students_nodev)) return r;
  if (auto r = CheckRegion(region, h.lat, h.lon)) return r;
  h.household_id = std::string(v[kHouseholdId]);
  h.category = *category;
  h.district = std::string(v[kHDistrict]);
  h.commune = std::string(v[kHCommune]);
  return std::nullopt;
}

}  // namespace

StatusOr<SchoolImport> ReadSchoolsCsv(const std::string& path, const geo::Region& region) {
  SchoolImport out;
  IdTracker ids;
  Status s = ForEachRow(path, kSchoolSchema, out.rows_read, out.rejected,
                        [&](std::uint64_t line, const std::vector<std::string_view>& values) {
                          geo::School school;
                          auto r = ParseSchool(values, region, line, ids, school);
                          if (!r) out.schools.push_back(std::move(school));
                          return r;
                        });
  if (!s.ok()) return s;
  return out;
}

StatusOr<HouseholdImport> ReadHouseholdsCsv(const std::string& path, const geo::Region& region) {
  HouseholdImport out;
  IdTracker ids;
  Status s = ForEachRow(path, kHouseholdSchema, out.rows_read, out.rejected,
                        [&](std::uint64_t line, const std::vector<std::string_view>& values) {
                          geo::Household household;
                          auto r = ParseHousehold(values, region, line, ids, household);
                          if (!r) out.households.push_back(std::move(household));
                          return r;
                        });
  if (!s.ok()) return s;
  return out;
}

}  // namespace covgap::importers
