// MeasurementService: ingestion (client streaming of batches) and measurement counts.
//
// Ingest: each batch is converted and validated row by row (a bad row is rejected with its index
// and reason; the good rows of the batch are kept), then handed to the BatchCommitter. The summary
// is sent only after every batch of the call is durable. A batch id seen before is a no-op whose
// rows count as duplicates. At most `max_in_flight_batches` batches of one call wait for their
// commit at a time, so a call cannot queue unbounded work. An operator's token may only submit its
// own operator's rows (others are rejected with code operator_mismatch), and each token has an
// ingestion rate limit (rows per second, a token bucket): beyond it the call ends with
// RESOURCE_EXHAUSTED, the batches before stay acknowledged.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "covgap/v1/measurement.grpc.pb.h"
#include "geo/model/measurement_rules.h"
#include "server/access_control.h"
#include "server/batch_committer.h"
#include "server/store/store.h"

namespace covgap::server {

struct IngestLimits {
  std::size_t max_rows_per_batch = 50'000;
  double rows_per_second_per_token = 5'000'000;  // token bucket rate; 0 = unlimited
  double burst_rows_per_token = 10'000'000;      // bucket size
  std::size_t max_in_flight_batches = 8;
  std::size_t max_reported_rejections = 100'000;  // per call; the rest are counted
};

class MeasurementService final : public v1::MeasurementService::Service {
 public:
  MeasurementService(store::Store& store, BatchCommitter& committer, geo::ValidationRules rules,
                     IngestLimits limits, const AccessControl& access);

  grpc::Status Ingest(grpc::ServerContext* context,
                      grpc::ServerReader<v1::MeasurementBatch>* reader,
                      v1::IngestSummary* summary) override;
  grpc::Status GetStats(grpc::ServerContext* context, const v1::GetStatsRequest* request,
                        v1::Stats* response) override;

 private:
  store::Store& store_;
  BatchCommitter& committer_;
  geo::ValidationRules rules_;
  IngestLimits limits_;
  const AccessControl& access_;
  // Per-token ingestion rate limit (token buckets).
  bool TakeRows(const std::string& token_id, std::size_t rows);
  std::mutex buckets_mu_;
  struct Bucket {
    double rows = 0;
    std::chrono::steady_clock::time_point refilled;
  };
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace covgap::server
