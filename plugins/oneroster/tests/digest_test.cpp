#include "digest.h"

#include <gtest/gtest.h>

#include <string>

namespace lmsgw::plugins::oneroster {
namespace {

TEST(DigestTest, DistinguishesNearbyIdentifiers) {
  DigestSet set;
  for (int i = 0; i < 200000; ++i) ASSERT_TRUE(set.insert(digest128("u" + std::to_string(i))));
  EXPECT_EQ(set.size(), 200000u);
  EXPECT_FALSE(set.insert(digest128("u123")));
  EXPECT_TRUE(set.contains(digest128("u199999")));
  EXPECT_FALSE(set.contains(digest128("u200000")));
  EXPECT_NE(digest128(""), digest128(std::string(1, '\0')));
  EXPECT_NE(digest128("abcdefgh"), digest128(std::string_view("abcdefgh\0", 9)));
}

TEST(DigestTest, HexIsStableAndClearEmptiesTheSet) {
  EXPECT_EQ(to_hex(digest128("users.csv")), to_hex(digest128("users.csv")));
  EXPECT_EQ(to_hex(digest128("x")).size(), 32u);
  EXPECT_EQ(to_hex(Digest128{0x0123456789abcdefULL, 0xfedcba9876543210ULL}),
            "0123456789abcdeffedcba9876543210");
  DigestSet set;
  set.insert(Digest128{0, 0});
  EXPECT_TRUE(set.contains(Digest128{0, 0}));
  set.clear();
  EXPECT_EQ(set.size(), 0u);
  EXPECT_FALSE(set.contains(Digest128{0, 0}));
}

}  // namespace
}  // namespace lmsgw::plugins::oneroster
