#include "importers/column_names.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <climits>
#include <set>

#include "importers/text_fields.h"

namespace covgap::importers {
namespace {

// GDAL cuts Shapefile (dBASE) field names at this many characters.
constexpr std::size_t kShapefileNameLength = 10;

// Case folded, NFD, combining marks dropped, đ -> d. A character that is not a letter or digit
// is dropped or, with `underscores`, a run of them between letters becomes one '_'.
std::string Fold(std::string_view text, bool underscores) {
  icu::UnicodeString s = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  s.foldCase();
  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(error);
  icu::UnicodeString decomposed;
  if (U_SUCCESS(error)) decomposed = nfd->normalize(s, error);
  if (U_FAILURE(error)) decomposed = s;
  icu::UnicodeString out;
  bool separator = false;
  for (int32_t i = 0; i < decomposed.length();) {
    UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    if (u_charType(c) == U_NON_SPACING_MARK) continue;
    if (c == 0x0111) c = 'd';  // đ (Đ is folded to it): not a d with a mark in Unicode
    if (!u_isalnum(c)) {
      separator = true;
      continue;
    }
    if (separator && underscores && !out.isEmpty()) out.append(static_cast<UChar32>('_'));
    separator = false;
    out.append(c);
  }
  std::string utf8;
  out.toUTF8String(utf8);
  return utf8;
}

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

FieldSpellings Field(std::string field, bool required, std::vector<std::string> spellings) {
  FieldSpellings f;
  f.field = std::move(field);
  f.required = required;
  f.spellings = std::move(spellings);
  return f;
}

// Latitude and longitude are spelled alike in every kind.
const std::vector<std::string> kLat = {"lat", "latitude", "y", "vĩ độ", "lat_wgs84"};
const std::vector<std::string> kLon = {"lon", "lng",     "long",     "longitude",
                                       "x",   "kinh độ", "lon_wgs84"};
// Students without a device (schools and households).
const std::vector<std::string> kNodev = {"students_nodev",
                                         "stud_nodev",
                                         "students_without_device",
                                         "students_without_devices",
                                         "students_without_a_device",
                                         "students_no_device",
                                         "students_nodevice",
                                         "no_device",
                                         "nodev",
                                         "without_device",
                                         "học sinh không có thiết bị",
                                         "số học sinh không có thiết bị",
                                         "hs không có thiết bị",
                                         "số hs không có thiết bị",
                                         "hs không thiết bị",
                                         "hs thiếu thiết bị",
                                         "học sinh thiếu thiết bị",
                                         "số hs thiếu thiết bị"};
const std::vector<std::string> kDistrict = {"district", "district_name", "huyện", "quận huyện",
                                            "tên huyện"};
const std::vector<std::string> kCommune = {"commune",   "commune_name", "ward",  "xã",
                                           "phường xã", "xã phường",    "tên xã"};

ColumnTable Schools() {
  return {ImportKind::kSchools,
          Ties::kAmbiguous,
          {
              Field("school_id", true,
                    {"school_id", "school_code", "school_id_govt", "mã trường", "mã số trường",
                     "mã trường học"}),
              Field("name", true, {"name", "school_name", "tên trường", "tên trường học", "tên"}),
              Field("level", true,
                    {"level", "school_level", "education_level", "cấp học", "cấp", "bậc học"}),
              Field("lat", true, kLat),
              Field("lon", true, kLon),
              Field("students_nodev", true, kNodev),
              Field("students", false,
                    {"students", "num_students", "number_of_students", "student_count",
                     "students_count", "total_students", "enrollment", "enrolment", "pupils",
                     "số học sinh", "tổng số học sinh", "sĩ số", "số hs", "tổng số hs"}),
              Field("district", false, kDistrict),
              Field("commune", false, kCommune),
          }};
}

ColumnTable Households() {
  return {ImportKind::kHouseholds,
          Ties::kAmbiguous,
          {
              Field("household_id", true,
                    {"household_id", "hh_id", "household", "household_code", "household_", "mã hộ",
                     "mã hộ gia đình", "mã hgđ"}),
              Field("category", true,
                    {"category", "household_category", "hh_category", "household_type", "type",
                     "loại hộ", "phân loại", "phân loại hộ", "diện hộ", "đối tượng"}),
              Field("lat", true, kLat),
              Field("lon", true, kLon),
              Field("students_nodev", true, kNodev),
              Field("district", false, kDistrict),
              Field("commune", false, kCommune),
          }};
}

ColumnTable Sites() {
  return {ImportKind::kSites,
          Ties::kAmbiguous,
          {
              Field("site_id", true, {"site_id", "site", "site_code", "bts_id", "mã trạm"}),
              Field("operator", true,
                    {"operator", "operator_id", "operator_name", "carrier", "mno", "nhà mạng",
                     "doanh nghiệp"}),
              Field("tech", true, {"tech", "technology", "rat", "network_type", "công nghệ"}),
              Field("lat", true, kLat),
              Field("lon", true, kLon),
              Field("height_m", false,
                    {"height_m", "height", "antenna_height", "antenna_height_m", "height_agl",
                     "độ cao", "độ cao anten", "chiều cao", "chiều cao anten"}),
              Field("azimuth_deg", false, {"azimuth_deg", "azimuth", "phương vị", "góc phương vị"}),
              Field("beamwidth_deg", false,
                    {"beamwidth_deg", "beamwidth", "beam_width", "horizontal_beamwidth",
                     "độ rộng búp sóng"}),
              Field("band_mhz", false,
                    {"band_mhz", "band", "frequency_mhz", "frequency", "freq_mhz", "băng tần",
                     "tần số"}),
              Field("eirp_dbm", false, {"eirp_dbm", "eirp", "công suất phát"}),
          }};
}

ColumnTable Measurements() {
  return {
      ImportKind::kMeasurements,
      Ties::kAmbiguous,
      {
          Field("operator", true,
                {"operator", "operator_id", "carrier", "mno", "nhà mạng", "doanh nghiệp"}),
          Field("tech", true, {"tech", "technology", "rat", "network_type", "công nghệ"}),
          Field("lat", true, kLat),
          Field("lon", true, kLon),
          Field("signal_dbm", true,
                {"signal_dbm", "signal", "signal_strength", "dbm", "cường độ tín hiệu",
                 "mức tín hiệu"}),
          Field(
              "timestamp", true,
              {"timestamp", "time", "datetime", "date_time", "time_utc", "thời gian", "thời điểm"}),
          Field("source", false, {"source", "nguồn"}),
          Field("device_id", false, {"device_id", "device", "mã thiết bị"}),
          Field("accuracy_m", false, {"accuracy_m", "accuracy", "gps_accuracy", "độ chính xác"}),
          Field("quality_db", false, {"quality_db", "quality"}),
          Field("sinr_db", false, {"sinr_db", "sinr", "snr"}),
          Field("dl_kbps", false, {"dl_kbps", "download_kbps", "dl_bitrate"}),
      }};
}

// Boundaries: the earlier spelling wins, as files often carry the name several times (English,
// Vietnamese, ASCII).
ColumnTable Areas(ImportKind kind) {
  const int n = kind == ImportKind::kProvinces ? 1 : kind == ImportKind::kDistricts ? 2 : 3;
  const std::string level = kind == ImportKind::kProvinces   ? "province"
                            : kind == ImportKind::kDistricts ? "district"
                                                             : "commune";
  std::vector<std::string> names = {"name", "ten", level + "_vn", "NAME_" + std::to_string(n)};
  std::vector<std::string> codes = {"level" + std::to_string(n) + "_id", level + "_id", "code",
                                    "ma"};
  if (kind == ImportKind::kProvinces) {
    names.insert(names.end(), {"ten_tinh", "tên tỉnh", "province_name", "province", "tỉnh"});
    codes.insert(codes.end(), {"mã tỉnh", "province_code"});
  } else if (kind == ImportKind::kDistricts) {
    names.insert(names.end(),
                 {"ten_huyen", "tên huyện", "district_name", "district", "huyện", "quận huyện"});
    codes.insert(codes.end(), {"mã huyện", "district_code"});
  } else {
    names.insert(names.end(), {"ten_xa", "tên xã", "commune_name", "commune", "xã", "phường xã",
                               "ward_name", "ward"});
    codes.insert(codes.end(), {"mã xã", "commune_code", "ward_code"});
  }
  return {kind, Ties::kEarlierSpelling, {Field("name", true, names), Field("code", false, codes)}};
}

// Drive-test logs: the columns apps write, as they write them; the first of several wins.
ColumnTable GNetTrack() {
  return {ImportKind::kGNetTrack,
          Ties::kFirstColumn,
          {
              Field("timestamp", false, {"timestamp"}),
              Field("lat", false, {"latitude"}),
              Field("lon", false, {"longitude"}),
              Field("operator_code", false, {"operator"}),
              Field("operator", false, {"operatorname"}),
              Field("tech", false, {"networktech"}),
              Field("level", false, {"level"}),
              Field("quality", false, {"qual"}),
              Field("sinr", false, {"snr"}),
              Field("dl_kbps", false, {"dl_bitrate"}),
              Field("accuracy", false, {"accuracy"}),
          }};
}

ColumnTable DriveTestCsv() {
  std::vector<std::string> lat = kLat, lon = kLon;
  lat.erase(std::find(lat.begin(), lat.end(), "y"));  // x/y in a drive-test CSV: screen figures
  lon.erase(std::find(lon.begin(), lon.end(), "x"));
  return {ImportKind::kDriveTestCsv,
          Ties::kFirstColumn,
          {
              Field("timestamp", false,
                    {"timestamp", "time", "datetime", "date_time", "thời gian", "thời điểm"}),
              Field("lat", false, lat),
              Field("lon", false, lon),
              Field("operator_code", false, {"operator_code", "mcc-mnc", "plmn"}),
              Field("operator", false,
                    {"operator", "operatorname", "carrier", "nhà mạng", "doanh nghiệp"}),
              Field("mcc", false, {"mcc"}),
              Field("mnc", false, {"mnc"}),
              Field("tech", false,
                    {"tech", "technology", "networktech", "networktype", "rat", "công nghệ"}),
              Field("level", false, {"level", "signal_dbm", "signal", "cường độ tín hiệu"}),
              Field("rsrp", false, {"rsrp", "rsrp_dbm"}),
              Field("rscp", false, {"rscp", "rscp_dbm"}),
              Field("rssi", false, {"rssi", "rxlev"}),
              Field("ss_rsrp", false, {"ss-rsrp", "nr_rsrp"}),
              Field("quality", false, {"quality_db", "qual"}),
              Field("rsrq", false, {"rsrq", "rsrq_db"}),
              Field("ecno", false, {"ecno", "ec/io"}),
              Field("sinr", false, {"sinr", "sinr_db", "snr", "rssnr"}),
              Field("dl_kbps", false, {"dl_kbps", "dl_bitrate"}),
              Field("accuracy", false, {"accuracy", "accuracy_m", "gps_accuracy"}),
              Field("device_id", false, {"device_id", "device"}),
              Field("source", false, {"source"}),
          }};
}

// Fills `accepted`: every spelling, then the 10-character cuts of the longer ASCII ones that no
// other field of the table claims (as a spelling or a cut of its own).
void Accept(ColumnTable& table) {
  std::map<std::string, std::set<std::size_t>> cut_owners;
  std::map<std::string, std::size_t> spelling_owner;
  for (std::size_t f = 0; f < table.fields.size(); ++f) {
    for (const std::string& s : table.fields[f].spellings) {
      spelling_owner.emplace(NormalizeColumnName(s), f);
      const std::string underscored = Fold(s, true);
      if (IsAscii(underscored) && underscored.size() > kShapefileNameLength) {
        cut_owners[NormalizeColumnName(underscored.substr(0, kShapefileNameLength))].insert(f);
      }
    }
  }
  for (std::size_t f = 0; f < table.fields.size(); ++f) {
    FieldSpellings& field = table.fields[f];
    std::set<std::string> seen;
    for (std::size_t r = 0; r < field.spellings.size(); ++r) {
      const std::string name = NormalizeColumnName(field.spellings[r]);
      if (seen.insert(name).second) {
        field.accepted.push_back(
            {name, table.ties == Ties::kEarlierSpelling ? static_cast<int>(r) : 0, false});
      }
    }
    for (std::size_t r = 0; r < field.spellings.size(); ++r) {
      const std::string underscored = Fold(field.spellings[r], true);
      if (!IsAscii(underscored) || underscored.size() <= kShapefileNameLength) continue;
      const std::string cut = NormalizeColumnName(underscored.substr(0, kShapefileNameLength));
      auto spelled = spelling_owner.find(cut);
      if (spelled != spelling_owner.end() && spelled->second != f) continue;
      if (cut_owners[cut].size() > 1) continue;
      if (seen.insert(cut).second) {
        field.accepted.push_back(
            {cut, table.ties == Ties::kEarlierSpelling ? static_cast<int>(r) : 0, true});
      }
    }
  }
}

std::string Quoted(const std::string& s) { return "'" + s + "'"; }

std::string JoinHeader(const std::vector<std::string>& header) {
  std::string out;
  for (const std::string& h : header) out += (out.empty() ? "" : ", ") + h;
  return out.empty() ? "(no columns)" : out;
}

// The header column named `wanted`: the same name first, else the one column whose normalised
// name is the same; -1 when there is none (or several of the latter).
int FindColumn(const std::vector<std::string>& header, std::string_view wanted) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (TrimBlanks(header[i]) == TrimBlanks(wanted)) return static_cast<int>(i);
  }
  int found = -1;
  const std::string normalised = NormalizeColumnName(wanted);
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (!normalised.empty() && NormalizeColumnName(header[i]) == normalised) {
      if (found >= 0) return -1;
      found = static_cast<int>(i);
    }
  }
  return found;
}

}  // namespace

