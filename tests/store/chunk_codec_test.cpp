#include "server/store/chunk_codec.h"

#include <gtest/gtest.h>

#include <cmath>

namespace covgap::store {
namespace {

TEST(ChunkCodec, RoundTripsEveryColumn) {
  MeasurementColumns c;
  geo::Measurement m;
  m.lat = 21.1234567;
  m.lon = 106.7654321;
  m.signal_dbm = -117;
  m.time_ms = 1638260100123;
  m.source = geo::Source::kCrowd;
  m.accuracy_m = 7.5f;
  AppendMeasurement(m, 42, c);
  m.lat = -8.5;
  m.accuracy_m = geo::kAbsent;
  AppendMeasurement(m, 0, c);
  const std::string blob = EncodeColumns(c);
  MeasurementColumns d;
  ASSERT_TRUE(
      DecodeColumns({reinterpret_cast<const std::uint8_t*>(blob.data()), blob.size()}, d).ok());
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d.lat_e7[0], 211234567);
  EXPECT_EQ(d.lon_e7[0], 1067654321);
  EXPECT_EQ(d.lat_e7[1], -85000000);
  EXPECT_EQ(d.signal_dbm[0], -117);
  EXPECT_EQ(d.time_ms[0], 1638260100123);
  EXPECT_EQ(d.source[0], static_cast<std::uint8_t>(geo::Source::kCrowd));
  EXPECT_EQ(d.device_hash[0], 42u);
  EXPECT_FLOAT_EQ(d.accuracy_m[0], 7.5f);
  EXPECT_TRUE(std::isnan(d.accuracy_m[1]));
}

TEST(ChunkCodec, RejectsTruncatedAndForeignBlobs) {
  MeasurementColumns c;
  AppendMeasurement(geo::Measurement{}, 0, c);
  std::string blob = EncodeColumns(c);
  MeasurementColumns d;
  auto span = [](const std::string& s) {
    return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  EXPECT_FALSE(DecodeColumns(span(blob.substr(0, blob.size() - 1)), d).ok());
  EXPECT_FALSE(DecodeColumns(span(blob + "x"), d).ok());
  EXPECT_FALSE(DecodeColumns(span("XXXX0000"), d).ok());
  EXPECT_FALSE(DecodeColumns(span(""), d).ok());
}

}  // namespace
}  // namespace covgap::store
