#include "importers/drive_test_log.h"

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "geo/base/time_format.h"
#include "importers/line_source.h"
#include "importers/text_fields.h"

namespace covgap::importers {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

// ASCII letters lower-cased; everything but letters and digits dropped (bytes of UTF-8 sequences
// are kept, so Vietnamese names still compare). "DL_bitrate" -> "dlbitrate", "Ec/No" -> "ecno".
std::string Squash(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || IsDigit(c) || u >= 0x80) {
      out.push_back(c);
    } else if (u >= 'A' && u <= 'Z') {
      out.push_back(LowerAscii(c));
    }
  }
  return out;
}

std::string Shorten(std::string_view s, std::size_t n = 40) {
  return s.size() <= n ? std::string(s) : std::string(s.substr(0, n)) + "…";
}

StatusOr<std::string> ReadFirstLine(const std::string& path) {
  LineSource source;
  if (Status s = source.Open(path); !s.ok()) return s;
  std::string_view line;
  if (!source.Next(line)) {
    if (!source.status().ok())
      return Status(source.status().code(), path + ": " + source.status().message());
    return InvalidArgument(path + ": the file is empty: no header line");
  }
  return std::string(line);
}

std::string_view StripBom(std::string_view line) {
  if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Splits a line at `delimiter`: RFC 4180 quoting for commas and semicolons; tab-separated logs are
// not quoted, so a tab line is split as it is.
void SplitFields(std::string_view line, char delimiter, std::vector<std::string_view>& fields,
                 std::string& storage) {
  if (delimiter != '\t') {
    SplitCsvLine(line, fields, storage, delimiter);
    return;
  }
  fields.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t at = line.find('\t', start);
    if (at == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return;
    }
    fields.push_back(line.substr(start, at - start));
    start = at + 1;
  }
}

// The delimiter a header line uses most outside quotes: tab, semicolon or comma (ties in that
// order; comma when there is none).
char SniffDelimiter(std::string_view header) {
  std::size_t tabs = 0, semicolons = 0, commas = 0;
  bool quoted = false;
  for (char c : header) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    tabs += c == '\t';
    semicolons += c == ';';
    commas += c == ',';
  }
  if (tabs > 0 && tabs >= semicolons && tabs >= commas) return '\t';
  if (semicolons > 0 && semicolons >= commas) return ';';
  return ',';
}

// Columns a drive-test log can have, by meaning.
enum Column {
  kTime,
  kLat,
  kLon,
  kOperatorCode,  // MCC+MNC
  kOperatorName,  // a name (or a code: the map knows both)
  kMcc,
  kMnc,
  kTech,
  kLevel,  // dBm of whatever the technology measures
  kRsrp,
  kRscp,
  kRssi,
  kSsRsrp,
  kQuality,  // RSRQ or Ec/No by technology
  kRsrq,
  kEcNo,
  kSinr,
  kDlKbps,
  kAccuracy,
  kDeviceId,
  kSource,
  kColumnCount
};

// The field of each Column in the drive-test tables of column_names.h (Column order).
constexpr std::array<std::string_view, kColumnCount> kColumnFields = {
    "timestamp", "lat",   "lon",  "operator_code", "operator", "mcc",       "mnc",
    "tech",      "level", "rsrp", "rscp",          "rssi",     "ss_rsrp",   "quality",
    "rsrq",      "ecno",  "sinr", "dl_kbps",       "accuracy", "device_id", "source"};

// Empty, or a placeholder some tools write for "no value".
bool IsBlank(std::string_view v) {
  return v.empty() || v == "-" || v == "--" || EqualsIgnoreCase(v, "n/a") ||
         EqualsIgnoreCase(v, "na") || EqualsIgnoreCase(v, "null") || EqualsIgnoreCase(v, "nan");
}

enum class Figure { kAbsent, kValue, kBad };

