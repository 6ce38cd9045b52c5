#include "sync/read_ahead.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace lmsgw::sync {
namespace {

// A read of batches "1", "2", ... up to `last`, each naming the cursor it was read from.
struct Counting {
  std::atomic<int> reads{0};
  int last = 0;
  int fail_at = 0;

  ReadAhead<std::string>::Read read() {
    return [this](const sdk::SyncRequest& request) -> sdk::Result<std::string> {
      const int n = ++reads;
      if (n == fail_at) return sdk::Error{sdk::ErrorCode::upstream_unavailable, "down"};
      return "from:" + request.cursor;
    };
  }
  ReadAhead<std::string>::Follow follow() {
    return [this](const std::string& batch) -> std::optional<sdk::SyncRequest> {
      const int next = std::stoi(batch.substr(5).empty() ? "0" : batch.substr(5)) + 1;
      if (next > last) return std::nullopt;
      return sdk::SyncRequest{std::to_string(next), false};
    };
  }
};

TEST(ReadAheadTest, HandsOverTheBatchesInOrderEachReadFromThePreviousCursor) {
  Counting source;
  source.last = 5;
  ReadAhead<std::string> reader(source.read(), source.follow(), {"", true}, 2);
  EXPECT_EQ(*reader.next(), "from:");
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(*reader.next(), "from:" + std::to_string(i));
  // The read ended with the batch that said so: nothing more, and no further plugin call.
  auto after = reader.next();
  ASSERT_FALSE(after);
  EXPECT_EQ(source.reads.load(), 6);
}

TEST(ReadAheadTest, ReadsNoMoreThanItsDepthAhead) {
  Counting source;
  source.last = 1000;
  ReadAhead<std::string> reader(source.read(), source.follow(), {"", false}, 3);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (source.reads.load() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(source.reads.load(), 3);
  ASSERT_TRUE(reader.next());
  reader.stop();
  EXPECT_LE(source.reads.load(), 4);
}

TEST(ReadAheadTest, AFailedReadIsHandedOverAndEndsTheRead) {
  Counting source;
  source.last = 10;
  source.fail_at = 3;
  ReadAhead<std::string> reader(source.read(), source.follow(), {"", false}, 4);
  EXPECT_TRUE(reader.next());
  EXPECT_TRUE(reader.next());
  auto failed = reader.next();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().detail, "down");
  EXPECT_FALSE(reader.next());
  EXPECT_EQ(source.reads.load(), 3);
}

}  // namespace
}  // namespace lmsgw::sync
