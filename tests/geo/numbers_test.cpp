#include "geo/base/numbers.h"

#include <gtest/gtest.h>

namespace covgap::geo {
namespace {

TEST(ParseInteger, TakesAllOfTheTextWithinRange) {
  EXPECT_EQ(ParseInteger("64", 1, 4096), 64);
  EXPECT_EQ(ParseInteger("-5", -10, 10), -5);
  EXPECT_EQ(ParseInteger("0", 0, 3600), 0);
  for (const char* bad : {"", "lots", "12x", "1.5", "4097", "0x10"}) {
    EXPECT_FALSE(ParseInteger(bad, 1, 4096).has_value()) << bad;
  }
  EXPECT_FALSE(ParseInteger("99999999999999999999", 0, 10).has_value()) << "overflow";
}

}  // namespace
}  // namespace covgap::geo
