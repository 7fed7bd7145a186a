// Log lines to stderr: "2021-12-01T08:00:00.123Z INFO message". Thread-safe; one line per call.
// Library diagnostics (GDAL, GEOS, PROJ) are routed here too.
#pragma once

#include <string_view>

namespace covgap {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

void SetLogLevel(LogLevel level);
void Log(LogLevel level, std::string_view message);
inline void LogInfo(std::string_view m) { Log(LogLevel::kInfo, m); }
inline void LogWarning(std::string_view m) { Log(LogLevel::kWarning, m); }
inline void LogError(std::string_view m) { Log(LogLevel::kError, m); }

}  // namespace covgap
