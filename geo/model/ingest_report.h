// What one ingest call did with its batches (MeasurementService.Ingest; docs/ingestion.md): per
// batch its accepted, rejected and duplicate rows, the totals, and the rejected rows with their
// reason (up to a cap; the rest are counted).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace covgap::geo {

struct RejectedRow {
  std::string batch_id;
  std::uint32_t index = 0;  // the row's position in its batch
  std::string code;         // e.g. "latlon_swapped", "operator_mismatch"
  std::string reason;
};

struct BatchReport {
  std::string batch_id;
  std::uint32_t accepted = 0;
  std::uint32_t rejected = 0;
  std::uint32_t duplicate = 0;  // every row, when the batch id was stored before
};

struct IngestReport {
  std::vector<BatchReport> batches;
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  std::uint64_t duplicate = 0;
  std::vector<RejectedRow> rejections;
  std::uint64_t rejections_omitted = 0;
};

}  // namespace covgap::geo