// A number of a drive-test log. Blank values and Android's "unavailable" (Integer.MAX_VALUE, and
// its negative) are absent. In a file not separated by commas, one decimal comma is accepted.
Figure ReadFigure(std::string_view v, char delimiter, double& out) {
  if (IsBlank(v)) return Figure::kAbsent;
  if (!v.empty() && v.front() == '+') v.remove_prefix(1);
  std::string decimal;
  if (delimiter != ',' && v.find('.') == std::string_view::npos) {
    const std::size_t comma = v.find(',');
    if (comma != std::string_view::npos && v.find(',', comma + 1) == std::string_view::npos) {
      decimal.assign(v);
      decimal[comma] = '.';
      v = decimal;
    }
  }
  double value = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
  if (ec != std::errc() || ptr != v.data() + v.size() || v.empty() || !std::isfinite(value)) {
    return Figure::kBad;
  }
  if (value == 2147483647.0 || value == -2147483648.0) return Figure::kAbsent;
  out = value;
  return Figure::kValue;
}

geo::Rejection Reject(std::string code, std::string reason) {
  return geo::Rejection{std::move(code), std::move(reason)};
}

// Reads G-NetTrack logs and generic drive-test CSVs.
class DriveTestLogReader final : public MeasurementReader {
 public:
  DriveTestLogReader(MeasurementFormat format, const OperatorMap& operators,
                     const DriveTestOptions& options)
      : format_(format), operators_(operators), options_(options) {}

  Status Open(const std::string& path) {
    if (Status s = source_.Open(path); !s.ok()) return s;
    if (Status s = ReadHeader(); !s.ok()) return Status(s.code(), path + ": " + s.message());
    return Status::Ok();
  }

  bool Next(CsvMeasurementChunk& chunk, std::size_t max_rows) override {
    chunk.Clear();
    std::string_view line;
    while (chunk.rows.size() < max_rows && source_.Next(line)) {
      if (TrimBlanks(line).empty()) continue;
      if (line == header_) continue;  // a header repeated where logs were concatenated
      CsvMeasurementRow& row = chunk.rows.emplace_back();
      row.line = source_.line_no();
      row.offset = static_cast<std::uint32_t>(chunk.text.size());
      row.length = static_cast<std::uint32_t>(line.size());
      chunk.text.append(line);
      chunk.text.push_back('\n');
      ParseRow(line, row);
    }
    return !chunk.rows.empty();
  }

  const std::string& header() const override { return header_; }
  const std::vector<ColumnUse>& columns() const override { return columns_; }
  std::uint64_t bytes_consumed() const override { return source_.consumed(); }
  std::uint64_t total_bytes() const override { return source_.total_bytes(); }
  const Status& status() const override { return source_.status(); }
  char delimiter() const override { return delimiter_; }
  MeasurementFormat format() const override { return format_; }

 private:
  bool gnettrack() const { return format_ == MeasurementFormat::kGNetTrack; }
  bool Has(Column c) const { return index_[c] >= 0; }
  std::string_view Field(Column c) const {
    return Has(c) ? TrimBlanks(fields_[static_cast<std::size_t>(index_[c])]) : std::string_view();
  }
  const std::string& Name(Column c) const { return names_[c]; }

  Status ReadHeader();
  void ParseRow(std::string_view line, CsvMeasurementRow& row);
  std::optional<geo::Rejection> ReadOperator(geo::Measurement& m);
  std::optional<geo::Rejection> ReadTechnologyAndSignal(geo::Measurement& m);
  std::optional<geo::Rejection> ReadPositionAndTime(geo::Measurement& m);
  std::optional<geo::Rejection> ReadOptional(geo::Measurement& m);
  std::optional<geo::Rejection> ReadFloat(Column c, float& out);

  MeasurementFormat format_;
  OperatorMap operators_;
  DriveTestOptions options_;
  LineSource source_;
  std::string header_;
  char delimiter_ = ',';
  std::size_t field_count_ = 0;
  std::array<int, kColumnCount> index_{};
  std::array<std::string, kColumnCount> names_;
  std::vector<ColumnUse> columns_;
  std::vector<std::string_view> fields_;
  std::string unquoted_;
};

