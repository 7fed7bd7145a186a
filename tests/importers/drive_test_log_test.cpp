#include "importers/drive_test_log.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "geo/base/time_format.h"

namespace covgap::importers {
namespace {

using geo::Technology;

std::string WriteTemp(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "drive_test_log_" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::int64_t Utc(const char* iso) { return geo::ParseIso8601(iso).value(); }

struct ReadResult {
  std::vector<CsvMeasurementRow> rows;
  std::vector<std::string> raw;
  std::string text;  // every chunk's text, concatenated
};

ReadResult ReadAll(MeasurementReader& reader, std::size_t chunk_rows = 1000) {
  ReadResult result;
  CsvMeasurementChunk chunk;
  while (reader.Next(chunk, chunk_rows)) {
    result.text += chunk.text;
    for (const auto& row : chunk.rows) {
      result.rows.push_back(row);
      result.raw.emplace_back(chunk.Raw(row));
    }
  }
  EXPECT_TRUE(reader.status().ok()) << reader.status().message();
  return result;
}

std::unique_ptr<MeasurementReader> Open(const std::string& path,
                                        MeasurementFormat format = MeasurementFormat::kAuto,
                                        const DriveTestOptions& options = {}) {
  auto reader = OpenMeasurementFile(path, format, OperatorMap::VietnamDefaults(), options);
  EXPECT_TRUE(reader.ok()) << reader.status().message();
  return reader.ok() ? std::move(reader.value()) : nullptr;
}

// A G-NetTrack Pro export: tab separated, more columns than covgap uses.
const char kGNetTrackHeader[] =
    "Timestamp\tLongitude\tLatitude\tSpeed\tOperatorname\tOperator\tCGI\tCellname\tNode\tCellID\t"
    "LAC\tNetworkTech\tNetworkMode\tLevel\tQual\tSNR\tCQI\tLTERSSI\tARFCN\tDL_bitrate\tUL_bitrate";

std::string GNetTrackLine(const std::string& time, const std::string& lon, const std::string& lat,
                          const std::string& name, const std::string& code, const std::string& tech,
                          const std::string& level, const std::string& qual, const std::string& snr,
                          const std::string& dl) {
  return time + "\t" + lon + "\t" + lat + "\t12\t" + name + "\t" + code +
         "\t452-04-1234-5678\tBGG001\t12345\t67\t1234\t" + tech + "\t" + tech + "\t" + level +
         "\t" + qual + "\t" + snr + "\t9\t-70\t1650\t" + dl + "\t300";
}

TEST(GNetTrackLog, MixedTechnologiesBecomeExactMeasurementsAndRejections) {
  const std::vector<std::string> lines = {
      GNetTrackLine("2021.11.30_08.15.00", "106.2041", "21.2731", "Viettel", "45204", "LTE", "-101",
                    "-11", "7.5", "1234"),
      GNetTrackLine("2021.11.30_08.15.01", "106.2042", "21.2732", "VINAPHONE", "", "HSPA+", "-88",
                    "-9", "", ""),
      GNetTrackLine("2021.11.30_08.15.02", "106.2043", "21.2733", "MOBIFONE", "45201", "EDGE",
                    "-75", "3", "", "80"),
      GNetTrackLine("2021.11.30_08.15.03", "106.2044", "21.2734", "Viettel", "45204", "WIMAX",
                    "-90", "", "", ""),
      GNetTrackLine("2021.11.30_08.15.04", "106.2045", "21.2735", "Viettel", "45204", "LTE", "", "",
                    "", ""),
      GNetTrackLine("2021.11.30_08.15.05", "106.2046", "21.2736", "", "45299", "LTE", "-95", "", "",
                    ""),
      GNetTrackLine("2021.11.30_08.15.06", "0", "0", "Viettel", "45204", "LTE", "-95", "", "", ""),
      GNetTrackLine("2021.11.30_23.59.59", "106.2047", "21.2737", "Viettel", "45204", "UMTS", "-99",
                    "-12", "", ""),
  };
  std::string content = std::string(kGNetTrackHeader) + "\n";
  for (const auto& line : lines) content += line + "\n";
  auto reader = Open(WriteTemp("mixed.txt", content));
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->format(), MeasurementFormat::kGNetTrack);
  EXPECT_EQ(reader->delimiter(), '\t');
  EXPECT_EQ(reader->header(), kGNetTrackHeader);
  const ReadResult r = ReadAll(*reader);
  ASSERT_EQ(r.rows.size(), lines.size());

  // LTE, operator from the MCC-MNC code, phone-local time +07:00 -> UTC.
  {
    const auto& row = r.rows[0];
    ASSERT_FALSE(row.rejection) << row.rejection->reason;
    const auto& m = row.measurement;
    EXPECT_EQ(m.operator_id, "viettel");
    EXPECT_EQ(m.tech, Technology::kLte);
    EXPECT_DOUBLE_EQ(m.lat, 21.2731);
    EXPECT_DOUBLE_EQ(m.lon, 106.2041);
    EXPECT_EQ(m.signal_dbm, -101);
    EXPECT_EQ(m.time_ms, Utc("2021-11-30T01:15:00Z"));
    EXPECT_FLOAT_EQ(m.quality_db, -11.0f);
    EXPECT_FLOAT_EQ(m.sinr_db, 7.5f);
    EXPECT_FLOAT_EQ(m.dl_kbps, 1234.0f);
    EXPECT_TRUE(std::isnan(m.accuracy_m));
    EXPECT_EQ(m.source, geo::Source::kDrive);
    EXPECT_EQ(m.device_id, "");
    EXPECT_EQ(row.line, 2u);
  }
  // UMTS (HSPA+), operator from Operatorname when Operator is empty; Qual is Ec/No.
  {
    const auto& row = r.rows[1];
    ASSERT_FALSE(row.rejection) << row.rejection->reason;
    const auto& m = row.measurement;
    EXPECT_EQ(m.operator_id, "vnpt");
    EXPECT_EQ(m.tech, Technology::kUmts);
    EXPECT_EQ(m.signal_dbm, -88);
    EXPECT_EQ(m.time_ms, Utc("2021-11-30T01:15:01Z"));
    EXPECT_FLOAT_EQ(m.quality_db, -9.0f);
    EXPECT_TRUE(std::isnan(m.sinr_db));
    EXPECT_TRUE(std::isnan(m.dl_kbps));
  }
  // GSM (EDGE): Level is RxLev in dBm; Qual is RxQual (not dB) and is dropped.
  {
    const auto& row = r.rows[2];
    ASSERT_FALSE(row.rejection) << row.rejection->reason;
    const auto& m = row.measurement;
    EXPECT_EQ(m.operator_id, "mobifone");
    EXPECT_EQ(m.tech, Technology::kGsm);
    EXPECT_EQ(m.signal_dbm, -75);
    EXPECT_TRUE(std::isnan(m.quality_db));
    EXPECT_FLOAT_EQ(m.dl_kbps, 80.0f);
  }
  ASSERT_TRUE(r.rows[3].rejection);
  EXPECT_EQ(r.rows[3].rejection->code, "unknown_technology");
  EXPECT_NE(r.rows[3].rejection->reason.find("WIMAX"), std::string::npos);
  ASSERT_TRUE(r.rows[4].rejection);
  EXPECT_EQ(r.rows[4].rejection->code, "missing_value");
  EXPECT_NE(r.rows[4].rejection->reason.find("Level"), std::string::npos);
  ASSERT_TRUE(r.rows[5].rejection);
  EXPECT_EQ(r.rows[5].rejection->code, "unknown_operator");
  EXPECT_NE(r.rows[5].rejection->reason.find("45299"), std::string::npos);
  EXPECT_NE(r.rows[5].rejection->reason.find("--operator-map"), std::string::npos);
  ASSERT_TRUE(r.rows[6].rejection);
  EXPECT_EQ(r.rows[6].rejection->code, "missing_value");
  EXPECT_NE(r.rows[6].rejection->reason.find("GPS"), std::string::npos);
  // Local 23:59:59 on the 30th is 16:59:59 UTC the same day.
  ASSERT_FALSE(r.rows[7].rejection);
  EXPECT_EQ(r.rows[7].measurement.time_ms, Utc("2021-11-30T16:59:59Z"));
  EXPECT_EQ(r.rows[7].measurement.tech, Technology::kUmts);

  // Raw lines are the input lines, tabs and all.
  for (std::size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(r.raw[i], lines[i]);
}

TEST(GNetTrackLog, ReorderedAndMissingOptionalColumnsUtcOffsetAndDevice) {
  // Only the required columns, in another order, names in other cases; CRLF line ends.
  const std::string content =
      "LEVEL\tnetworktech\toperatorname\tlatitude\tlongitude\ttimestamp\r\n"
      "-97\tLTE-A\tViettel Mobile\t21,2731\t106,2041\t2021.11.30_08.15.00\r\n";
  DriveTestOptions options;
  options.utc_offset_minutes = 0;
  options.device_id = "phone-7";
  auto reader = Open(WriteTemp("reordered.txt", content), MeasurementFormat::kGNetTrack, options);
  ASSERT_NE(reader, nullptr);
  const ReadResult r = ReadAll(*reader);
  ASSERT_EQ(r.rows.size(), 1u);
  ASSERT_FALSE(r.rows[0].rejection) << r.rows[0].rejection->reason;
  const auto& m = r.rows[0].measurement;
  EXPECT_EQ(m.operator_id, "viettel");
  EXPECT_EQ(m.tech, Technology::kLte);
  EXPECT_EQ(m.signal_dbm, -97);
  EXPECT_DOUBLE_EQ(m.lat, 21.2731);  // a decimal comma in a tab-separated log
  EXPECT_DOUBLE_EQ(m.lon, 106.2041);
  EXPECT_EQ(m.time_ms, Utc("2021-11-30T08:15:00Z"));
  EXPECT_EQ(m.device_id, "phone-7");
  EXPECT_EQ(r.raw[0], "-97\tLTE-A\tViettel Mobile\t21,2731\t106,2041\t2021.11.30_08.15.00");
}

TEST(GNetTrackLog, MissingRequiredColumnIsAnErrorNamingIt) {
  const std::string path =
      WriteTemp("nolevel.txt", "Timestamp\tLongitude\tLatitude\tOperator\tNetworkTech\tQual\n");
  auto reader =
      OpenMeasurementFile(path, MeasurementFormat::kGNetTrack, OperatorMap::VietnamDefaults());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(reader.status().message().find("Level"), std::string::npos);
  EXPECT_NE(reader.status().message().find(path), std::string::npos);
}

TEST(GNetTrackLog, WrongColumnCountBadTimestampAndRepeatedHeader) {
  const std::string header = "Timestamp\tLongitude\tLatitude\tOperator\tNetworkTech\tLevel";
  const std::string content = header + "\n" +
                              "2021.11.30_08.15.00\t106.2\t21.3\t45204\tLTE\n" +       // 5 fields
                              "2021-13-30 08:15:00\t106.2\t21.3\t45204\tLTE\t-90\n" +  // month 13
                              header + "\n" +  // a second log appended
                              "2021.11.30_08.15.00\t106.2\t21.3\t45204\tLTE\tabc\n";
  auto reader = Open(WriteTemp("bad.txt", content));
  ASSERT_NE(reader, nullptr);
  const ReadResult r = ReadAll(*reader);
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0].rejection->code, "wrong_column_count");
  EXPECT_EQ(r.rows[1].rejection->code, "bad_timestamp");
  EXPECT_EQ(r.rows[2].rejection->code, "not_a_number");
  EXPECT_EQ(r.rows[2].line, 5u);  // the repeated header is line 4 and no row
}

TEST(GNetTrackLog, ChunkTextIsTheInputLinesSoBatchIdsAreContentDerived) {
  std::string body;
  for (int i = 0; i < 7; ++i) {
    body += GNetTrackLine("2021.11.30_08.15.0" + std::to_string(i), "106.2", "21.3", "Viettel",
                          "45204", i % 2 ? "UMTS" : "LTE", std::to_string(-90 - i), "", "", "") +
            "\n";
  }
  const std::string path = WriteTemp("chunks.txt", std::string(kGNetTrackHeader) + "\n" + body);
  auto reader = Open(path);
  ASSERT_NE(reader, nullptr);
  std::vector<std::string> texts;
  CsvMeasurementChunk chunk;
  std::uint64_t expected_line = 2;
  while (reader->Next(chunk, 3)) {
    texts.push_back(chunk.text);
    for (const auto& row : chunk.rows) EXPECT_EQ(row.line, expected_line++);
  }
  ASSERT_EQ(texts.size(), 3u);  // 3 + 3 + 1 rows
  EXPECT_EQ(texts[0] + texts[1] + texts[2], body);
  EXPECT_EQ(reader->bytes_consumed(), reader->total_bytes());

  // The same file read again gives the same chunks (the same batch ids).
  auto again = Open(path);
  ASSERT_NE(again, nullptr);
  for (const auto& text : texts) {
    ASSERT_TRUE(again->Next(chunk, 3));
    EXPECT_EQ(chunk.text, text);
  }
}

TEST(GNetTrackLog, RejectsFileReadsBackAsTheSameFormatWithItsExtraColumnsIgnored) {
  // What `covgap ingest --rejects` writes for a G-NetTrack log: the header and raw line plus
  // reject_line, reject_code, reject_reason, tab separated.
  const std::string line = GNetTrackLine("2021.11.30_08.15.05", "106.2046", "21.2736", "", "45299",
                                         "LTE", "-95", "", "", "");
  const std::string content =
      std::string(kGNetTrackHeader) + "\treject_line\treject_code\treject_reason\n" + line +
      "\t7\tunknown_operator\toperator '45299' (Operator) is not in the operator map\n";
  OperatorMap map = OperatorMap::VietnamDefaults();
  map.Set("452-99", "viettel");
  auto reader =
      OpenMeasurementFile(WriteTemp("rejects.txt", content), MeasurementFormat::kAuto, map);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ(reader.value()->format(), MeasurementFormat::kGNetTrack);
  const ReadResult r = ReadAll(*reader.value());
  ASSERT_EQ(r.rows.size(), 1u);
  ASSERT_FALSE(r.rows[0].rejection) << r.rows[0].rejection->reason;
  EXPECT_EQ(r.rows[0].measurement.operator_id, "viettel");
  EXPECT_EQ(r.rows[0].measurement.signal_dbm, -95);
}

TEST(DriveTestGenericCsv, SemicolonsWithRsrpAndRscpColumns) {
  const std::vector<std::string> lines = {
      // RSRP -> LTE; no zone -> local time (+07:00).
      "2021-11-30 08:15:00;21.30;106.20;452-04;-99;;-10;;12",
      // RSCP -> UMTS; a zone -> as it says; decimal comma.
      "2021-11-30T08:15:00Z;21.31;106.21;45202;;-85;;-7,5;",
      // both: RSRP wins (LTE).
      "2021-11-30T08:15:00+07:00;21.32;106.22;452 01;-100;-90;;;",
      // neither
      "2021-11-30T08:15:00Z;21.33;106.23;45204;;;;;",
      // unknown operator
      "2021-11-30T08:15:00Z;21.33;106.23;452-99;-100;;;;",
  };
  std::string content = "Time;Latitude;Longitude;MCC-MNC;RSRP;RSCP;RSRQ;EcNo;SINR\n";
  for (const auto& line : lines) content += line + "\n";
  auto reader = Open(WriteTemp("generic.csv", content));
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->format(), MeasurementFormat::kGenericCsv);
  EXPECT_EQ(reader->delimiter(), ';');
  const ReadResult r = ReadAll(*reader);
  ASSERT_EQ(r.rows.size(), lines.size());
  {
    ASSERT_FALSE(r.rows[0].rejection) << r.rows[0].rejection->reason;
    const auto& m = r.rows[0].measurement;
    EXPECT_EQ(m.operator_id, "viettel");
    EXPECT_EQ(m.tech, Technology::kLte);
    EXPECT_EQ(m.signal_dbm, -99);
    EXPECT_DOUBLE_EQ(m.lat, 21.30);
    EXPECT_DOUBLE_EQ(m.lon, 106.20);
    EXPECT_EQ(m.time_ms, Utc("2021-11-30T01:15:00Z"));
    EXPECT_FLOAT_EQ(m.quality_db, -10.0f);
    EXPECT_FLOAT_EQ(m.sinr_db, 12.0f);
    EXPECT_EQ(m.source, geo::Source::kDrive);
  }
  {
    ASSERT_FALSE(r.rows[1].rejection) << r.rows[1].rejection->reason;
    const auto& m = r.rows[1].measurement;
    EXPECT_EQ(m.operator_id, "vnpt");
    EXPECT_EQ(m.tech, Technology::kUmts);
    EXPECT_EQ(m.signal_dbm, -85);
    EXPECT_EQ(m.time_ms, Utc("2021-11-30T08:15:00Z"));
    EXPECT_FLOAT_EQ(m.quality_db, -7.5f);
    EXPECT_TRUE(std::isnan(m.sinr_db));
  }
  {
    ASSERT_FALSE(r.rows[2].rejection) << r.rows[2].rejection->reason;
    const auto& m = r.rows[2].measurement;
    EXPECT_EQ(m.operator_id, "mobifone");
    EXPECT_EQ(m.tech, Technology::kLte);
    EXPECT_EQ(m.signal_dbm, -100);
    EXPECT_EQ(m.time_ms, Utc("2021-11-30T01:15:00Z"));
  }
  ASSERT_TRUE(r.rows[3].rejection);
  EXPECT_EQ(r.rows[3].rejection->code, "missing_value");
  ASSERT_TRUE(r.rows[4].rejection);
  EXPECT_EQ(r.rows[4].rejection->code, "unknown_operator");
  for (std::size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(r.raw[i], lines[i]);
}

TEST(DriveTestGenericCsv, TechColumnChoosesTheSignalColumnAndOptionalColumns) {
  const std::string content =
      "lat,lng,DateTime,Operator,NetworkTech,RSRP,RSCP,accuracy,device_id,source\n"
      "21.3,106.2,2021-11-30T08:15:00Z,VinaPhone,UMTS,-100,-91,4.5,dev-1,crowd\n"
      "21.3,106.2,2021-11-30T08:15:00Z,\"Viettel, Mobile\",,-100,-91,,,\n"
      "21.3,106.2,2021-11-30T08:15:00Z,Viettel,WiMAX,-100,-91,,,\n"
      "21.3,106.2,2021-11-30T08:15:00Z,Viettel,LTE,-100,,,,satellite\n";
  auto reader = Open(WriteTemp("generic_tech.csv", content));
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->format(), MeasurementFormat::kGenericCsv);
  EXPECT_EQ(reader->delimiter(), ',');
  const ReadResult r = ReadAll(*reader);
  ASSERT_EQ(r.rows.size(), 4u);
  ASSERT_FALSE(r.rows[0].rejection) << r.rows[0].rejection->reason;
  EXPECT_EQ(r.rows[0].measurement.tech, Technology::kUmts);
  EXPECT_EQ(r.rows[0].measurement.signal_dbm, -91);
  EXPECT_EQ(r.rows[0].measurement.operator_id, "vnpt");
  EXPECT_FLOAT_EQ(r.rows[0].measurement.accuracy_m, 4.5f);
  EXPECT_EQ(r.rows[0].measurement.device_id, "dev-1");
  EXPECT_EQ(r.rows[0].measurement.source, geo::Source::kCrowd);
  // An empty tech: RSRP says LTE. A quoted field with a comma stays one field.
  ASSERT_FALSE(r.rows[1].rejection) << r.rows[1].rejection->reason;
  EXPECT_EQ(r.rows[1].measurement.tech, Technology::kLte);
  EXPECT_EQ(r.rows[1].measurement.operator_id, "viettel");
  EXPECT_EQ(r.rows[1].measurement.signal_dbm, -100);
  EXPECT_EQ(r.rows[2].rejection->code, "unknown_technology");
  EXPECT_EQ(r.rows[3].rejection->code, "unknown_source");
}

