#include "server/batch_committer.h"

#include <chrono>
#include <utility>
#include <vector>

namespace covgap::server {

BatchCommitter::BatchCommitter(store::MeasurementStore& store, BatchCommitterOptions options)
    : store_(store), options_(std::move(options)), writer_([this] { Run(); }) {}

BatchCommitter::~BatchCommitter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  has_work_.notify_all();
  writer_.join();
}

std::future<StatusOr<store::BatchOutcome>> BatchCommitter::Submit(store::BatchToStore batch) {
  const std::size_t rows = batch.rows.size();
  std::unique_lock lock(mu_);
  // A batch larger than the whole queue is still let in once the queue is empty.
  has_room_.wait(
      lock, [&] { return queued_rows_ == 0 || queued_rows_ + rows <= options_.max_queued_rows; });
  Pending& p = queue_.emplace_back();
  p.batch = std::move(batch);
  auto future = p.done.get_future();
  queued_rows_ += rows;
  lock.unlock();
  has_work_.notify_one();
  return future;
}

void BatchCommitter::Run() {
  std::vector<Pending> group;
  std::vector<const store::BatchToStore*> batches;
  while (true) {
    {
      std::unique_lock lock(mu_);
      has_work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      std::size_t rows = 0;
      while (!queue_.empty() && (group.empty() || rows + queue_.front().batch.rows.size() <=
                                                      options_.max_rows_per_commit)) {
        rows += queue_.front().batch.rows.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    batches.clear();
    for (const Pending& p : group) batches.push_back(&p.batch);
    const auto started = std::chrono::steady_clock::now();
    auto outcomes = store_.CommitBatches(batches);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    std::size_t rows = 0;
    for (std::size_t i = 0; i < group.size(); ++i) {
      rows += group[i].batch.rows.size();
      if (outcomes.ok()) {
        group[i].done.set_value(outcomes.value()[i]);
      } else {
        group[i].done.set_value(outcomes.status());
      }
    }
    if (options_.on_commit && outcomes.ok()) options_.on_commit(took.count());
    group.clear();
    {
      std::lock_guard lock(mu_);
      queued_rows_ -= rows;
    }
    has_room_.notify_all();
  }
}

}  // namespace covgap::server
