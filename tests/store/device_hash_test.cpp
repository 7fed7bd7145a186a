#include "server/store/device_hash.h"

#include <gtest/gtest.h>

namespace covgap::store {
namespace {

std::array<std::uint8_t, 16> ReferenceKey() {
  std::array<std::uint8_t, 16> key{};
  for (int i = 0; i < 16; ++i) key[i] = static_cast<std::uint8_t>(i);
  return key;
}

// Test vectors of the SipHash reference implementation (key 00..0f, message 00..len-1).
TEST(SipHash24, ReferenceVectors) {
  std::string msg;
  EXPECT_EQ(SipHash24(ReferenceKey(), msg), 0x726fdb47dd0e0e31ULL);
  for (int i = 0; i < 15; ++i) msg.push_back(static_cast<char>(i));
  EXPECT_EQ(SipHash24(ReferenceKey(), msg), 0xa129ca6149be45e5ULL);
  msg.resize(8);
  EXPECT_EQ(SipHash24(ReferenceKey(), msg), 0x93f5f5799a932462ULL);
}

TEST(DeviceHash, EmptyIsZeroAndKeyMatters) {
  auto key = ReferenceKey();
  EXPECT_EQ(DeviceHash(key, ""), 0u);
  const auto a = DeviceHash(key, "handset-1");
  EXPECT_NE(a, 0u);
  EXPECT_EQ(a, DeviceHash(key, "handset-1"));
  EXPECT_NE(a, DeviceHash(key, "handset-2"));
  key[0] ^= 1;
  EXPECT_NE(a, DeviceHash(key, "handset-1"));
}

}  // namespace
}  // namespace covgap::store
