#include "importers/measurement_csv.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

#include "geo/base/time_format.h"
#include "importers/column_names.h"
#include "importers/text_fields.h"

namespace covgap::importers {
namespace {

enum Column {
  kOperator,
  kTech,
  kLat,
  kLon,
  kSignal,
  kTimestamp,
  kSource,
  kDeviceId,
  kAccuracy,
  kQuality,
  kSinr,
  kDlKbps,
  kColumnCount
};
constexpr std::array<std::string_view, kColumnCount> kColumnNames = {
    "operator", "tech",      "lat",        "lon",        "signal_dbm", "timestamp",
    "source",   "device_id", "accuracy_m", "quality_db", "sinr_db",    "dl_kbps"};

std::optional<double> ParseDouble(std::string_view s) {
  s = TrimBlanks(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

geo::Rejection FieldError(std::string_view column, std::string_view value, const char* what) {
  std::string shown(value.substr(0, 40));
  return {value.empty() ? "missing_value" : "not_a_number",
          value.empty() ? "column " + std::string(column) + " is empty"
                        : "column " + std::string(column) + ": '" + shown + "' " + what};
}

}  // namespace

void SplitCsvLine(std::string_view line, std::vector<std::string_view>& fields,
                  std::string& storage, char delimiter) {
  fields.clear();
  if (line.find('"') == std::string_view::npos) {
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = line.find(delimiter, start);
      if (comma == std::string_view::npos) {
        fields.push_back(line.substr(start));
        return;
      }
      fields.push_back(line.substr(start, comma - start));
      start = comma + 1;
    }
  }
  storage.clear();
  storage.reserve(line.size());  // unescaped text is never longer: views stay valid
  std::size_t i = 0;
  while (true) {
    if (i < line.size() && line[i] == '"') {
      const std::size_t begin = storage.size();
      ++i;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            storage.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        storage.push_back(line[i++]);
      }
      // Text after the closing quote up to the comma is kept (lenient).
      while (i < line.size() && line[i] != delimiter) storage.push_back(line[i++]);
      fields.emplace_back(storage.data() + begin, storage.size() - begin);
    } else {
      const std::size_t comma = line.find(delimiter, i);
      const std::size_t end = comma == std::string_view::npos ? line.size() : comma;
      fields.push_back(line.substr(i, end - i));
      i = end;
    }
    if (i >= line.size()) return;
    ++i;  // the delimiter
    if (i == line.size()) {
      fields.emplace_back();
      return;
    }
  }
}

StatusOr<std::unique_ptr<MeasurementCsvReader>> MeasurementCsvReader::Open(
    const std::string& path) {
  std::unique_ptr<MeasurementCsvReader> reader(new MeasurementCsvReader());
  if (Status s = reader->lines_.Open(path); !s.ok()) return s;
  if (Status s = reader->ReadHeader(); !s.ok()) return Status(s.code(), path + ": " + s.message());
  return reader;
}

StatusOr<std::unique_ptr<MeasurementCsvReader>> MeasurementCsvReader::FromString(
    std::string content) {
  std::unique_ptr<MeasurementCsvReader> reader(new MeasurementCsvReader());
  reader->lines_.SetText(std::move(content));
  if (Status s = reader->ReadHeader(); !s.ok()) return s;
  return reader;
}

MeasurementCsvReader::~MeasurementCsvReader() = default;

Status MeasurementCsvReader::ReadHeader() {
  std::string_view line;
  if (!lines_.Next(line)) return InvalidArgument("the file is empty: no header line");
  if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
  header_ = std::string(line);
  std::string storage;
  SplitCsvLine(header_, fields_, storage);
  field_count_ = fields_.size();
  column_of_field_.assign(field_count_, -1);
  std::vector<std::string> names;
  for (std::string_view f : fields_) names.emplace_back(TrimBlanks(f));
  MatchOptions options;
  options.how_to_name =
      "Rename the columns, or name another format with --format (G-NetTrack logs and drive-test "
      "CSVs with RSRP or RSCP columns are read too).";
  auto match = MatchColumns(ColumnsOf(ImportKind::kMeasurements), names, {}, options);
  if (!match.ok()) return match.status();
  for (int c = 0; c < kColumnCount; ++c) {
    if (match->index[c] >= 0) column_of_field_[static_cast<std::size_t>(match->index[c])] = c;
  }
  columns_ = std::move(match->used);
  return Status::Ok();
}

void MeasurementCsvReader::ParseRow(std::string_view line, CsvMeasurementRow& row) {
  SplitCsvLine(line, fields_, unquoted_);
  geo::Measurement& m = row.measurement;
  m = geo::Measurement{};
  if (fields_.size() != field_count_) {
    row.rejection = geo::Rejection{
        "wrong_column_count", "row has " + std::to_string(fields_.size()) + " fields, header has " +
                                  std::to_string(field_count_)};
    return;
  }
  for (std::size_t f = 0; f < field_count_; ++f) {
    const int column = column_of_field_[f];
    if (column < 0) continue;
    const std::string_view value = TrimBlanks(fields_[f]);
    const std::string_view name = kColumnNames[column];
    switch (column) {
      case kOperator:
        if (value.empty()) {
          row.rejection = FieldError(name, value, "");
          return;
        }
        m.operator_id = LowerAscii(value);
        break;
      case kTech: {
        auto tech = geo::ParseTechnology(value);
        if (!tech) {
          row.rejection = geo::Rejection{
              "unknown_technology",
              "technology '" + std::string(value.substr(0, 40)) + "' is not GSM, UMTS, LTE or NR"};
          return;
        }
        m.tech = *tech;
        break;
      }
      case kLat:
      case kLon:
      case kSignal: {
        auto v = ParseDouble(value);
        if (!v || !std::isfinite(*v)) {
          row.rejection = FieldError(name, value, "is not a number");
          return;
        }
        if (column == kLat) {
          m.lat = *v;
        } else if (column == kLon) {
          m.lon = *v;
        } else if (std::abs(*v) > 1000) {
          row.rejection = geo::Rejection{"signal_out_of_range",
                                         "signal " + std::string(value) + " dBm is not plausible"};
          return;
        } else {
          m.signal_dbm = static_cast<int>(std::lround(*v));
        }
        break;
      }
      case kTimestamp: {
        auto t = geo::ParseIso8601(value);
        if (!t) {
          row.rejection =
              geo::Rejection{value.empty() ? "missing_value" : "bad_timestamp",
                             value.empty() ? "column timestamp is empty"
                                           : "timestamp '" + std::string(value.substr(0, 40)) +
                                                 "' is not ISO 8601 (e.g. 2021-11-30T08:15:00Z)"};
          return;
        }
        m.time_ms = *t;
        break;
      }
      case kSource: {
        auto s = geo::ParseSource(value);
        if (!s) {
          row.rejection =
              geo::Rejection{"unknown_source", "source '" + std::string(value.substr(0, 40)) +
                                                   "' is not drive, crowd or mdt"};
          return;
        }
        m.source = *s;
        break;
      }
      case kDeviceId:
        m.device_id = std::string(value);
        break;
      default: {  // optional figures
        if (value.empty()) break;
        auto v = ParseDouble(value);
        if (!v) {
          row.rejection = FieldError(name, value, "is not a number");
          return;
        }
        const float fv = static_cast<float>(*v);
        if (column == kAccuracy) m.accuracy_m = fv;
        if (column == kQuality) m.quality_db = fv;
        if (column == kSinr) m.sinr_db = fv;
        if (column == kDlKbps) m.dl_kbps = fv;
        break;
      }
    }
  }
}

bool MeasurementCsvReader::Next(CsvMeasurementChunk& chunk, std::size_t max_rows) {
  chunk.Clear();
  std::string_view line;
  while (chunk.rows.size() < max_rows && lines_.Next(line)) {
    if (TrimBlanks(line).empty()) continue;
    CsvMeasurementRow& row = chunk.rows.emplace_back();
    row.line = lines_.line_no();
    row.offset = static_cast<std::uint32_t>(chunk.text.size());
    row.length = static_cast<std::uint32_t>(line.size());
    chunk.text.append(line);
    chunk.text.push_back('\n');
    ParseRow(line, row);
  }
  return !chunk.rows.empty();
}

}  // namespace covgap::importers