TEST(DriveTestGenericCsv, MccAndMncColumnsAndMissingColumns) {
  auto reader = Open(WriteTemp("mccmnc.csv",
                               "Timestamp\tLatitude\tLongitude\tMCC\tMNC\tRSCP\n"
                               "2021-11-30T08:15:00Z\t21.3\t106.2\t452\t7\t-95\n"));
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->format(), MeasurementFormat::kGenericCsv);
  EXPECT_EQ(reader->delimiter(), '\t');
  const ReadResult r = ReadAll(*reader);
  ASSERT_EQ(r.rows.size(), 1u);
  ASSERT_FALSE(r.rows[0].rejection) << r.rows[0].rejection->reason;
  EXPECT_EQ(r.rows[0].measurement.operator_id, "gmobile");
  EXPECT_EQ(r.rows[0].measurement.tech, Technology::kUmts);

  auto bad = OpenMeasurementFile(WriteTemp("noop.csv", "lat,lon,time,RSRP\n"),
                                 MeasurementFormat::kGenericCsv, OperatorMap::VietnamDefaults());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("Operator"), std::string::npos);
}

TEST(DriveTestFormats, AutoDetectionPicksEachFormatFromItsHeader) {
  EXPECT_EQ(DetectMeasurementFormat(kGNetTrackHeader), MeasurementFormat::kGNetTrack);
  EXPECT_EQ(DetectMeasurementFormat("\xEF\xBB\xBFoperator,tech,lat,lon,signal_dbm,timestamp\r"),
            MeasurementFormat::kNative);
  EXPECT_EQ(DetectMeasurementFormat("timestamp,lon,lat,operator,tech,signal_dbm,source"),
            MeasurementFormat::kNative);
  EXPECT_EQ(DetectMeasurementFormat("Time;Latitude;Longitude;PLMN;RSRP"),
            MeasurementFormat::kGenericCsv);
  EXPECT_EQ(DetectMeasurementFormat("Time,Latitude,Longitude,Operator,RSCP"),
            MeasurementFormat::kGenericCsv);
  EXPECT_EQ(DetectMeasurementFormat("Time\tLat\tLon\tOperator\tRSRP"),
            MeasurementFormat::kGenericCsv);
  EXPECT_EQ(DetectMeasurementFormat("name,lat,lon"), std::nullopt);
  EXPECT_EQ(DetectMeasurementFormat(""), std::nullopt);

  auto unknown = OpenMeasurementFile(WriteTemp("unknown.csv", "name,lat,lon\nx,1,2\n"),
                                     MeasurementFormat::kAuto, OperatorMap::VietnamDefaults());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("--format"), std::string::npos);

  auto empty = OpenMeasurementFile(WriteTemp("empty.csv", ""), MeasurementFormat::kAuto,
                                   OperatorMap::VietnamDefaults());
  ASSERT_FALSE(empty.ok());
  auto missing = OpenMeasurementFile(::testing::TempDir() + "drive_test_log_nonexistent.txt",
                                     MeasurementFormat::kAuto, OperatorMap::VietnamDefaults());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(DriveTestFormats, NativeFormatStillWorksThroughOpenMeasurementFile) {
  const std::string content =
      "operator,tech,lat,lon,signal_dbm,timestamp\n"
      "viettel,LTE,21.3,106.2,-101,2021-11-30T08:15:00\n"
      "viettel,LTE,21.3,106.2,x,2021-11-30T08:15:00Z\n";
  for (MeasurementFormat format : {MeasurementFormat::kAuto, MeasurementFormat::kNative}) {
    auto reader = Open(WriteTemp("native.csv", content), format);
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(reader->format(), MeasurementFormat::kNative);
    EXPECT_EQ(reader->delimiter(), ',');
    EXPECT_EQ(reader->header(), "operator,tech,lat,lon,signal_dbm,timestamp");
    const ReadResult r = ReadAll(*reader);
    ASSERT_EQ(r.rows.size(), 2u);
    ASSERT_FALSE(r.rows[0].rejection);
    // The native format keeps its rule: no zone means UTC, whatever the drive-test offset.
    EXPECT_EQ(r.rows[0].measurement.time_ms, Utc("2021-11-30T08:15:00Z"));
    EXPECT_EQ(r.rows[0].measurement.signal_dbm, -101);
    EXPECT_EQ(r.rows[1].rejection->code, "not_a_number");
    EXPECT_EQ(r.text,
              "viettel,LTE,21.3,106.2,-101,2021-11-30T08:15:00\n"
              "viettel,LTE,21.3,106.2,x,2021-11-30T08:15:00Z\n");
  }
  // Asked for as G-NetTrack, a native file lacks G-NetTrack's columns.
  auto wrong = OpenMeasurementFile(WriteTemp("native2.csv", content), MeasurementFormat::kGNetTrack,
                                   OperatorMap::VietnamDefaults());
  EXPECT_FALSE(wrong.ok());
}