Status DriveTestLogReader::ReadHeader() {
  std::string_view line;
  if (!source_.Next(line)) {
    if (!source_.status().ok()) return source_.status();
    return InvalidArgument("the file is empty: no header line");
  }
  header_ = std::string(StripBom(line));
  delimiter_ = gnettrack() ? '\t' : SniffDelimiter(header_);
  std::string storage;
  SplitFields(header_, delimiter_, fields_, storage);
  field_count_ = fields_.size();
  index_.fill(-1);
  std::string found;
  std::vector<std::string> names;
  for (std::size_t f = 0; f < field_count_; ++f) {
    names.emplace_back(TrimBlanks(fields_[f]));
    found += (found.empty() ? "" : ", ") + names.back();
  }
  // Every field is optional there and the first of several columns wins: no error to expect.
  const ColumnTable& table =
      ColumnsOf(gnettrack() ? ImportKind::kGNetTrack : ImportKind::kDriveTestCsv);
  auto match = MatchColumns(table, names);
  if (!match.ok()) return match.status();
  for (std::size_t f = 0; f < table.fields.size(); ++f) {
    const int column = match->index[f];
    if (column < 0) continue;
    for (int c = 0; c < kColumnCount; ++c) {
      if (kColumnFields[c] != table.fields[f].field) continue;
      index_[c] = column;
      names_[c] = names[static_cast<std::size_t>(column)];
    }
  }
  columns_ = match->used;
  std::string missing;
  auto need = [&](bool ok, const char* what) {
    if (!ok) missing += (missing.empty() ? "" : "; ") + std::string(what);
  };
  if (gnettrack()) {
    need(Has(kTime), "Timestamp");
    need(Has(kLat), "Latitude");
    need(Has(kLon), "Longitude");
    need(Has(kOperatorCode) || Has(kOperatorName), "Operator or Operatorname");
    need(Has(kTech), "NetworkTech");
    need(Has(kLevel), "Level");
  } else {
    need(Has(kTime), "Time, Timestamp or DateTime");
    need(Has(kLat), "Latitude or lat");
    need(Has(kLon), "Longitude, lon or lng");
    need(Has(kOperatorCode) || Has(kOperatorName) || (Has(kMcc) && Has(kMnc)),
         "Operator, MCC-MNC, PLMN or MCC and MNC");
    need(Has(kRsrp) || Has(kRscp) || Has(kRssi) || Has(kSsRsrp) || (Has(kLevel) && Has(kTech)),
         "RSRP or RSCP (or a tech column with a signal_dbm/Level column)");
  }
  if (!missing.empty()) {
    return InvalidArgument(std::string("missing required column(s) of a ") +
                           (gnettrack() ? "G-NetTrack log" : "drive-test CSV") + ": " + missing +
                           " (found: " + Shorten(found, 300) + ")");
  }
  return Status::Ok();
}

void DriveTestLogReader::ParseRow(std::string_view line, CsvMeasurementRow& row) {
  SplitFields(line, delimiter_, fields_, unquoted_);
  geo::Measurement& m = row.measurement;
  m = geo::Measurement{};
  if (fields_.size() != field_count_) {
    row.rejection =
        Reject("wrong_column_count", "row has " + std::to_string(fields_.size()) +
                                         " fields, header has " + std::to_string(field_count_));
    return;
  }
  for (auto step : {&DriveTestLogReader::ReadOperator, &DriveTestLogReader::ReadTechnologyAndSignal,
                    &DriveTestLogReader::ReadPositionAndTime, &DriveTestLogReader::ReadOptional}) {
    if (auto rejection = (this->*step)(m)) {
      row.rejection = std::move(rejection);
      return;
    }
  }
}

std::optional<geo::Rejection> DriveTestLogReader::ReadOperator(geo::Measurement& m) {
  std::string code;
  std::string code_column;
  if (Has(kOperatorCode)) {
    code = std::string(Field(kOperatorCode));
    code_column = Name(kOperatorCode);
  } else if (Has(kMcc) && Has(kMnc) && !IsBlank(Field(kMcc)) && !IsBlank(Field(kMnc))) {
    code = std::string(Field(kMcc)) + "-" + std::string(Field(kMnc));
    code_column = Name(kMcc) + "+" + Name(kMnc);
  }
  const std::string_view name = Field(kOperatorName);
  const bool has_code = !IsBlank(code);
  const bool has_name = !IsBlank(name);
  if (has_code) {
    if (auto id = operators_.Find(code)) {
      m.operator_id = std::move(*id);
      return std::nullopt;
    }
  }
  if (has_name) {
    if (auto id = operators_.Find(name)) {
      m.operator_id = std::move(*id);
      return std::nullopt;
    }
  }
  if (!has_code && !has_name) {
    std::string columns = code_column.empty() ? Name(kOperatorName) : code_column;
    if (!code_column.empty() && Has(kOperatorName)) columns += " and " + Name(kOperatorName);
    if (columns.empty()) columns = Name(kMcc) + "/" + Name(kMnc);
    return Reject("missing_value", "no operator: " + columns + " empty");
  }
  std::string what;
  if (has_code) what = "'" + Shorten(code) + "' (" + code_column + ")";
  if (has_name) {
    what += (what.empty() ? "'" : " / '") + Shorten(name) + "' (" + Name(kOperatorName) + ")";
  }
  return Reject("unknown_operator",
                "operator " + what +
                    " is not in the operator map; map it with --operator-map FILE (lines "
                    "'name_or_code = operator_id') and ingest the rejected rows (--rejects) again");
}

