#include "clever_sync_cursor.h"

#include <gtest/gtest.h>

namespace lmsgw::plugins::clever {
namespace {

TEST(CleverSyncCursor, RoundTripsEveryField) {
  SyncCursor cursor;
  cursor.mode = RunMode::full;
  cursor.districts = {{"d1", std::nullopt}, {"d2", ""}, {"d3", "e42"}};
  cursor.revoked = {"d7", "d8"};
  cursor.current = "d2";
  cursor.step = Step::sections;
  cursor.after = "s9";
  cursor.page = 4;
  cursor.full_at = 1'700'000'000;
  cursor.run_at = 1'700'000'100;
  auto decoded = decode_cursor(encode_cursor(cursor));
  ASSERT_TRUE(decoded.ok()) << decoded.error().detail;
  EXPECT_EQ(*decoded, cursor);
}

TEST(CleverSyncCursor, AnEmptyCursorIsANeverSyncedConnection) {
  auto decoded = decode_cursor("");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, SyncCursor{});
}

TEST(CleverSyncCursor, RefusesWhatItDidNotWrite) {
  for (std::string_view text :
       {"garbage", "[]", R"({"v":2,"mode":"idle","d":[]})", R"({"v":1,"mode":"odd","d":[]})",
        R"({"v":1,"mode":"idle"})", R"({"v":1,"mode":"idle","d":[{"id":"../x"}]})",
        R"({"v":1,"mode":"idle","d":[{"id":"b"},{"id":"a"}]})",
        R"({"v":1,"mode":"delta","d":[],"at":"a","step":"users","after":"?","page":0})",
        R"({"v":1,"mode":"idle","d":[],"full_at":-5})"}) {
    auto decoded = decode_cursor(text);
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_EQ(decoded.error().code, sdk::ErrorCode::invalid_request);
  }
}

}  // namespace
}  // namespace lmsgw::plugins::clever