TEST(DriveTestFormats, ParseMeasurementFormatNames) {
  EXPECT_EQ(ParseMeasurementFormat("auto"), MeasurementFormat::kAuto);
  EXPECT_EQ(ParseMeasurementFormat("csv"), MeasurementFormat::kNative);
  EXPECT_EQ(ParseMeasurementFormat("native"), MeasurementFormat::kNative);
  EXPECT_EQ(ParseMeasurementFormat("GNetTrack"), MeasurementFormat::kGNetTrack);
  EXPECT_EQ(ParseMeasurementFormat("generic"), MeasurementFormat::kGenericCsv);
  EXPECT_EQ(ParseMeasurementFormat("xlsx"), std::nullopt);
  for (auto f : {MeasurementFormat::kAuto, MeasurementFormat::kNative,
                 MeasurementFormat::kGNetTrack, MeasurementFormat::kGenericCsv}) {
    EXPECT_EQ(ParseMeasurementFormat(ToString(f)), f);
  }
}

TEST(DriveTestOperatorMap, VietnamDefaultsAndSpellings) {
  const OperatorMap map = OperatorMap::VietnamDefaults();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Viettel", "viettel"},
      {"VIETTEL", "viettel"},
      {"Viettel Mobile", "viettel"},
      {"VinaPhone", "vnpt"},
      {"VINAPHONE", "vnpt"},
      {"Vina", "vnpt"},
      {"VNPT", "vnpt"},
      {"VN VINAPHONE", "vnpt"},
      {"MobiFone", "mobifone"},
      {"MOBIFONE", "mobifone"},
      {"Vietnamobile", "vietnamobile"},
      {"Gmobile", "gmobile"},
      {"G-Mobile", "gmobile"},
      {"Beeline VN", "gmobile"},
      {"Itel", "itel"},
      {"452 04", "viettel"},
      {"452-04", "viettel"},
      {"45204", "viettel"},
      {" 45204 ", "viettel"},
      {"452/4", "viettel"},
      {"45201", "mobifone"},
      {"45202", "vnpt"},
      {"45205", "vietnamobile"},
      {"45207", "gmobile"},
  };
  for (const auto& [text, id] : cases) {
    EXPECT_EQ(map.Find(text), id) << text;
  }
  EXPECT_EQ(map.Find("45299"), std::nullopt);
  EXPECT_EQ(map.Find("45208"), std::nullopt);  // not mapped by default: see docs/ingestion.md
  EXPECT_EQ(map.Find(""), std::nullopt);
  EXPECT_EQ(map.Find("Vodafone"), std::nullopt);
  EXPECT_EQ(OperatorMap::NormalizeKey("452-4"), "45204");
  EXPECT_EQ(OperatorMap::NormalizeKey("Viettel Mobile"), "viettelmobile");
}