std::optional<geo::Rejection> DriveTestLogReader::ReadTechnologyAndSignal(geo::Measurement& m) {
  std::optional<geo::Technology> tech;
  const std::string_view tech_text = Field(kTech);
  if (!IsBlank(tech_text)) {
    tech = NormalizeTechnology(tech_text);
    if (!tech) {
      return Reject("unknown_technology", "technology '" + Shorten(tech_text) + "' (" +
                                              Name(kTech) + ") is not GSM, UMTS, LTE or NR");
    }
  } else if (gnettrack()) {
    return Reject("missing_value", "column " + Name(kTech) + " is empty (no service?)");
  }

  Column signal = kColumnCount;
  std::string tried;
  auto consider = [&](Column c) {
    if (signal != kColumnCount || !Has(c)) return;
    tried += (tried.empty() ? "" : ", ") + Name(c);
    if (!IsBlank(Field(c))) signal = c;
  };
  if (tech) {
    switch (*tech) {
      case geo::Technology::kLte:
        consider(kRsrp);
        break;
      case geo::Technology::kUmts:
        consider(kRscp);
        break;
      case geo::Technology::kGsm:
        consider(kRssi);
        break;
      case geo::Technology::kNr:
        consider(kSsRsrp);
        break;
    }
    consider(kLevel);
    if (*tech == geo::Technology::kNr) consider(kRsrp);
    if (signal == kColumnCount) {
      if (tried.empty()) {
        return Reject("missing_value", "no " + std::string(geo::ToString(*tech)) +
                                           " signal column (RSRP, RSCP, RSSI, SS-RSRP or Level)");
      }
      return Reject("missing_value", "no signal value: " + tried + " empty");
    }
  } else {
    // No technology column (or an empty one): the signal column says which it is.
    constexpr std::pair<Column, geo::Technology> kByColumn[] = {{kRsrp, geo::Technology::kLte},
                                                                {kRscp, geo::Technology::kUmts},
                                                                {kRssi, geo::Technology::kGsm},
                                                                {kSsRsrp, geo::Technology::kNr}};
    for (const auto& [column, t] : kByColumn) {
      consider(column);
      if (signal == column) {
        tech = t;
        break;
      }
    }
    if (!tech) {
      std::string reason =
          "no signal value: " + (tried.empty() ? "no RSRP or RSCP" : tried) + " empty";
      if (Has(kLevel)) reason += "; " + Name(kLevel) + " needs a technology to say what it is";
      return Reject("missing_value", reason);
    }
  }
  m.tech = *tech;
  double v = 0;
  switch (ReadFigure(Field(signal), delimiter_, v)) {
    case Figure::kAbsent:
      return Reject("missing_value", "column " + Name(signal) + " is empty");
    case Figure::kBad:
      return Reject("not_a_number", "column " + Name(signal) + ": '" + Shorten(Field(signal)) +
                                        "' is not a number");
    case Figure::kValue:
      break;
  }
  if (std::abs(v) > 1000) {
    return Reject("signal_out_of_range",
                  "signal " + std::string(Field(signal)) + " dBm is not plausible");
  }
  m.signal_dbm = static_cast<int>(std::lround(v));
  return std::nullopt;
}

