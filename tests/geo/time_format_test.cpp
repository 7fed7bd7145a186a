#include "geo/base/time_format.h"

#include <gtest/gtest.h>

namespace covgap::geo {
namespace {

TEST(ParseIso8601, UtcWithZ) {
  EXPECT_EQ(ParseIso8601("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseIso8601("2021-11-30T08:15:00Z"), 1638260100000);
}

TEST(ParseIso8601, FractionsOffsetsAndSpace) {
  EXPECT_EQ(ParseIso8601("2021-11-30T08:15:00.250Z"), 1638260100250);
  EXPECT_EQ(ParseIso8601("2021-11-30T08:15:00.2509Z"), 1638260100250);
  EXPECT_EQ(ParseIso8601("2021-11-30T15:15:00+07:00"), 1638260100000);
  EXPECT_EQ(ParseIso8601("2021-11-30T15:15:00+0700"), 1638260100000);
  EXPECT_EQ(ParseIso8601("2021-11-30T07:15:00-01"), 1638260100000);
  EXPECT_EQ(ParseIso8601("2021-11-30 08:15:00"), 1638260100000);
  EXPECT_EQ(ParseIso8601("2021-11-30T08:15"), 1638260100000);
  EXPECT_EQ(ParseIso8601("2021-11-30"), 1638230400000);
}

TEST(ParseIso8601, RejectsMalformedAndImpossible) {
  for (const char* bad :
       {"", "yesterday", "2021-11-31T00:00:00Z", "2021-02-29", "2021-13-01", "2021-11-30T24:00:00Z",
        "2021-11-30T08:60:00Z", "2021-11-30T08:15:00Q", "2021-11-30T08:15:00.Z", "21-11-30",
        "2021-11-30T08:15:00+25:00", "1638260100"}) {
    EXPECT_FALSE(ParseIso8601(bad).has_value()) << bad;
  }
  EXPECT_TRUE(ParseIso8601("2020-02-29").has_value());
}

TEST(FormatIso8601, RoundTrips) {
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{1638260100000}, std::int64_t{1638260100250},
                          std::int64_t{-86400000}, std::int64_t{4102444800000}}) {
    EXPECT_EQ(ParseIso8601(FormatIso8601(ms)), ms) << FormatIso8601(ms);
  }
  EXPECT_EQ(FormatIso8601(1638260100000), "2021-11-30T08:15:00Z");
  EXPECT_EQ(FormatIso8601(1638260100250), "2021-11-30T08:15:00.250Z");
}

TEST(CivilDate, DaysRoundTripOverFourCenturies) {
  for (std::int64_t days = -146097; days <= 146097; days += 7) {
    const CivilDate d = CivilFromDays(days);
    EXPECT_EQ(DaysFromCivil(d.year, static_cast<unsigned>(d.month), static_cast<unsigned>(d.day)),
              days);
  }
  EXPECT_EQ(FormatDate(CivilFromDays(0)), "1970-01-01");
  EXPECT_EQ(FormatDate(CivilFromDays(DaysFromCivil(2000, 2, 29))), "2000-02-29");
}

TEST(FormatDate, IsTheUtcDayOfATimestamp) {
  EXPECT_EQ(FormatDate(std::int64_t{1638260100000}), "2021-11-30");
  EXPECT_EQ(FormatDate(std::int64_t{-1}), "1969-12-31");  // before the epoch: the day before
  EXPECT_EQ(FormatDate(DaysFromCivil(2021, 12, 31) * kMsPerDay + kMsPerDay - 1), "2021-12-31");
}

}  // namespace
}  // namespace covgap::geo
