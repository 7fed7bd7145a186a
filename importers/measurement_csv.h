// Reader for the native measurement CSV.
//
// Header (columns found by name, any order):
//   required  operator, tech, lat, lon, signal_dbm, timestamp
//   optional  source, device_id, accuracy_m, quality_db, sinr_db, dl_kbps
// or any accepted spelling of them (column_names.h, ImportKind::kMeasurements: case- and
// accent-insensitive, e.g. `latitude`, `Vĩ độ`, `signal`, `Thời gian`); two columns matching one
// field fail the file naming both. Unknown columns are ignored. Fields may be quoted ("…", ""
// inside quotes), lines end in LF or CRLF, a UTF-8 byte-order mark is skipped, blank lines are
// skipped. Timestamps are ISO 8601 (see geo/time_format.h). A row that cannot be parsed is not an
// error of the file: it comes back with a Rejection (code and reason) so the caller can report it
// and go on.
//
// Rows come in chunks that keep the raw text of their lines, so a caller can derive content-based
// ids from a chunk and write rejected rows back out as they were.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geo/base/status.h"
#include "geo/model/measurement.h"
#include "geo/model/measurement_rules.h"
#include "importers/column_names.h"
#include "importers/line_source.h"

namespace covgap::importers {

struct CsvMeasurementRow {
  std::uint64_t line = 0;    // 1-based line number in the file (the header is line 1)
  std::uint32_t offset = 0;  // raw text of the line: chunk.text.substr(offset, length)
  std::uint32_t length = 0;
  geo::Measurement measurement;
  std::optional<geo::Rejection> rejection;  // set when the row could not be parsed
};

struct CsvMeasurementChunk {
  std::string text;  // the raw lines of the chunk, each followed by '\n'
  std::vector<CsvMeasurementRow> rows;
  std::string_view Raw(const CsvMeasurementRow& row) const {
    return std::string_view(text).substr(row.offset, row.length);
  }
  void Clear() {
    text.clear();
    rows.clear();
  }
};

class MeasurementCsvReader {
 public:
  // Opens the file and reads its header. Fails with InvalidArgument naming the missing columns.
  static StatusOr<std::unique_ptr<MeasurementCsvReader>> Open(const std::string& path);
  // Reads from an in-memory buffer (tests, fuzzing).
  static StatusOr<std::unique_ptr<MeasurementCsvReader>> FromString(std::string content);
  ~MeasurementCsvReader();
  MeasurementCsvReader(const MeasurementCsvReader&) = delete;
  MeasurementCsvReader& operator=(const MeasurementCsvReader&) = delete;

  // Replaces `chunk` with up to max_rows data rows. Returns false when there were no rows left;
  // a read error is reported through status().
  bool Next(CsvMeasurementChunk& chunk, std::size_t max_rows);

  const std::string& header() const { return header_; }
  // Which column was read for which field, in field order.
  const std::vector<ColumnUse>& columns() const { return columns_; }
  std::uint64_t bytes_consumed() const { return lines_.consumed(); }
  std::uint64_t total_bytes() const { return lines_.total_bytes(); }  // 0 when unknown
  const Status& status() const { return lines_.status(); }

 private:
  MeasurementCsvReader() = default;
  Status ReadHeader();
  void ParseRow(std::string_view line, CsvMeasurementRow& row);

  LineSource lines_;
  std::string header_;
  Status status_;
  std::vector<ColumnUse> columns_;
  std::vector<int> column_of_field_;  // field index in a row -> our column id (-1 = ignored)
  std::size_t field_count_ = 0;
  std::vector<std::string_view> fields_;
  std::string unquoted_;
};

// Splits one CSV line into fields at `delimiter` (RFC 4180 quoting). Unquoted fields point into
// `line`; quoted fields are unescaped into `storage`, which must outlive the views.
void SplitCsvLine(std::string_view line, std::vector<std::string_view>& fields,
                  std::string& storage, char delimiter = ',');

}  // namespace covgap::importers