std::optional<geo::Rejection> DriveTestLogReader::ReadPositionAndTime(geo::Measurement& m) {
  double lat = 0, lon = 0;
  const Figure flat = ReadFigure(Field(kLat), delimiter_, lat);
  const Figure flon = ReadFigure(Field(kLon), delimiter_, lon);
  for (const auto& [figure, column] : {std::pair{flat, kLat}, std::pair{flon, kLon}}) {
    if (figure == Figure::kBad) {
      return Reject("not_a_number", "column " + Name(column) + ": '" + Shorten(Field(column)) +
                                        "' is not a number");
    }
  }
  if (flat == Figure::kAbsent || flon == Figure::kAbsent || lat == 0 || lon == 0) {
    return Reject("missing_value",
                  "no GPS fix: " + Name(kLat) + "/" + Name(kLon) + " " +
                      (flat == Figure::kAbsent || flon == Figure::kAbsent ? "empty" : "0"));
  }
  m.lat = lat;
  m.lon = lon;

  const std::string_view time = Field(kTime);
  if (IsBlank(time)) return Reject("missing_value", "column " + Name(kTime) + " is empty");
  auto t = ParseDriveTestTimestamp(time, options_.utc_offset_minutes);
  if (!t) {
    return Reject("bad_timestamp",
                  "timestamp '" + Shorten(time) + "' is not " +
                      (gnettrack() ? "YYYY.MM.DD_HH.MM.SS (e.g. 2021.11.30_08.15.00)"
                                   : "ISO 8601 or YYYY-MM-DD HH:MM:SS (e.g. 2021-11-30 08:15:00)"));
  }
  m.time_ms = *t;
  return std::nullopt;
}

