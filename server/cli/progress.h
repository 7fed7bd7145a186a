// A one-line progress bar on stderr, drawn only when stderr is a terminal, at most 10 times a
// second: "[########            ]  41%  123,456 rows  512,000 rows/s  file.csv" (without the row
// figures when rows is 0).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace covgap::cli {

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled);
  ~ProgressBar();
  void Update(const std::string& label, std::uint64_t done_bytes, std::uint64_t total_bytes,
              std::uint64_t rows);
  void Finish();

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace covgap::cli
