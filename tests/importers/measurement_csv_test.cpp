#include "importers/measurement_csv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

namespace covgap::importers {
namespace {

std::vector<CsvMeasurementRow> ReadAll(const std::string& content, std::size_t chunk = 1000) {
  auto reader = MeasurementCsvReader::FromString(content);
  EXPECT_TRUE(reader.ok()) << reader.status().message();
  std::vector<CsvMeasurementRow> rows;
  CsvMeasurementChunk c;
  while (reader.value()->Next(c, chunk)) {
    for (auto& r : c.rows) rows.push_back(r);
  }
  return rows;
}

TEST(MeasurementCsv, ReadsRequiredAndOptionalColumnsByName) {
  const auto rows = ReadAll(
      "timestamp,lon,lat,operator,tech,signal_dbm,extra,accuracy_m,dl_kbps\n"
      "2021-11-30T08:15:00Z,106.3,21.3,Viettel,LTE,-101,x,4.5,\n");
  ASSERT_EQ(rows.size(), 1u);
  const auto& m = rows[0].measurement;
  EXPECT_FALSE(rows[0].rejection);
  EXPECT_EQ(m.operator_id, "viettel");  // lower-cased
  EXPECT_EQ(m.tech, geo::Technology::kLte);
  EXPECT_DOUBLE_EQ(m.lat, 21.3);
  EXPECT_DOUBLE_EQ(m.lon, 106.3);
  EXPECT_EQ(m.signal_dbm, -101);
  EXPECT_EQ(m.time_ms, 1638260100000);
  EXPECT_FLOAT_EQ(m.accuracy_m, 4.5f);
  EXPECT_TRUE(std::isnan(m.dl_kbps));
  EXPECT_EQ(m.source, geo::Source::kUnspecified);
  EXPECT_EQ(rows[0].line, 2u);
}

TEST(MeasurementCsv, MissingRequiredColumnIsAnErrorNamingIt) {
  auto reader = MeasurementCsvReader::FromString("operator,tech,lat,lon,timestamp\n");
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("signal_dbm"), std::string::npos);
  EXPECT_FALSE(MeasurementCsvReader::FromString("").ok());
}

TEST(MeasurementCsv, BomCrlfQuotesAndBlankLines) {
  const auto rows = ReadAll(
      "\xEF\xBB\xBFoperator,tech,lat,lon,signal_dbm,timestamp,device_id\r\n"
      "vnpt,UMTS,21.3,106.3,-90,2021-11-30T08:15:00Z,\"dev,1 \"\"a\"\"\"\r\n"
      "\r\n"
      "vnpt,3G,21.3,106.3,-90.4,2021-11-30T08:15:00Z,d2");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].measurement.device_id, "dev,1 \"a\"");
  EXPECT_EQ(rows[1].measurement.signal_dbm, -90);
  EXPECT_EQ(rows[1].measurement.tech, geo::Technology::kUmts);
  EXPECT_EQ(rows[1].line, 4u);
}

TEST(MeasurementCsv, UnparseableRowsComeBackWithReasons) {
  const auto rows = ReadAll(
      "operator,tech,lat,lon,signal_dbm,timestamp,source\n"
      "viettel,WIMAX,21.3,106.3,-100,2021-11-30T08:00:00Z,drive\n"
      "viettel,LTE,21.3,106.3,abc,2021-11-30T08:00:00Z,drive\n"
      "viettel,LTE,,106.3,-100,2021-11-30T08:00:00Z,drive\n"
      "viettel,LTE,21.3,106.3,-100,yesterday,drive\n"
      "viettel,LTE,21.3,106.3,-100,2021-11-30T08:00:00Z,bike\n"
      "viettel,LTE,21.3,106.3\n"
      "viettel,LTE,21.3,106.3,-100,2021-11-30T08:00:00Z,crowd\n");
  ASSERT_EQ(rows.size(), 7u);
  const char* expected[] = {"unknown_technology", "not_a_number",   "missing_value",
                            "bad_timestamp",      "unknown_source", "wrong_column_count"};
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(rows[i].rejection) << i;
    EXPECT_EQ(rows[i].rejection->code, expected[i]);
  }
  EXPECT_FALSE(rows[6].rejection);
}

TEST(MeasurementCsv, ChunksKeepRawLinesForIdsAndRejects) {
  auto reader = MeasurementCsvReader::FromString(
      "operator,tech,lat,lon,signal_dbm,timestamp\n"
      "viettel,LTE,21.3,106.3,-100,2021-11-30T08:00:00Z\n"
      "vnpt,LTE,21.4,106.4,-110,2021-11-30T08:00:01Z\n"
      "mobifone,LTE,21.5,106.5,-120,2021-11-30T08:00:02Z\n");
  ASSERT_TRUE(reader.ok());
  CsvMeasurementChunk c;
  ASSERT_TRUE(reader.value()->Next(c, 2));
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_EQ(c.Raw(c.rows[1]), "vnpt,LTE,21.4,106.4,-110,2021-11-30T08:00:01Z");
  EXPECT_EQ(c.text,
            "viettel,LTE,21.3,106.3,-100,2021-11-30T08:00:00Z\n"
            "vnpt,LTE,21.4,106.4,-110,2021-11-30T08:00:01Z\n");
  ASSERT_TRUE(reader.value()->Next(c, 2));
  EXPECT_EQ(c.rows.size(), 1u);
  EXPECT_FALSE(reader.value()->Next(c, 2));
  EXPECT_EQ(reader.value()->bytes_consumed(), reader.value()->total_bytes());
}

TEST(MeasurementCsv, LargeFileAcrossReadBuffers) {
  const std::string path = ::testing::TempDir() + "/big.csv";
  {
    std::ofstream out(path);
    out << "operator,tech,lat,lon,signal_dbm,timestamp\n";
    for (int i = 0; i < 100000; ++i) {
      out << "viettel,LTE,21." << (i % 1000) << ",106.3," << -(60 + i % 70)
          << ",2021-11-30T08:00:00Z\n";
    }
  }
  auto reader = MeasurementCsvReader::Open(path);
  ASSERT_TRUE(reader.ok());
  CsvMeasurementChunk c;
  std::size_t n = 0, bad = 0;
  long long sum = 0;
  while (reader.value()->Next(c, 4096)) {
    for (const auto& r : c.rows) {
      ++n;
      bad += r.rejection.has_value();
      sum += r.measurement.signal_dbm;
    }
  }
  EXPECT_EQ(n, 100000u);
  EXPECT_EQ(bad, 0u);
  long long expected = 0;
  for (int i = 0; i < 100000; ++i) expected -= 60 + i % 70;
  EXPECT_EQ(sum, expected);
  EXPECT_TRUE(reader.value()->status().ok());
  std::remove(path.c_str());
}

TEST(MeasurementCsv, MissingFileIsNotFound) {
  auto reader = MeasurementCsvReader::Open("/nonexistent/file.csv");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace covgap::importers