std::optional<geo::Rejection> DriveTestLogReader::ReadFloat(Column c, float& out) {
  double v = 0;
  switch (ReadFigure(Field(c), delimiter_, v)) {
    case Figure::kAbsent:
      return std::nullopt;
    case Figure::kBad:
      return Reject("not_a_number",
                    "column " + Name(c) + ": '" + Shorten(Field(c)) + "' is not a number");
    case Figure::kValue:
      out = static_cast<float>(v);
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<geo::Rejection> DriveTestLogReader::ReadOptional(geo::Measurement& m) {
  // Quality: RSRQ (LTE, NR) or Ec/No (UMTS). GSM's quality is RxQual 0..7, not a dB figure.
  if (m.tech != geo::Technology::kGsm) {
    const Column specific = m.tech == geo::Technology::kUmts ? kEcNo : kRsrq;
    const Column quality = Has(specific) && !IsBlank(Field(specific)) ? specific : kQuality;
    if (Has(quality)) {
      if (auto r = ReadFloat(quality, m.quality_db)) return r;
    }
  }
  for (const auto& [column, target] : {std::pair{kSinr, &m.sinr_db}, std::pair{kDlKbps, &m.dl_kbps},
                                       std::pair{kAccuracy, &m.accuracy_m}}) {
    if (!Has(column)) continue;
    if (auto r = ReadFloat(column, *target)) return r;
  }
  m.source = options_.source;
  if (Has(kSource) && !IsBlank(Field(kSource))) {
    auto source = geo::ParseSource(Field(kSource));
    if (!source) {
      return Reject("unknown_source",
                    "source '" + Shorten(Field(kSource)) + "' is not drive, crowd or mdt");
    }
    m.source = *source;
  }
  m.device_id = Has(kDeviceId) && !IsBlank(Field(kDeviceId)) ? std::string(Field(kDeviceId))
                                                             : options_.device_id;
  return std::nullopt;
}

// The native CSV reader behind the common interface.
class NativeMeasurementReader final : public MeasurementReader {
 public:
  explicit NativeMeasurementReader(std::unique_ptr<MeasurementCsvReader> reader)
      : reader_(std::move(reader)) {}
  bool Next(CsvMeasurementChunk& chunk, std::size_t max_rows) override {
    return reader_->Next(chunk, max_rows);
  }
  const std::string& header() const override { return reader_->header(); }
  const std::vector<ColumnUse>& columns() const override { return reader_->columns(); }
  std::uint64_t bytes_consumed() const override { return reader_->bytes_consumed(); }
  std::uint64_t total_bytes() const override { return reader_->total_bytes(); }
  const Status& status() const override { return reader_->status(); }
  char delimiter() const override { return ','; }
  MeasurementFormat format() const override { return MeasurementFormat::kNative; }

 private:
  std::unique_ptr<MeasurementCsvReader> reader_;
};

}  // namespace

std::optional<MeasurementFormat> ParseMeasurementFormat(std::string_view text) {
  text = TrimBlanks(text);
  if (EqualsIgnoreCase(text, "auto")) return MeasurementFormat::kAuto;
  if (EqualsIgnoreCase(text, "native") || EqualsIgnoreCase(text, "csv")) {
    return MeasurementFormat::kNative;
  }
  if (EqualsIgnoreCase(text, "gnettrack") || EqualsIgnoreCase(text, "g-nettrack")) {
    return MeasurementFormat::kGNetTrack;
  }
  if (EqualsIgnoreCase(text, "generic")) return MeasurementFormat::kGenericCsv;
  return std::nullopt;
}

std::string_view ToString(MeasurementFormat format) {
  switch (format) {
    case MeasurementFormat::kAuto:
      return "auto";
    case MeasurementFormat::kNative:
      return "native";
    case MeasurementFormat::kGNetTrack:
      return "gnettrack";
    case MeasurementFormat::kGenericCsv:
      return "generic";
  }
  return "auto";
}

// ---- OperatorMap ----

std::string OperatorMap::NormalizeKey(std::string_view text) {
  text = TrimBlanks(text);
  // MCC, a separator, MNC: "452 04", "452-04", "452/4" -> "45204".
  std::size_t i = 0;
  while (i < text.size() && IsDigit(text[i])) ++i;
  if (i == 3) {
    std::size_t j = i;
    while (j < text.size() && (text[j] == ' ' || text[j] == '-' || text[j] == '_' ||
                               text[j] == '/' || text[j] == ':' || text[j] == '.')) {
      ++j;
    }
    std::size_t k = j;
    while (k < text.size() && IsDigit(text[k])) ++k;
    if (j > i && k == text.size() && k - j >= 1 && k - j <= 3) {
      std::string key(text.substr(0, 3));
      if (k - j == 1) key.push_back('0');
      key.append(text.substr(j));
      return key;
    }
  }
  return Squash(text);
}

OperatorMap OperatorMap::VietnamDefaults() {
  struct Entry {
    std::string_view key;
    std::string_view id;
  };
  // MCC 452 (Viet Nam), ITU-T E.212 assignments: see docs/ingestion.md "Drive-test logs" for the
  // sources and why 03, 06 and 08 are not mapped.
  static constexpr Entry kEntries[] = {
      {"45201", "mobifone"},
      {"45202", "vnpt"},
      {"45204", "viettel"},
      {"45205", "vietnamobile"},
      {"45207", "gmobile"},
      {"viettel", "viettel"},
      {"viettel mobile", "viettel"},
      {"viettel telecom", "viettel"},
      {"vn viettel", "viettel"},
      {"vnpt", "vnpt"},
      {"vinaphone", "vnpt"},
      {"vina", "vnpt"},
      {"vn vinaphone", "vnpt"},
      {"vnpt vinaphone", "vnpt"},
      {"mobifone", "mobifone"},
      {"vn mobifone", "mobifone"},
      {"vms", "mobifone"},
      {"vietnamobile", "vietnamobile"},
      {"vietnam mobile", "vietnamobile"},
      {"vn mobile", "vietnamobile"},
      {"ht mobile", "vietnamobile"},
      {"gmobile", "gmobile"},
      {"gtel", "gmobile"},
      {"gtel mobile", "gmobile"},
      {"beeline", "gmobile"},
      {"beeline vn", "gmobile"},
      {"itel", "itel"},
      {"itelecom", "itel"},
      {"indochina telecom", "itel"},
  };
  OperatorMap map;
  for (const Entry& e : kEntries) map.Set(e.key, e.id);
  return map;
}

void OperatorMap::Set(std::string_view name_or_code, std::string_view operator_id) {
  std::string key = NormalizeKey(name_or_code);
  if (key.empty()) return;
  ids_[std::move(key)] = LowerAscii(TrimBlanks(operator_id));
}

Status OperatorMap::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": " + std::strerror(errno));
  std::string text;
  std::size_t line_no = 0;
  while (std::getline(in, text)) {
    ++line_no;
    std::string_view line = text;
    if (line_no == 1) line = StripBom(line);
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    line = TrimBlanks(line);
    if (line.empty()) continue;
    const std::size_t eq = line.find('=');
    const std::string where = path + ":" + std::to_string(line_no) + ": ";
    if (eq == std::string_view::npos) {
      return InvalidArgument(where + "expected 'name_or_code = operator_id', got '" +
                             Shorten(line) + "'");
    }
    const std::string_view key = TrimBlanks(line.substr(0, eq));
    const std::string_view id = TrimBlanks(line.substr(eq + 1));
    if (NormalizeKey(key).empty()) {
      return InvalidArgument(where + "no operator name or MCC-MNC code before '='");
    }
    if (id.empty()) return InvalidArgument(where + "no operator id after '='");
    for (char c : id) {
      if (!(IsDigit(c) || (LowerAscii(c) >= 'a' && LowerAscii(c) <= 'z') || c == '_' || c == '-' ||
            c == '.')) {
        return InvalidArgument(where + "operator id '" + Shorten(id) +
                               "' may only have letters, digits, '_', '-' and '.'");
      }
    }
    Set(key, id);
  }
  if (in.bad()) return Internal(path + ": read error");
  return Status::Ok();
}