std::string_view ToString(ImportKind kind) {
  switch (kind) {
    case ImportKind::kSchools:
      return "schools";
    case ImportKind::kHouseholds:
      return "households";
    case ImportKind::kSites:
      return "sites";
    case ImportKind::kMeasurements:
      return "measurements";
    case ImportKind::kProvinces:
      return "provinces";
    case ImportKind::kDistricts:
      return "districts";
    case ImportKind::kCommunes:
      return "communes";
    case ImportKind::kGNetTrack:
      return "gnettrack";
    case ImportKind::kDriveTestCsv:
      return "drive-test CSV";
  }
  return "?";
}

int ColumnTable::IndexOf(std::string_view field) const {
  for (std::size_t f = 0; f < fields.size(); ++f) {
    if (fields[f].field == field) return static_cast<int>(f);
  }
  return -1;
}

const ColumnTable& ColumnsOf(ImportKind kind) {
  static const std::vector<ColumnTable> kTables = [] {
    std::vector<ColumnTable> tables = {Schools(),
                                       Households(),
                                       Sites(),
                                       Measurements(),
                                       Areas(ImportKind::kProvinces),
                                       Areas(ImportKind::kDistricts),
                                       Areas(ImportKind::kCommunes),
                                       GNetTrack(),
                                       DriveTestCsv()};
    for (ColumnTable& t : tables) Accept(t);
    return tables;
  }();
  return kTables[static_cast<std::size_t>(kind)];
}

