// Domain types of one signal observation.
//
// A Measurement is what an operator reports: operator, technology, WGS84 position, signal level in
// dBm (RSRP for LTE, RSCP for UMTS, RxLev/RSSI for GSM, SS-RSRP for NR), time, source and optional
// quality figures. Optional figures are NaN when absent. Plain C++ only: geo/ never sees protobuf.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace covgap::geo {

enum class Technology : std::uint8_t { kGsm = 1, kUmts = 2, kLte = 3, kNr = 4 };
inline constexpr Technology kAllTechnologies[] = {Technology::kGsm, Technology::kUmts,
                                                  Technology::kLte, Technology::kNr};

enum class Source : std::uint8_t { kUnspecified = 0, kDrive = 1, kCrowd = 2, kMdt = 3 };

// "GSM", "UMTS", "LTE", "NR".
std::string_view ToString(Technology tech);
// "drive", "crowd", "mdt", "" for unspecified.
std::string_view ToString(Source source);
// Accepts the canonical names and common aliases, case-insensitively: 2G/GSM, 3G/UMTS/WCDMA/HSPA,
// 4G/LTE, 5G/NR.
std::optional<Technology> ParseTechnology(std::string_view text);
// Accepts "drive", "crowd", "mdt" (case-insensitive) and "" (unspecified).
std::optional<Source> ParseSource(std::string_view text);

inline constexpr float kAbsent = std::numeric_limits<float>::quiet_NaN();

struct Measurement {
  std::string operator_id;
  Technology tech = Technology::kLte;
  double lat = 0;
  double lon = 0;
  int signal_dbm = 0;
  std::int64_t time_ms = 0;  // milliseconds since the Unix epoch, UTC
  Source source = Source::kUnspecified;
  std::string device_id;
  float accuracy_m = kAbsent;
  float quality_db = kAbsent;
  float sinr_db = kAbsent;
  float dl_kbps = kAbsent;
};

}  // namespace covgap::geo
