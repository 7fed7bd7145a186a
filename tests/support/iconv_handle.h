// Test support: an owned glibc iconv descriptor (the tests make legacy-encoded bytes with it).
#pragma once

#include <iconv.h>

#include <memory>
#include <type_traits>

namespace covgap::test_support {

struct IconvCloser {
  void operator()(void* cd) const {
    if (cd != reinterpret_cast<void*>(-1)) iconv_close(static_cast<iconv_t>(cd));
  }
};
// Null never; iconv_open's failure value (iconv_t)-1 is held as is and not closed.
using IconvHandle = std::unique_ptr<std::remove_pointer_t<iconv_t>, IconvCloser>;

inline bool IsOpen(const IconvHandle& cd) { return cd.get() != reinterpret_cast<iconv_t>(-1); }

}  // namespace covgap::test_support
