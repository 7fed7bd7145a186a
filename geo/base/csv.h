// CSV output, the one copy of its quoting rules (RFC 4180): a field holding the delimiter, a
// double quote, CR or LF is wrapped in double quotes, its quotes doubled; any other is as is.
#pragma once

#include <string>
#include <string_view>

namespace covgap::geo {

std::string CsvQuote(std::string_view field, char delimiter = ',');

// For files a person opens in a spreadsheet (the report's CSV): as CsvQuote, and a field that
// starts with =, +, - or @ and is not a plain negative or signed number gets a leading ' so that
// the spreadsheet shows it instead of evaluating it as a formula.
std::string SpreadsheetCsvQuote(std::string_view field);

}  // namespace covgap::geo
