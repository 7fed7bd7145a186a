// Internal to the PostgreSQL store: PostgreSQL's binary COPY format, written for ingestion
// (big-endian fields after the PGCOPY header) and parsed incrementally for scans.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "geo/base/status.h"

namespace covgap::store::postgres {

template <typename T>
inline void PutBig(std::string& out, T v) {
  using U = std::make_unsigned_t<T>;
  auto u = static_cast<U>(v);
  char bytes[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    bytes[sizeof(T) - 1 - i] = static_cast<char>(u & 0xff);
    u = static_cast<U>(u >> 8);
  }
  out.append(bytes, sizeof(T));
}

template <typename T>
inline T GetBig(const char* p) {
  using U = std::make_unsigned_t<T>;
  U u = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    u = static_cast<U>((u << 8) | static_cast<unsigned char>(p[i]));
  }
  return static_cast<T>(u);
}

inline constexpr char kCopySignature[] = "PGCOPY\n\377\r\n";  // 11 bytes with the trailing NUL

inline void PutCopyHeader(std::string& out) {
  out.append(kCopySignature, 11);
  PutBig<std::int32_t>(out, 0);  // flags
  PutBig<std::int32_t>(out, 0);  // header extension length
}

template <typename T>
inline void PutField(std::string& out, T v) {
  PutBig<std::int32_t>(out, sizeof(T));
  PutBig<T>(out, v);
}

inline void PutFloatField(std::string& out, float v) {
  PutField<std::int32_t>(out, std::bit_cast<std::int32_t>(v));
}

inline void PutTextField(std::string& out, std::string_view v) {
  PutBig<std::int32_t>(out, static_cast<std::int32_t>(v.size()));
  out.append(v);
}

// Escapes a value for COPY's text format.
inline void PutCopyText(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out.push_back(c);
    }
  }
}

// Parses binary COPY output incrementally (each row is a complete CopyData message).
class CopyRowParser {
 public:
  // Returns the fields of one row (pointer, length; length -1 = NULL), or an error.
  Status Feed(std::string_view data,
              const std::function<Status(const char* const*, const int*, int)>& row) {
    if (!header_done_) {
      if (data.size() < 19 || std::memcmp(data.data(), kCopySignature, 11) != 0) {
        return {StatusCode::kDataLoss, "postgresql: bad binary COPY header"};
      }
      const auto ext = GetBig<std::int32_t>(data.data() + 15);
      data.remove_prefix(19 + static_cast<std::size_t>(ext));
      header_done_ = true;
    }
    while (data.size() >= 2) {
      const auto n = GetBig<std::int16_t>(data.data());
      data.remove_prefix(2);
      if (n == -1) return Status::Ok();  // trailer
      if (n > static_cast<int>(ptrs_.size())) {
        return {StatusCode::kDataLoss, "postgresql: unexpected COPY row width"};
      }
      for (int i = 0; i < n; ++i) {
        if (data.size() < 4) return {StatusCode::kDataLoss, "postgresql: truncated COPY row"};
        const auto len = GetBig<std::int32_t>(data.data());
        data.remove_prefix(4);
        lens_[static_cast<std::size_t>(i)] = len;
        ptrs_[static_cast<std::size_t>(i)] = data.data();
        if (len > 0) {
          if (data.size() < static_cast<std::size_t>(len)) {
            return {StatusCode::kDataLoss, "postgresql: truncated COPY row"};
          }
          data.remove_prefix(static_cast<std::size_t>(len));
        }
      }
      if (Status s = row(ptrs_.data(), lens_.data(), n); !s.ok()) return s;
    }
    return Status::Ok();
  }

 private:
  bool header_done_ = false;
  std::array<const char*, 16> ptrs_{};
  std::array<int, 16> lens_{};
};

}  // namespace covgap::store::postgres