std::string NormalizeColumnName(std::string_view name) { return Fold(name, false); }

StatusOr<ColumnMatch> MatchColumns(const ColumnTable& table, const std::vector<std::string>& header,
                                   const std::map<std::string, std::string>& mapping,
                                   const MatchOptions& options) {
  ColumnMatch match;
  match.index.assign(table.fields.size(), -1);
  std::vector<int> claimed_by(header.size(), -1);  // column -> field
  for (const auto& [field, column] : mapping) {
    const int f = table.IndexOf(field);
    if (f < 0) {
      return InvalidArgument("the column mapping names '" + field + "', which is not a field of " +
                             std::string(ToString(table.kind)));
    }
    const int c = FindColumn(header, column);
    if (c < 0) {
      return InvalidArgument(
          "the column mapping names '" + column + "' for " + field +
          ", but the file has no such column; its columns are: " + JoinHeader(header));
    }
    if (claimed_by[c] >= 0) {
      return InvalidArgument("column '" + header[c] + "' would be both " +
                             table.fields[claimed_by[c]].field + " and " + field);
    }
    claimed_by[c] = f;
    match.index[f] = c;
  }
  std::vector<std::string> normalised(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) normalised[c] = NormalizeColumnName(header[c]);
  for (std::size_t f = 0; f < table.fields.size(); ++f) {
    if (match.index[f] >= 0) continue;
    const FieldSpellings& field = table.fields[f];
    int best_rank = INT_MAX;
    std::vector<std::size_t> best;
    for (std::size_t c = 0; c < header.size(); ++c) {
      if (claimed_by[c] >= 0 || normalised[c].empty()) continue;
      for (const AcceptedName& a : field.accepted) {
        if (a.name != normalised[c]) continue;
        if (a.rank < best_rank) {
          best_rank = a.rank;
          best.clear();
        }
        if (a.rank == best_rank) best.push_back(c);
        break;
      }
    }
    if (best.size() > 1 && table.ties != Ties::kFirstColumn) {
      return InvalidArgument("two columns match " + field.field + ": " + Quoted(header[best[0]]) +
                             " (column " + std::to_string(best[0] + 1) + ") and " +
                             Quoted(header[best[1]]) + " (column " + std::to_string(best[1] + 1) +
                             "); say which one is " + field.field + ". " + options.how_to_name);
    }
    if (!best.empty()) {
      match.index[f] = static_cast<int>(best[0]);
      claimed_by[best[0]] = static_cast<int>(f);
    }
  }
  std::string missing, accepted;
  for (std::size_t f = 0; f < table.fields.size(); ++f) {
    const FieldSpellings& field = table.fields[f];
    if (!field.required || match.index[f] >= 0) continue;
    if (std::find(options.may_be_absent.begin(), options.may_be_absent.end(), field.field) !=
        options.may_be_absent.end()) {
      continue;
    }
    missing += (missing.empty() ? "" : ", ") + field.field;
    accepted += (accepted.empty() ? "" : "; ") + field.field + ":";
    for (std::size_t s = 0; s < field.spellings.size(); ++s) {
      accepted += (s == 0 ? " " : ", ") + field.spellings[s];
    }
  }
  if (!missing.empty()) {
    return InvalidArgument(
        "missing required column(s): " + missing + " (the file has: " + JoinHeader(header) +
        "). Accepted names, in any case, with or without accents, spaces or underscores, or cut "
        "to 10 characters — " +
        accepted + ". " + options.how_to_name);
  }
  for (std::size_t f = 0; f < table.fields.size(); ++f) {
    if (match.index[f] < 0) continue;
    const std::string& column = header[static_cast<std::size_t>(match.index[f])];
    match.used.push_back({table.fields[f].field, column, mapping.contains(table.fields[f].field)});
  }
  return match;
}

std::string DescribeColumnUse(const std::vector<ColumnUse>& used) {
  std::string out;
  for (const ColumnUse& u : used) {
    out += (out.empty() ? "" : ", ") + u.field + " \u2190 " + u.column;
    if (u.mapped) out += " (mapping)";
  }
  return out;
}

}  // namespace covgap::importers
