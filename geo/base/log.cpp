#include "geo/base/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "geo/base/time_format.h"

namespace covgap {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::mutex g_mu;
}  // namespace

void SetLogLevel(LogLevel level) { g_level = level; }

void Log(LogLevel level, std::string_view message) {
  if (level < g_level.load()) return;
  static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  const std::string line = geo::FormatIso8601(geo::NowUnixMs()) + " " +
                           kNames[static_cast<int>(level)] + " " + std::string(message) + "\n";
  std::lock_guard lock(g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace covgap
