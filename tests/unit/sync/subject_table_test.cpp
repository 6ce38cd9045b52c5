#include "sync/subject_table.h"

#include <gtest/gtest.h>

#include <string>

namespace lmsgw::sync {
namespace {

TEST(SubjectTableTest, RemembersEveryIdItWasGivenAndNothingElse) {
  SubjectTable table(1'000'000);
  for (int i = 0; i < 50'000; ++i) table.put("user-" + std::to_string(i), i);
  EXPECT_EQ(table.size(), 50'000u);
  for (int i = 0; i < 50'000; ++i) {
    const auto found = table.find("user-" + std::to_string(i));
    ASSERT_TRUE(found.has_value()) << i;
    EXPECT_EQ(*found, i);
  }
  for (int i = 50'000; i < 60'000; ++i) EXPECT_FALSE(table.find("user-" + std::to_string(i)));
  EXPECT_FALSE(table.find(""));
  table.put("user-7", -1);
  EXPECT_EQ(table.find("user-7"), -1);
  EXPECT_EQ(table.size(), 50'000u);
}

TEST(SubjectTableTest, StopsGrowingAtItsBound) {
  SubjectTable table(10);
  for (int i = 0; i < 100; ++i) table.put(std::string(static_cast<std::size_t>(i), 'x'), i);
  EXPECT_EQ(table.size(), 10u);
  EXPECT_EQ(table.find(""), 0);
  EXPECT_FALSE(table.find(std::string(50, 'x')));
}

}  // namespace
}  // namespace lmsgw::sync
