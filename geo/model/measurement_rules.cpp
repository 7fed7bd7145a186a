#include "geo/model/measurement_rules.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "geo/base/time_format.h"

namespace covgap::geo {
namespace {

constexpr std::int64_t kEarliestMs = 946684800000;  // 2000-01-01T00:00:00Z

std::string Format(const char* fmt, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

}  // namespace

SignalRange ReportingRange(Technology tech) {
  switch (tech) {
    case Technology::kLte:
      return {-140, -43};
    case Technology::kUmts:
      return {-120, -24};
    case Technology::kGsm:
      return {-113, -51};
    case Technology::kNr:
      return {-156, -31};
  }
  return {0, -1};
}

std::optional<Rejection> CheckPosition(const Region& r, double lat, double lon) {
  if (!std::isfinite(lat) || !std::isfinite(lon)) {
    return Rejection{"non_finite_coordinates", "latitude or longitude is not a finite number"};
  }
  if (r.Contains(lat, lon)) return std::nullopt;
  if (r.Contains(lon, lat)) {
    return Rejection{"coordinates_swapped",
                     Format("latitude and longitude look swapped: lat=%.6f lon=%.6f is outside "
                            "the region, lat=%.6f lon=%.6f is inside",
                            lat, lon, lon, lat)};
  }
  return Rejection{"outside_region",
                   Format("position lat=%.6f lon=%.6f is outside the region (lon %.2f..%.2f, "
                          "lat %.2f..%.2f)",
                          lat, lon, r.min_lon, r.max_lon, r.min_lat, r.max_lat)};
}

MeasurementValidator::MeasurementValidator(ValidationRules rules,
                                           std::vector<std::string> registered_operators)
    : rules_(rules), operators_(std::move(registered_operators)) {
  std::sort(operators_.begin(), operators_.end());
}

bool MeasurementValidator::IsRegistered(const std::string& operator_id) const {
  return std::binary_search(operators_.begin(), operators_.end(), operator_id);
}

std::optional<Rejection> MeasurementValidator::Check(const Measurement& m,
                                                     std::int64_t now_ms) const {
  if (!IsRegistered(m.operator_id)) {
    return Rejection{"unknown_operator",
                     "operator '" + m.operator_id + "' is not a registered operator id"};
  }
  if (auto r = CheckPosition(rules_.region, m.lat, m.lon)) return r;
  const SignalRange range = ReportingRange(m.tech);
  if (m.signal_dbm < range.min_dbm || m.signal_dbm > range.max_dbm) {
    return Rejection{
        "signal_out_of_range",
        Format("%s signal %d dBm is outside the reporting range %d..%d dBm",
               std::string(ToString(m.tech)).c_str(), m.signal_dbm, range.min_dbm, range.max_dbm)};
  }
  if (m.time_ms > now_ms + rules_.max_clock_skew_ms) {
    return Rejection{"time_in_future", "time " + FormatIso8601(m.time_ms) +
                                           " is in the future (now is " + FormatIso8601(now_ms) +
                                           ")"};
  }
  if (m.time_ms < kEarliestMs) {
    return Rejection{"time_invalid", "time " + FormatIso8601(m.time_ms) + " is before 2000-01-01"};
  }
  if (!std::isnan(m.accuracy_m) && !(std::isfinite(m.accuracy_m) && m.accuracy_m >= 0)) {
    return Rejection{"invalid_accuracy", "accuracy_m must be a non-negative number"};
  }
  if (!std::isnan(m.dl_kbps) && !(std::isfinite(m.dl_kbps) && m.dl_kbps >= 0)) {
    return Rejection{"invalid_throughput", "dl_kbps must be a non-negative number"};
  }
  if (std::isinf(m.quality_db) || std::isinf(m.sinr_db)) {
    return Rejection{"invalid_quality", "quality_db and sinr_db must be finite"};
  }
  return std::nullopt;
}

}  // namespace covgap::geo
