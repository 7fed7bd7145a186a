#include "geo/base/numbers.h"

#include <cerrno>
#include <cstdlib>

namespace covgap::geo {

std::optional<long long> ParseInteger(const std::string& text, long long min, long long max) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size() || v < min || v > max) return std::nullopt;
  return v;
}

}  // namespace covgap::geo
