// Binary encoding of a MeasurementColumns block ("CGM1"): a 4-byte magic, the row count, then each
// column as a little-endian array in the order of the struct. Used by the SQLite store for the
// measurement_chunks.data blobs. Decode validates sizes and never reads past the blob.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "geo/base/status.h"
#include "server/store/store.h"

namespace covgap::store {

std::string EncodeColumns(const MeasurementColumns& columns);
Status DecodeColumns(std::span<const std::uint8_t> blob, MeasurementColumns& columns);

// Appends one measurement to columns (lat/lon rounded to 1e-7 degrees).
void AppendMeasurement(const geo::Measurement& m, std::uint64_t device_hash,
                       MeasurementColumns& columns);

}  // namespace covgap::store
