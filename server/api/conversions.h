// Protobuf <-> domain conversion, in one place for covgapd and the covgap CLI.
#pragma once

#include <optional>

#include "covgap/v1/measurement.pb.h"
#include "geo/measurement.h"
#include "geo/measurement_rules.h"
#include "server/store/store.h"

namespace covgap::api {

v1::Technology ToProto(geo::Technology tech);
v1::Source ToProto(geo::Source source);
// nullopt for TECHNOLOGY_UNSPECIFIED or an unknown enum value.
std::optional<geo::Technology> FromProto(v1::Technology tech);

void ToProto(const geo::Measurement& m, v1::Measurement& out);
// Fills `out`; returns a rejection when the message cannot be a measurement at all (unknown
// technology or source). The validation rules proper are geo::MeasurementValidator's.
std::optional<geo::Rejection> FromProto(const v1::Measurement& in, geo::Measurement& out);

void ToProto(const store::StoreStats& stats, v1::Stats& out);

}  // namespace covgap::api
