#include "geo/base/csv.h"

#include <gtest/gtest.h>

namespace covgap::geo {
namespace {

TEST(CsvQuote, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(CsvQuote("plain"), "plain");
  EXPECT_EQ(CsvQuote("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvQuote("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvQuote("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvQuote("cr\r"), "\"cr\r\"");
  EXPECT_EQ(CsvQuote(""), "");
}

TEST(CsvQuote, QuotesTheDelimiterItIsGiven) {
  EXPECT_EQ(CsvQuote("a;b", ';'), "\"a;b\"");
  EXPECT_EQ(CsvQuote("a,b", ';'), "a,b");
  EXPECT_EQ(CsvQuote("Bắc Giang", ';'), "Bắc Giang");
}

TEST(SpreadsheetCsvQuote, NeutralisesFormulasButNotNumbers) {
  EXPECT_EQ(SpreadsheetCsvQuote("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(SpreadsheetCsvQuote("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(SpreadsheetCsvQuote("-12"), "-12");
  EXPECT_EQ(SpreadsheetCsvQuote("+84"), "+84");
  EXPECT_EQ(SpreadsheetCsvQuote("-x"), "'-x");
  EXPECT_EQ(SpreadsheetCsvQuote("Lục Ngạn, Bắc Giang"), "\"Lục Ngạn, Bắc Giang\"");
}

}  // namespace
}  // namespace covgap::geo
