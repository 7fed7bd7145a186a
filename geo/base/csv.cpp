#include "geo/base/csv.h"

#include <algorithm>

namespace covgap::geo {

std::string CsvQuote(std::string_view field, char delimiter) {
  const char special[] = {delimiter, '"', '\r', '\n'};
  if (field.find_first_of(std::string_view(special, sizeof special)) == std::string_view::npos) {
    return std::string(field);
  }
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string SpreadsheetCsvQuote(std::string_view field) {
  if (!field.empty() &&
      (field[0] == '=' || field[0] == '+' || field[0] == '-' || field[0] == '@') &&
      !std::all_of(field.begin() + 1, field.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return CsvQuote("'" + std::string(field));
  }
  return CsvQuote(field);
}

}  // namespace covgap::geo
