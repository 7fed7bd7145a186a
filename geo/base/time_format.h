// ISO 8601 timestamps <-> milliseconds since the Unix epoch (UTC).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace covgap::geo {

// Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff…]]" with "T" or one space between date and time,
// followed by "Z", "+HH:MM", "+HHMM", "+HH" (or "-…") or nothing (then UTC is assumed). Fractions
// beyond milliseconds are truncated. Returns nullopt for anything else, including impossible
// dates (2021-02-30) and times (24:00:01).
std::optional<std::int64_t> ParseIso8601(std::string_view text);

// "YYYY-MM-DDTHH:MM:SSZ", with ".mmm" when the milliseconds are not zero.
std::string FormatIso8601(std::int64_t unix_ms);

inline constexpr std::int64_t kMsPerDay = 86'400'000;

// A proleptic Gregorian calendar date.
struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

// Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard Hinnant's algorithms;
// the one copy of calendar arithmetic in covgap).
std::int64_t DaysFromCivil(std::int64_t year, unsigned month, unsigned day);
CivilDate CivilFromDays(std::int64_t days);
// The UTC calendar date of a Unix timestamp in milliseconds (negative ones included).
CivilDate CivilFromUnixMs(std::int64_t unix_ms);

// "YYYY-MM-DD" of a date, or of the UTC day of a timestamp.
std::string FormatDate(const CivilDate& date);
std::string FormatDate(std::int64_t unix_ms);

// Milliseconds since the epoch, from the system clock.
std::int64_t NowUnixMs();

}  // namespace covgap::geo