std::optional<std::string> OperatorMap::Find(std::string_view name_or_code) const {
  const std::string key = NormalizeKey(name_or_code);
  if (key.empty()) return std::nullopt;
  auto it = ids_.find(key);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

// ---- Parsing helpers ----

std::optional<int> ParseUtcOffset(std::string_view text) {
  text = TrimBlanks(text);
  if (text.size() >= 3 &&
      (EqualsIgnoreCase(text.substr(0, 3), "utc") || EqualsIgnoreCase(text.substr(0, 3), "gmt"))) {
    text.remove_prefix(3);
    if (text.empty()) return 0;
  }
  if (text == "Z" || text == "z") return 0;
  int sign = 1;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    sign = text.front() == '-' ? -1 : 1;
    text.remove_prefix(1);
  }
  auto number = [](std::string_view digits, int& out) {
    if (digits.empty() || digits.size() > 2) return false;
    out = 0;
    for (char c : digits) {
      if (!IsDigit(c)) return false;
      out = out * 10 + (c - '0');
    }
    return true;
  };
  int hours = 0, minutes = 0;
  if (const std::size_t colon = text.find(':'); colon != std::string_view::npos) {
    if (!number(text.substr(0, colon), hours) || text.size() - colon - 1 != 2 ||
        !number(text.substr(colon + 1), minutes)) {
      return std::nullopt;
    }
  } else if (text.size() == 4) {
    if (!number(text.substr(0, 2), hours) || !number(text.substr(2), minutes)) return std::nullopt;
  } else if (!number(text, hours)) {
    return std::nullopt;
  }
  if (minutes > 59 || hours * 60 + minutes > 14 * 60) return std::nullopt;
  return sign * (hours * 60 + minutes);
}

std::optional<geo::Technology> NormalizeTechnology(std::string_view text) {
  struct Name {
    std::string_view key;  // Squash()ed
    geo::Technology tech;
  };
  static constexpr Name kNames[] = {
      {"lte", geo::Technology::kLte},    {"ltea", geo::Technology::kLte},
      {"lteca", geo::Technology::kLte},  {"lteadvanced", geo::Technology::kLte},
      {"4g", geo::Technology::kLte},     {"4glte", geo::Technology::kLte},
      {"eutran", geo::Technology::kLte}, {"umts", geo::Technology::kUmts},
      {"wcdma", geo::Technology::kUmts}, {"hspa", geo::Technology::kUmts},
      {"hspap", geo::Technology::kUmts}, {"hsdpa", geo::Technology::kUmts},
      {"hsupa", geo::Technology::kUmts}, {"dchspa", geo::Technology::kUmts},
      {"3g", geo::Technology::kUmts},    {"utran", geo::Technology::kUmts},
      {"gsm", geo::Technology::kGsm},    {"gprs", geo::Technology::kGsm},
      {"edge", geo::Technology::kGsm},   {"egprs", geo::Technology::kGsm},
      {"2g", geo::Technology::kGsm},     {"nr", geo::Technology::kNr},
      {"5g", geo::Technology::kNr},      {"nrnsa", geo::Technology::kNr},
      {"nrsa", geo::Technology::kNr},    {"5gnsa", geo::Technology::kNr},
      {"5gsa", geo::Technology::kNr},    {"5gnr", geo::Technology::kNr},
  };
  const std::string key = Squash(text);  // "LTE+" -> "lte", "HSPA+" -> "hspa", "NR-NSA" -> "nrnsa"
  for (const Name& name : kNames) {
    if (key == name.key) return name.tech;
  }
  return std::nullopt;
}

