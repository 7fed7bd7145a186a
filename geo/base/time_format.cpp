#include "geo/base/time_format.h"

#include <chrono>
#include <cstdio>

namespace covgap::geo {
namespace {

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return i_ == s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  bool Consume(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  // Exactly n decimal digits.
  bool Digits(int n, int& out) {
    if (s_.size() - i_ < static_cast<size_t>(n)) return false;
    int v = 0;
    for (int k = 0; k < n; ++k) {
      char c = s_[i_ + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    i_ += n;
    out = v;
    return true;
  }
  // One or more digits as a fraction; returns milliseconds (truncated).
  bool Fraction(int& ms) {
    int digits = 0;
    ms = 0;
    while (peek() >= '0' && peek() <= '9') {
      if (digits < 3) ms = ms * 10 + (peek() - '0');
      ++digits;
      ++i_;
    }
    if (digits == 0) return false;
    for (int k = digits; k < 3; ++k) ms *= 10;
    return true;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

}  // namespace

std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<std::int64_t> ParseIso8601(std::string_view text) {
  Cursor c(text);
  int year = 0, month = 0, day = 0;
  if (!c.Digits(4, year) || !c.Consume('-') || !c.Digits(2, month) || !c.Consume('-') ||
      !c.Digits(2, day)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  int hour = 0, minute = 0, second = 0, ms = 0, offset_min = 0;
  if (!c.done()) {
    if (!c.Consume('T') && !c.Consume(' ')) return std::nullopt;
    if (!c.Digits(2, hour) || !c.Consume(':') || !c.Digits(2, minute)) return std::nullopt;
    if (c.Consume(':')) {
      if (!c.Digits(2, second)) return std::nullopt;
      if ((c.Consume('.') || c.Consume(',')) && !c.Fraction(ms)) return std::nullopt;
    }
    if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
    if (c.Consume('Z')) {
    } else if (c.peek() == '+' || c.peek() == '-') {
      const int sign = c.peek() == '-' ? -1 : 1;
      c.Consume(c.peek());
      int oh = 0, om = 0;
      if (!c.Digits(2, oh)) return std::nullopt;
      if (c.Consume(':')) {
        if (!c.Digits(2, om)) return std::nullopt;
      } else if (!c.done()) {
        if (!c.Digits(2, om)) return std::nullopt;
      }
      if (oh > 14 || om > 59) return std::nullopt;
      offset_min = sign * (oh * 60 + om);
    }
  }
  if (!c.done()) return std::nullopt;
  const std::int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t seconds =
      days * 86400 + hour * 3600 + minute * 60 + second - std::int64_t{offset_min} * 60;
  return seconds * 1000 + ms;
}

std::string FormatIso8601(std::int64_t unix_ms) {
  std::int64_t seconds = unix_ms / 1000;
  int ms = static_cast<int>(unix_ms % 1000);
  if (ms < 0) {
    ms += 1000;
    --seconds;
  }
  std::int64_t days = seconds / 86400;
  std::int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  const CivilDate date = CivilFromDays(days);
  char buf[40];
  const int h = static_cast<int>(rem / 3600), mi = static_cast<int>(rem / 60 % 60),
            s = static_cast<int>(rem % 60);
  if (ms != 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", date.year, date.month,
                  date.day, h, mi, s, ms);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", date.year, date.month,
                  date.day, h, mi, s);
  }
  return buf;
}

CivilDate CivilFromDays(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return {static_cast<int>(year), static_cast<int>(month), static_cast<int>(day)};
}

CivilDate CivilFromUnixMs(std::int64_t unix_ms) {
  std::int64_t days = unix_ms / kMsPerDay;
  if (unix_ms % kMsPerDay < 0) --days;
  return CivilFromDays(days);
}

std::string FormatDate(const CivilDate& date) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", date.year, date.month, date.day);
  return buf;
}

std::string FormatDate(std::int64_t unix_ms) { return FormatDate(CivilFromUnixMs(unix_ms)); }

std::int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace covgap::geo
