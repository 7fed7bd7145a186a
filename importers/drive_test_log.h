// Measurement files in every format covgap reads, behind one reader interface.
//
// Formats:
//   native     covgap's own CSV (measurement_csv.h), read by MeasurementCsvReader.
//   gnettrack  G-NetTrack Pro/Lite logs: tab separated, header line, columns found by name
//              (case-insensitive, any order): Timestamp (YYYY.MM.DD_HH.MM.SS, phone-local time),
//              Latitude, Longitude, Operator (MCC+MNC) and/or Operatorname, NetworkTech, Level
//              (dBm: RSRP/RSCP/RxLev by technology); optional Qual (RSRQ, Ec/No), SNR,
//              DL_bitrate (kbit/s), Accuracy (m). Every other column is ignored.
//   generic    other drive-test CSVs: comma, semicolon or tab separated (sniffed from the header);
//              Latitude/lat, Longitude/lon/lng, Time/Timestamp/DateTime, Operator/MCC-MNC/PLMN (or
//              MCC + MNC), RSRP and/or RSCP (or a tech column with a level column); optional
//              tech/NetworkTech, RSRQ, EcNo, SINR, accuracy, dl_kbps, device_id, source.
// kAuto sniffs the header line: the native header -> native; tab separated with NetworkTech and
// Level -> gnettrack; RSRP or RSCP columns -> generic; else a comma-separated header whose
// columns are accepted spellings of the native ones (column_names.h: `latitude`, `Vĩ độ`,
// `signal`, `Thời gian`, …) -> native.
//
// Drive-test rows are turned into Measurements here: the operator through an OperatorMap (names
// and MCC-MNC codes -> covgap operator ids), the technology through NormalizeTechnology, and
// timestamps without a zone are taken as local time at DriveTestOptions::utc_offset_minutes
// (default UTC+7, Vietnam) and converted to UTC. A row that cannot be turned into a Measurement
// comes back with a Rejection (code and reason), like a native row. Chunks keep the raw lines
// exactly as in the file, so batch ids stay content-derived and rejected rows can be written back.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "geo/base/status.h"
#include "geo/model/measurement.h"
#include "importers/measurement_csv.h"

namespace covgap::importers {

enum class MeasurementFormat { kAuto, kNative, kGNetTrack, kGenericCsv };

// "auto", "native" or "csv", "gnettrack" (or "g-nettrack"), "generic"; case-insensitive.
std::optional<MeasurementFormat> ParseMeasurementFormat(std::string_view text);
// "auto", "native", "gnettrack", "generic".
std::string_view ToString(MeasurementFormat format);

// What a reader of any format offers: chunks of rows with their raw text.
class MeasurementReader {
 public:
  virtual ~MeasurementReader() = default;
  // Replaces `chunk` with up to max_rows data rows. Returns false when there were no rows left;
  // a read error is reported through status().
  virtual bool Next(CsvMeasurementChunk& chunk, std::size_t max_rows) = 0;
  // The header line as it was (without a byte-order mark or line end).
  virtual const std::string& header() const = 0;
  // Which header column was read for which field, in field order (for the ingest report).
  virtual const std::vector<ColumnUse>& columns() const = 0;
  virtual std::uint64_t bytes_consumed() const = 0;
  virtual std::uint64_t total_bytes() const = 0;  // 0 when unknown
  virtual const Status& status() const = 0;
  // The field delimiter of the file: ',', ';' or '\t'.
  virtual char delimiter() const = 0;
  virtual MeasurementFormat format() const = 0;
};

// Operator names and MCC-MNC codes -> covgap operator ids.
//
// Keys are matched after normalisation: ASCII letters lower-cased and every character other than
// a letter or digit dropped ("Viettel Mobile" = "viettelmobile", "VN VINAPHONE" = "vnvinaphone"),
// and a code written as MCC, a separator and MNC ("452 04", "452-04", "452/4") becomes the digits
// MCC + two-digit MNC ("45204").
class OperatorMap {
 public:
  OperatorMap() = default;  // empty
  // Vietnam (MCC 452): 01 mobifone, 02 vnpt, 04 viettel, 05 vietnamobile, 07 gmobile, plus the
  // usual spellings of their names (see docs/ingestion.md "Drive-test logs").
  static OperatorMap VietnamDefaults();

  // Adds or replaces one entry. `operator_id` is stored lower-cased.
  void Set(std::string_view name_or_code, std::string_view operator_id);
  // Adds or replaces entries from a file of lines `name_or_code = operator_id`; `#` starts a
  // comment, blank lines are skipped. NotFound when the file cannot be read, InvalidArgument
  // naming the line when a line is not of that form.
  Status Load(const std::string& path);
  // The operator id, or nullopt when the name or code is not in the map.
  std::optional<std::string> Find(std::string_view name_or_code) const;
  std::size_t size() const { return ids_.size(); }

  static std::string NormalizeKey(std::string_view name_or_code);

 private:
  std::unordered_map<std::string, std::string> ids_;
};

struct DriveTestOptions {
  // Offset from UTC of timestamps that carry no zone (G-NetTrack writes phone-local time).
  int utc_offset_minutes = 7 * 60;
  // Device id given to every row of a drive-test file (a generic CSV's device_id column wins).
  std::string device_id;
  // Source of every row (a generic CSV's source column wins when not empty).
  geo::Source source = geo::Source::kDrive;
};

// "+07:00", "+0700", "+07", "+7", "-03:30", "7", "Z", "UTC", "UTC+7", "GMT+07:00" -> minutes east
// of UTC. nullopt for anything else or beyond ±14:00.
std::optional<int> ParseUtcOffset(std::string_view text);

// Drive-test names of a radio technology, case-insensitive: LTE, LTE-A, LTE+, LTE CA, 4G -> LTE;
// UMTS, WCDMA, HSPA, HSPA+, HSDPA, HSUPA, HSPAP, 3G -> UMTS; GSM, GPRS, EDGE, 2G -> GSM; NR, 5G,
// NR-NSA, NR-SA, 5G NSA/SA -> NR. nullopt for anything else (CDMA, WiMAX, ...).
std::optional<geo::Technology> NormalizeTechnology(std::string_view text);

// Milliseconds since the epoch (UTC) of a drive-test timestamp: "YYYY.MM.DD_HH.MM.SS" (G-NetTrack),
// "YYYY-MM-DD HH:MM:SS", "YYYY/MM/DD HH:MM:SS" or ISO 8601 (geo/time_format.h), with optional
// fractional seconds. A timestamp with a zone (Z, ±HH:MM) is taken as it says; one without is
// local time at utc_offset_minutes. nullopt when it is none of these or not a real date and time.
std::optional<std::int64_t> ParseDriveTestTimestamp(std::string_view text, int utc_offset_minutes);

// The format a header line belongs to (a leading byte-order mark is skipped), or nullopt.
std::optional<MeasurementFormat> DetectMeasurementFormat(std::string_view header_line);

// Opens `path` in `format` (kAuto: detected from its header line) and reads the header.
// NotFound when the file cannot be opened; InvalidArgument when the header lacks a required
// column (the message names it) or, for kAuto, when the header fits no format.
// `operators` and `options` are used by the drive-test formats and copied; the native format
// keeps its own rules (operator ids as written, timestamps without a zone are UTC).
StatusOr<std::unique_ptr<MeasurementReader>> OpenMeasurementFile(
    const std::string& path, MeasurementFormat format, const OperatorMap& operators,
    const DriveTestOptions& options = {});

}  // namespace covgap::importers
