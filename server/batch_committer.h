// Group commit for ingestion.
//
// Ingest handlers validate their batches in parallel and Submit() them here; one writer thread
// takes everything that is waiting (up to max_rows_per_commit rows) and stores it with a single
// Store::CommitBatches call: one transaction, one fsync for many batches. Each future resolves when
// its batch is durable (or with the error that stopped its transaction). The queue is bounded:
// Submit() blocks while max_queued_rows rows wait, which is the backpressure that keeps a fast
// client from growing server memory.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "server/store/store.h"

namespace covgap::server {

struct BatchCommitterOptions {
  std::size_t max_rows_per_commit = 200'000;
  std::size_t max_queued_rows = 400'000;
  // Called after each commit (on the writer thread) with its latency in seconds: metrics.
  std::function<void(double seconds)> on_commit;
};

class BatchCommitter {
 public:
  BatchCommitter(store::MeasurementStore& store, BatchCommitterOptions options = {});
  ~BatchCommitter();  // commits what is queued, then stops
  BatchCommitter(const BatchCommitter&) = delete;
  BatchCommitter& operator=(const BatchCommitter&) = delete;

  std::future<StatusOr<store::BatchOutcome>> Submit(store::BatchToStore batch);

 private:
  struct Pending {
    store::BatchToStore batch;
    std::promise<StatusOr<store::BatchOutcome>> done;
  };
  void Run();

  store::MeasurementStore& store_;
  BatchCommitterOptions options_;
  std::mutex mu_;
  std::condition_variable has_work_;
  std::condition_variable has_room_;
  std::deque<Pending> queue_;
  std::size_t queued_rows_ = 0;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace covgap::server