TEST(DriveTestOperatorMap, UserFileOverridesAndExtendsTheDefaults) {
  const std::string path = WriteTemp("operators.txt",
                                     "# operators of the test network\n"
                                     "\n"
                                     "VinaPhone = VNPT_Test   # renamed\n"
                                     "452-99=viettel\n"
                                     "  Lab Cell  =  lab \n");
  OperatorMap map = OperatorMap::VietnamDefaults();
  const std::size_t defaults = map.size();
  ASSERT_TRUE(map.Load(path).ok());
  EXPECT_EQ(map.size(), defaults + 2);
  EXPECT_EQ(map.Find("VINAPHONE"), "vnpt_test");
  EXPECT_EQ(map.Find("45299"), "viettel");
  EXPECT_EQ(map.Find("LAB CELL"), "lab");
  EXPECT_EQ(map.Find("45202"), "vnpt");  // only the name was overridden
  EXPECT_EQ(map.Find("Viettel"), "viettel");

  OperatorMap bad;
  const Status s = bad.Load(WriteTemp("operators_bad.txt", "viettel = viettel\nmobifone\n"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(":2:"), std::string::npos) << s.message();
  EXPECT_EQ(bad.Load(WriteTemp("operators_bad2.txt", "viettel = vie ttel\n")).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.Load(::testing::TempDir() + "drive_test_log_none.txt").code(),
            StatusCode::kNotFound);

  // A G-NetTrack log read with the user map.
  const std::string log =
      WriteTemp("usermap.txt", std::string(kGNetTrackHeader) + "\n" +
                                   GNetTrackLine("2021.11.30_08.15.00", "106.2", "21.3", "",
                                                 "45299", "LTE", "-95", "", "", "") +
                                   "\n");
  auto reader = OpenMeasurementFile(log, MeasurementFormat::kAuto, map);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  const ReadResult r = ReadAll(*reader.value());
  ASSERT_EQ(r.rows.size(), 1u);
  ASSERT_FALSE(r.rows[0].rejection);
  EXPECT_EQ(r.rows[0].measurement.operator_id, "viettel");
}

TEST(DriveTestParsing, UtcOffsets) {
  EXPECT_EQ(ParseUtcOffset("+07:00"), 420);
  EXPECT_EQ(ParseUtcOffset("+0700"), 420);
  EXPECT_EQ(ParseUtcOffset("+07"), 420);
  EXPECT_EQ(ParseUtcOffset("7"), 420);
  EXPECT_EQ(ParseUtcOffset("UTC+7"), 420);
  EXPECT_EQ(ParseUtcOffset("-03:30"), -210);
  EXPECT_EQ(ParseUtcOffset("Z"), 0);
  EXPECT_EQ(ParseUtcOffset("UTC"), 0);
  EXPECT_EQ(ParseUtcOffset("+14:00"), 840);
  EXPECT_EQ(ParseUtcOffset("+14:30"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("+07:60"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("+7:0"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset("ICT"), std::nullopt);
  EXPECT_EQ(ParseUtcOffset(""), std::nullopt);
}

TEST(DriveTestParsing, TechnologyNames) {
  for (const char* name : {"LTE", "lte", "LTE-A", "LTE+", "LTE CA", "4G"}) {
    EXPECT_EQ(NormalizeTechnology(name), Technology::kLte) << name;
  }
  for (const char* name : {"UMTS", "HSPA", "HSPA+", "HSDPA", "HSUPA", "WCDMA", "3G"}) {
    EXPECT_EQ(NormalizeTechnology(name), Technology::kUmts) << name;
  }
  for (const char* name : {"GSM", "GPRS", "EDGE", "2G"}) {
    EXPECT_EQ(NormalizeTechnology(name), Technology::kGsm) << name;
  }
  for (const char* name : {"NR", "5G", "NR-NSA", "NR_SA", "5G NSA"}) {
    EXPECT_EQ(NormalizeTechnology(name), Technology::kNr) << name;
  }
  for (const char* name : {"WIMAX", "CDMA", "EVDO", "", "UNKNOWN"}) {
    EXPECT_EQ(NormalizeTechnology(name), std::nullopt) << name;
  }
}

TEST(DriveTestParsing, Timestamps) {
  const int vn = 420;
  EXPECT_EQ(ParseDriveTestTimestamp("2021.11.30_08.15.00", vn), Utc("2021-11-30T01:15:00Z"));
  EXPECT_EQ(ParseDriveTestTimestamp("2021.11.30_08.15.00.250", vn),
            Utc("2021-11-30T01:15:00.250Z"));
  EXPECT_EQ(ParseDriveTestTimestamp("2021.01.01_03.00.00", vn), Utc("2020-12-31T20:00:00Z"));
  EXPECT_EQ(ParseDriveTestTimestamp("2021-11-30 08:15:00", vn), Utc("2021-11-30T01:15:00Z"));
  EXPECT_EQ(ParseDriveTestTimestamp("2021/11/30 08:15:00", vn), Utc("2021-11-30T01:15:00Z"));
  EXPECT_EQ(ParseDriveTestTimestamp("2021-11-30T08:15:00Z", vn), Utc("2021-11-30T08:15:00Z"));
  EXPECT_EQ(ParseDriveTestTimestamp("2021-11-30T08:15:00+07:00", 0), Utc("2021-11-30T01:15:00Z"));
  EXPECT_EQ(ParseDriveTestTimestamp("2021-11-30T08:15:00-02:00", vn), Utc("2021-11-30T10:15:00Z"));
  EXPECT_EQ(ParseDriveTestTimestamp("2021.11.30_08.15.00", 0), Utc("2021-11-30T08:15:00Z"));
  EXPECT_EQ(ParseDriveTestTimestamp("2021.02.30_08.15.00", vn), std::nullopt);
  EXPECT_EQ(ParseDriveTestTimestamp("30/11/2021 08:15", vn), std::nullopt);
  EXPECT_EQ(ParseDriveTestTimestamp("", vn), std::nullopt);
}

}  // namespace
}  // namespace covgap::importers
