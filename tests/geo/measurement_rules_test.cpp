// One test per rule of docs/domain.md "Valid input".
#include "geo/model/measurement_rules.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "geo/base/time_format.h"

namespace covgap::geo {
namespace {

constexpr std::int64_t kNow = 1638316800000;  // 2021-12-01T00:00:00Z

class MeasurementRulesTest : public ::testing::Test {
 protected:
  Measurement Valid() const {
    Measurement m;
    m.operator_id = "viettel";
    m.tech = Technology::kLte;
    m.lat = 21.3;
    m.lon = 106.3;
    m.signal_dbm = -100;
    m.time_ms = kNow - 3600 * 1000;
    m.source = Source::kDrive;
    return m;
  }
  std::string CodeOf(const Measurement& m) const {
    auto r = validator_.Check(m, kNow);
    return r ? r->code : "ok";
  }
  MeasurementValidator validator_{ValidationRules{}, {"viettel", "vnpt", "mobifone"}};
};

TEST_F(MeasurementRulesTest, ValidRowPasses) { EXPECT_EQ(CodeOf(Valid()), "ok"); }

TEST_F(MeasurementRulesTest, UnknownOperator) {
  Measurement m = Valid();
  m.operator_id = "acme";
  auto r = validator_.Check(m, kNow);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, "unknown_operator");
  EXPECT_NE(r->reason.find("acme"), std::string::npos);
}

TEST_F(MeasurementRulesTest, NonFiniteCoordinates) {
  Measurement m = Valid();
  m.lat = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(CodeOf(m), "non_finite_coordinates");
  m = Valid();
  m.lon = std::numeric_limits<double>::infinity();
  EXPECT_EQ(CodeOf(m), "non_finite_coordinates");
}

TEST_F(MeasurementRulesTest, SwappedCoordinatesAreSaidAsSuch) {
  Measurement m = Valid();
  m.lat = 106.3;
  m.lon = 21.3;
  auto r = validator_.Check(m, kNow);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, "coordinates_swapped");
  EXPECT_NE(r->reason.find("swapped"), std::string::npos);
}

TEST_F(MeasurementRulesTest, OutsideRegion) {
  Measurement m = Valid();
  m.lat = 48.85;  // Paris: neither way round in Vietnam
  m.lon = 2.35;
  EXPECT_EQ(CodeOf(m), "outside_region");
  m = Valid();
  m.lon = 109.6;  // just east of the box
  EXPECT_EQ(CodeOf(m), "outside_region");
}

TEST_F(MeasurementRulesTest, RegionEdgesAreInclusive) {
  Measurement m = Valid();
  m.lat = 8.2;
  m.lon = 102.1;
  EXPECT_EQ(CodeOf(m), "ok");
  m.lat = 23.4;
  m.lon = 109.5;
  EXPECT_EQ(CodeOf(m), "ok");
}

struct RangeCase {
  Technology tech;
  int min_dbm;
  int max_dbm;
};

class SignalRangeTest : public MeasurementRulesTest,
                        public ::testing::WithParamInterface<RangeCase> {};

TEST_P(SignalRangeTest, InclusiveReportingRange) {
  const RangeCase c = GetParam();
  Measurement m = Valid();
  m.tech = c.tech;
  m.signal_dbm = c.min_dbm;
  EXPECT_EQ(CodeOf(m), "ok");
  m.signal_dbm = c.max_dbm;
  EXPECT_EQ(CodeOf(m), "ok");
  m.signal_dbm = c.min_dbm - 1;
  EXPECT_EQ(CodeOf(m), "signal_out_of_range");
  m.signal_dbm = c.max_dbm + 1;
  EXPECT_EQ(CodeOf(m), "signal_out_of_range");
}

INSTANTIATE_TEST_SUITE_P(AllTechnologies, SignalRangeTest,
                         ::testing::Values(RangeCase{Technology::kLte, -140, -43},
                                           RangeCase{Technology::kUmts, -120, -24},
                                           RangeCase{Technology::kGsm, -113, -51},
                                           RangeCase{Technology::kNr, -156, -31}));

TEST_F(MeasurementRulesTest, FutureBeyondClockSkew) {
  Measurement m = Valid();
  m.time_ms = kNow + 9 * 60 * 1000;  // within the 10-minute skew
  EXPECT_EQ(CodeOf(m), "ok");
  m.time_ms = kNow + 11 * 60 * 1000;
  EXPECT_EQ(CodeOf(m), "time_in_future");
}

TEST_F(MeasurementRulesTest, OldSamplesAreStoredButNotBefore2000) {
  Measurement m = Valid();
  m.time_ms = *ParseIso8601("2015-06-01T00:00:00Z");
  EXPECT_EQ(CodeOf(m), "ok");
  m.time_ms = 0;
  EXPECT_EQ(CodeOf(m), "time_invalid");
}

TEST_F(MeasurementRulesTest, OptionalFigures) {
  Measurement m = Valid();
  m.accuracy_m = 5;
  m.dl_kbps = 1200;
  m.quality_db = -12;
  m.sinr_db = -3;
  EXPECT_EQ(CodeOf(m), "ok");
  m.accuracy_m = -1;
  EXPECT_EQ(CodeOf(m), "invalid_accuracy");
  m = Valid();
  m.dl_kbps = -5;
  EXPECT_EQ(CodeOf(m), "invalid_throughput");
  m = Valid();
  m.sinr_db = std::numeric_limits<float>::infinity();
  EXPECT_EQ(CodeOf(m), "invalid_quality");
}

TEST(TechnologyNames, ParseAliases) {
  EXPECT_EQ(ParseTechnology("lte"), Technology::kLte);
  EXPECT_EQ(ParseTechnology("4G"), Technology::kLte);
  EXPECT_EQ(ParseTechnology("WCDMA"), Technology::kUmts);
  EXPECT_EQ(ParseTechnology("3g"), Technology::kUmts);
  EXPECT_EQ(ParseTechnology("GSM"), Technology::kGsm);
  EXPECT_EQ(ParseTechnology("5G"), Technology::kNr);
  EXPECT_FALSE(ParseTechnology("WIMAX"));
  EXPECT_FALSE(ParseTechnology(""));
}

}  // namespace
}  // namespace covgap::geo
