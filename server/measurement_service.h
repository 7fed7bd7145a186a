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

#include <cstddef>
#include <string>

#include "covgap/v1/measurement.grpc.pb.h"
#include "geo/model/measurement_rules.h"
#include "server/access_control.h"
#include "server/app/ingest_call.h"
#include "server/batch_committer.h"
#include "server/metrics.h"
#include "server/store/store.h"

namespace covgap::server {

class MeasurementService final : public v1::MeasurementService::Service {
 public:
  // `metrics` (may be null) gets each successful call's rows and batches.
  MeasurementService(store::Store& store, BatchCommitter& committer, geo::ValidationRules rules,
                     IngestLimits limits, const AccessControl& access, Metrics* metrics = nullptr);

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
  IngestRateLimiter rate_;  // per token, over every call
  Metrics* metrics_;
};

}  // namespace covgap::server