std::optional<std::int64_t> ParseDriveTestTimestamp(std::string_view text, int utc_offset_minutes) {
  text = TrimBlanks(text);
  if (text.size() < 10) return std::nullopt;
  std::string s(text);
  if (s.size() >= 19 && s[4] == '.' && s[7] == '.' && s[10] == '_' && s[13] == '.' &&
      s[16] == '.') {
    // G-NetTrack: 2021.11.30_08.15.00
    s[4] = s[7] = '-';
    s[10] = 'T';
    s[13] = s[16] = ':';
  } else if (s[4] == '/' && s[7] == '/') {
    s[4] = s[7] = '-';
  }
  const bool zoned = s.size() > 10 && s.find_first_of("Z+-", 10) != std::string::npos;
  auto t = geo::ParseIso8601(s);
  if (!t) return std::nullopt;
  return zoned ? *t : *t - std::int64_t{utc_offset_minutes} * 60'000;
}

std::optional<MeasurementFormat> DetectMeasurementFormat(std::string_view header_line) {
  const std::string_view header = StripBom(header_line);
  std::vector<std::string_view> fields;
  std::string storage;

  SplitCsvLine(header, fields, storage);
  int native = 0;
  for (std::string_view required : {"operator", "tech", "lat", "lon", "signal_dbm", "timestamp"}) {
    for (std::string_view f : fields) {
      if (EqualsIgnoreCase(TrimBlanks(f), required)) {
        ++native;
        break;
      }
    }
  }
  if (native == 6) return MeasurementFormat::kNative;

  auto has = [&](std::initializer_list<std::string_view> keys) {
    for (std::string_view f : fields) {
      const std::string key = Squash(f);
      for (std::string_view k : keys) {
        if (key == k) return true;
      }
    }
    return false;
  };
  if (header.find('\t') != std::string_view::npos) {
    SplitFields(header, '\t', fields, storage);
    if (has({"networktech"}) && has({"level"})) return MeasurementFormat::kGNetTrack;
  }
  SplitFields(header, SniffDelimiter(header), fields, storage);
  if (has({"rsrp", "rsrpdbm", "rscp", "rscpdbm"})) return MeasurementFormat::kGenericCsv;
  // covgap's own columns under other accepted names (latitude, Vĩ độ, signal, Thời gian, …).
  SplitCsvLine(header, fields, storage);
  std::vector<std::string> names;
  for (std::string_view f : fields) names.emplace_back(TrimBlanks(f));
  if (MatchColumns(ColumnsOf(ImportKind::kMeasurements), names).ok()) {
    return MeasurementFormat::kNative;
  }
  return std::nullopt;
}

StatusOr<std::unique_ptr<MeasurementReader>> OpenMeasurementFile(const std::string& path,
                                                                 MeasurementFormat format,
                                                                 const OperatorMap& operators,
                                                                 const DriveTestOptions& options) {
  if (format == MeasurementFormat::kAuto) {
    auto header = ReadFirstLine(path);
    if (!header.ok()) return header.status();
    auto detected = DetectMeasurementFormat(header.value());
    if (!detected) {
      return InvalidArgument(
          path + ": cannot tell the format from the header line ('" +
          Shorten(StripBom(header.value()), 120) +
          "'): expected covgap's CSV header (operator,tech,lat,lon,signal_dbm,timestamp), a "
          "G-NetTrack log (tab separated, with NetworkTech and Level) or a CSV with RSRP or "
          "RSCP columns; name the format with --format");
    }
    format = *detected;
  }
  if (format == MeasurementFormat::kNative) {
    auto native = MeasurementCsvReader::Open(path);
    if (!native.ok()) return native.status();
    return std::unique_ptr<MeasurementReader>(
        std::make_unique<NativeMeasurementReader>(std::move(native.value())));
  }
  auto reader = std::make_unique<DriveTestLogReader>(format, operators, options);
  if (Status s = reader->Open(path); !s.ok()) return s;
  return std::unique_ptr<MeasurementReader>(std::move(reader));
}

}  // namespace covgap::importers
