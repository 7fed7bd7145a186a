// The lines of a file or of text in memory, read in 1 MiB blocks, for the CSV and drive-test
// readers. A line comes without its line end ("\n" or "\r\n"); a view handed out is valid until
// the next call. Read errors are reported through status().
#pragma once

#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "geo/base/status.h"

namespace covgap::importers {

// Owns a FILE*; closed on every path.
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

class LineSource {
 public:
  // Reads from `path`. NotFound when it cannot be opened.
  Status Open(const std::string& path) {
    file_.reset(std::fopen(path.c_str(), "rb"));
    if (!file_) return NotFound(path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fileno(file_.get()), &st) == 0 && S_ISREG(st.st_mode)) {
      total_bytes_ = static_cast<std::uint64_t>(st.st_size);
    }
    return Status::Ok();
  }

  // Reads from text already in memory.
  void SetText(std::string text) {
    total_bytes_ = text.size();
    buffer_ = std::move(text);
    eof_ = true;
  }

  // The next line without its line end ("\n" or "\r\n"); false at the end of the file.
  bool Next(std::string_view& line) {
    while (true) {
      const std::size_t nl = buffer_.find('\n', pos_);
      if (nl != std::string::npos) {
        Take(nl - pos_, nl + 1 - pos_, line);
        return true;
      }
      if (eof_) {
        if (pos_ >= buffer_.size()) return false;
        Take(buffer_.size() - pos_, buffer_.size() - pos_, line);
        return true;
      }
      buffer_.erase(0, pos_);
      pos_ = 0;
      const std::size_t old = buffer_.size();
      buffer_.resize(old + kReadSize);
      const std::size_t n = std::fread(buffer_.data() + old, 1, kReadSize, file_.get());
      buffer_.resize(old + n);
      if (n < kReadSize) {
        if (std::ferror(file_.get())) {
          status_ = Internal(std::string("read error: ") + std::strerror(errno));
        }
        eof_ = true;
      }
    }
  }

  std::uint64_t line_no() const { return line_no_; }
  std::uint64_t consumed() const { return consumed_; }
  std::uint64_t total_bytes() const { return total_bytes_; }
  const Status& status() const { return status_; }

 private:
  void Take(std::size_t length, std::size_t advance, std::string_view& line) {
    line = std::string_view(buffer_).substr(pos_, length);
    consumed_ += advance;
    pos_ += advance;
    ++line_no_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  }

  static constexpr std::size_t kReadSize = 1 << 20;
  FilePtr file_;
  std::string buffer_;
  std::size_t pos_ = 0;
  bool eof_ = false;
  std::uint64_t line_no_ = 0;
  std::uint64_t consumed_ = 0;
  std::uint64_t total_bytes_ = 0;
  Status status_;
};

}  // namespace covgap::importers
