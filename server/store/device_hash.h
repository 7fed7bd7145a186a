// Keyed 64-bit hash of device ids: SipHash-2-4 (Aumasson & Bernstein), a pseudo-random function
// under a secret 128-bit key, so stored hashes cannot be reversed by hashing candidate ids
// without the key. Empty ids hash to 0 ("no device"); no other id does.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace covgap::store {

std::uint64_t SipHash24(const std::array<std::uint8_t, 16>& key, std::string_view data);

inline std::uint64_t DeviceHash(const std::array<std::uint8_t, 16>& key, std::string_view id) {
  if (id.empty()) return 0;
  const std::uint64_t h = SipHash24(key, id);
  return h == 0 ? 1 : h;
}

}  // namespace covgap::store
