// An operator's base station (docs/domain.md "site"): what the coverage prediction
// (docs/prediction.md) needs to compute a path loss from it. Positions are WGS84 lon/lat.
// Sites are owned by their operator: an operator imports only its own; the authority any.
#pragma once

#include <optional>
#include <string>

#include "geo/model/measurement.h"

namespace covgap::geo {

struct Site {
  std::string site_id;  // unique over all operators (upsert key)
  std::string operator_id;
  Technology tech = Technology::kLte;
  double lat = 0;
  double lon = 0;
  double height_m = 30;                 // antenna height above ground, 1 … 300 m
  std::optional<double> azimuth_deg;    // main lobe, 0 … 360 clockwise from north; none = omni
  std::optional<double> beamwidth_deg;  // horizontal 3 dB beamwidth, 1 … 360; default 65
  double band_mhz = 1800;               // carrier frequency, 100 … 6000 MHz
  double eirp_dbm = 60;  // the carrier's total EIRP; the prediction subtracts the reference-signal
                         // share (LTE: 10·log10(1200 subcarriers), UMTS: 10 dB CPICH)
};

}  // namespace covgap::geo
