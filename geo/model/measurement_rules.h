// The "Valid input" rules of docs/domain.md for one measurement.
//
// MeasurementValidator checks a row and says why it is rejected: a machine-readable code and a
// sentence for people. Rules, in the order they are checked:
//   unknown_operator        operator id not registered
//   non_finite_coordinates  lat or lon is NaN or infinite
//   coordinates_swapped     outside the region, but inside it with lat and lon exchanged
//   outside_region          outside the deployment's bounding region (default Vietnam)
//   signal_out_of_range     outside the technology's reporting range (3GPP TS 36.133 etc.)
//   time_in_future          later than now + the allowed clock skew
//   time_invalid            before 2000-01-01 (no 3G/4G phone reported then; a zero time is a bug)
//   invalid_accuracy / invalid_throughput   a negative or non-finite optional figure
// Quality and SINR are free-form optional figures; only non-finite values are rejected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "geo/model/measurement.h"

namespace covgap::geo {

struct Region {
  double min_lon = 102.1;
  double max_lon = 109.5;
  double min_lat = 8.2;
  double max_lat = 23.4;
  bool Contains(double lat, double lon) const {
    return lon >= min_lon && lon <= max_lon && lat >= min_lat && lat <= max_lat;
  }
};

struct SignalRange {
  int min_dbm;
  int max_dbm;
};
// The reporting range of a technology's metric, inclusive.
SignalRange ReportingRange(Technology tech);

struct ValidationRules {
  Region region;
  std::int64_t max_clock_skew_ms = 10 * 60 * 1000;
};

struct Rejection {
  std::string code;
  std::string reason;
};

// The position rules shared by measurements, schools and households: finite coordinates, inside
// the region, and a point valid only with lat and lon exchanged said as such.
//   non_finite_coordinates | coordinates_swapped | outside_region
std::optional<Rejection> CheckPosition(const Region& region, double lat, double lon);

class MeasurementValidator {
 public:
  MeasurementValidator(ValidationRules rules, std::vector<std::string> registered_operators);

  // nullopt when the measurement is valid at time now_ms.
  std::optional<Rejection> Check(const Measurement& m, std::int64_t now_ms) const;

  bool IsRegistered(const std::string& operator_id) const;

 private:
  ValidationRules rules_;
  std::vector<std::string> operators_;
};

}  // namespace covgap::geo
