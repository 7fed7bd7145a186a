// One MeasurementService.Ingest call as a use case, without gRPC: each batch is checked (id, size,
// the token's rate), its rows validated (an operator's token may send only its own rows), then
// committed durably through the group committer with at most max_in_flight_batches pending, and
// the outcome summarised (geo::IngestReport). The handler parses the stream, calls, converts.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "geo/base/status.h"
#include "geo/model/ingest_report.h"
#include "geo/model/measurement.h"
#include "geo/model/measurement_rules.h"
#include "server/batch_committer.h"
#include "server/roles.h"

namespace covgap::server {

struct IngestLimits {
  std::size_t max_rows_per_batch = 50'000;
  double rows_per_second_per_token = 5'000'000;  // token bucket rate; 0 = unlimited
  double burst_rows_per_token = 10'000'000;      // bucket size
  std::size_t max_in_flight_batches = 8;
  std::size_t max_reported_rejections = 100'000;  // per call; the rest are counted
};

// Per-token ingestion rate limit (token buckets), shared by every call; thread-safe.
class IngestRateLimiter {
 public:
  explicit IngestRateLimiter(const IngestLimits& limits) : limits_(limits) {}
  // Takes `rows` from the token's bucket; false (nothing taken) when it holds fewer.
  bool Take(const std::string& token_id, std::size_t rows);

 private:
  struct Bucket {
    double rows = 0;
    std::chrono::steady_clock::time_point refilled;
  };
  IngestLimits limits_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

// A row as received: the measurement, or why it could not even be read (then refused as is).
struct ReceivedRow {
  geo::Measurement measurement;
  std::optional<geo::Rejection> unreadable;
};

class IngestCall {
 public:
  IngestCall(BatchCommitter& committer, const IngestLimits& limits, IngestRateLimiter& rate,
             geo::MeasurementValidator validator, Caller caller);

  // False once a commit has failed (read no further batch).
  bool ok() const { return failure_.ok(); }
  // Whether the next batch may come: InvalidArgument (bad batch id, too many rows, more rows
  // than the rate limit ever lets through), ResourceExhausted (the token's rate is spent).
  Status Check(const std::string& batch_id, std::size_t rows);
  // Validates and submits a checked batch.
  void Submit(const std::string& batch_id, std::vector<ReceivedRow> rows);
  // Waits for every pending commit: OK, or the first commit failure.
  Status Finish();
  const geo::IngestReport& report() const { return report_; }

 private:
  struct InFlight {
    std::future<StatusOr<store::BatchOutcome>> outcome;
    std::string batch_id;
    std::uint32_t rows = 0;
    std::uint32_t accepted = 0;
    std::vector<geo::RejectedRow> rejections;
  };
  void SettleOldest();

  BatchCommitter& committer_;
  IngestLimits limits_;
  IngestRateLimiter& rate_;
  geo::MeasurementValidator validator_;
  Caller caller_;
  std::deque<InFlight> in_flight_;
  std::uint64_t batch_index_ = 0;
  Status failure_;
  geo::IngestReport report_;
};

}  // namespace covgap::server
