#include "server/cli/progress.h"

#include <unistd.h>

#include <cstdio>

#include "server/cli/cli_common.h"

namespace covgap::cli {

ProgressBar::ProgressBar(bool enabled)
    : enabled_(enabled && ::isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()),
      last_() {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Update(const std::string& label, std::uint64_t done_bytes,
                         std::uint64_t total_bytes, std::uint64_t rows) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  drawn_ = true;
  const double fraction =
      total_bytes > 0 ? static_cast<double>(done_bytes) / static_cast<double>(total_bytes) : 0;
  constexpr int kWidth = 24;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, ' ');
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const auto rate =
      seconds > 0 ? static_cast<std::uint64_t>(static_cast<double>(rows) / seconds) : 0;
  if (rows > 0) {
    std::fprintf(stderr, "\r[%s] %3d%%  %s rows  %s rows/s  %s\033[K", bar.c_str(),
                 static_cast<int>(fraction * 100), Thousands(rows).c_str(), Thousands(rate).c_str(),
                 label.c_str());
  } else {
    std::fprintf(stderr, "\r[%s] %3d%%  %s\033[K", bar.c_str(), static_cast<int>(fraction * 100),
                 label.c_str());
  }
  std::fflush(stderr);
}

void ProgressBar::Finish() {
  if (enabled_ && drawn_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace covgap::cli
