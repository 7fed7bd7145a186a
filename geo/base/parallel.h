// A minimal fork-join pool: ParallelFor(n, threads, f) calls f(i) for every i in [0, n) on up to
// `threads` threads (0 = every core), each taking the next index from a shared counter, and
// returns when all are done. The calling thread is one of the workers.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace covgap::geo {

inline unsigned ResolveThreads(unsigned threads) {
  return threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
}

template <typename F>
void ParallelFor(std::size_t n, unsigned threads, F&& f) {
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next++) < n;) f(i);
  };
  const std::size_t t = std::min<std::size_t>(ResolveThreads(threads), n);
  std::vector<std::thread> pool;
  for (std::size_t k = 1; k < t; ++k) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
}

}  // namespace covgap::geo
