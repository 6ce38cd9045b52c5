#include "session/session_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace lmsgw::session {
namespace {

using namespace std::chrono_literals;

SessionCache::ViewPtr view(std::string account, TimePoint expires_at,
                           RevocationCellPtr revocation = nullptr) {
  auto out = std::make_shared<SessionView>();
  out->account_id = std::move(account);
  out->expires_at = expires_at;
  out->account_revocation = std::move(revocation);
  EXPECT_TRUE(prepare_headers(*out).ok());
  return out;
}

crypto::Digest key(int i) { return crypto::sha256("session-" + std::to_string(i)); }

TEST(SessionCache, FindsWhatWasPutUntilErasedOrExpired) {
  SessionCache cache;
  const TimePoint now{};
  for (int i = 0; i < 2000; ++i) cache.put(key(i), view("acct_" + std::to_string(i), now + 10s));
  EXPECT_EQ(cache.size(), 2000u);
  for (int i = 0; i < 2000; ++i) {
    auto found = cache.find(key(i), now);
    ASSERT_NE(found, nullptr) << i;
    EXPECT_EQ(found->account_id, "acct_" + std::to_string(i));
  }
  EXPECT_EQ(cache.find(key(5000), now), nullptr);
  EXPECT_TRUE(cache.erase(key(7)));
  EXPECT_FALSE(cache.erase(key(7)));
  EXPECT_EQ(cache.find(key(7), now), nullptr);
  EXPECT_EQ(cache.find(key(8), now + 10s), nullptr) << "expired";
  EXPECT_EQ(cache.purge(now + 10s), 1999u);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(SessionCache, ARevokedSessionIsNotFoundAndIsPurged) {
  SessionCache cache;
  const TimePoint now{1h};
  auto cell = std::make_shared<RevocationCell>();
  cache.put(key(1), view("a", now + 10s, cell));
  EXPECT_NE(cache.find(key(1), now), nullptr);
  cell->revoke_through(now);
  EXPECT_EQ(cache.find(key(1), now), nullptr);
  EXPECT_EQ(cache.purge(now), 1u);
}

TEST(SessionCache, ConcurrentReadersSeeEveryStableSessionWhileWritersChurn) {
  SessionCache cache;
  const TimePoint now{};
  for (int i = 0; i < 500; ++i) cache.put(key(i), view("stable", now + 1h));
  std::atomic<bool> stop{false};
  std::atomic<long> misses{0};
  std::atomic<long> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      for (int i = r; !stop.load(); i = (i + 7) % 500) {
        auto found = cache.find(key(i), now);
        if (found == nullptr || found->account_id != "stable") misses.fetch_add(1);
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (int i = 0; i < 5000; ++i) {
    cache.put(key(1000 + i), view("churn", now + 1h));
    cache.erase(key(1000 + i - 10));
  }
  stop = true;
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(misses.load(), 0);
  EXPECT_GT(reads.load(), 0);
}

}  // namespace
}  // namespace lmsgw::session
