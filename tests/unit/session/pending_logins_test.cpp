#include "session/pending_logins.h"

#include <gtest/gtest.h>

namespace lmsgw::session {
namespace {

using namespace std::chrono_literals;

PendingLogin login_for(std::string connection, TimePoint expires_at) {
  PendingLogin login;
  login.connection_id = std::move(connection);
  login.nonce = "n";
  login.expires_at = expires_at;
  return login;
}

TEST(PendingLogins, AStateCanBeTakenExactlyOnce) {
  PendingLogins logins(10);
  const TimePoint now{};
  ASSERT_TRUE(logins.put("state-1", login_for("clever", now + 600s), now));
  auto taken = logins.take("state-1", now);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->connection_id, "clever");
  EXPECT_FALSE(logins.take("state-1", now).has_value());
  EXPECT_EQ(logins.size(), 0u);
}

TEST(PendingLogins, UnknownAndExpiredStatesAreRefused) {
  PendingLogins logins(10);
  const TimePoint now{};
  ASSERT_TRUE(logins.put("state-1", login_for("clever", now + 600s), now));
  EXPECT_FALSE(logins.take("state-2", now).has_value());
  EXPECT_FALSE(logins.take("state-1", now + 601s).has_value());
  // An expired state is gone even for a caller who presents it in time afterwards.
  EXPECT_FALSE(logins.take("state-1", now).has_value());
}

TEST(PendingLogins, CapacityIsEnforcedAndExpiredLoginsMakeRoom) {
  PendingLogins logins(2);
  const TimePoint now{};
  EXPECT_TRUE(logins.put("a", login_for("c", now + 10s), now));
  EXPECT_TRUE(logins.put("b", login_for("c", now + 20s), now));
  EXPECT_FALSE(logins.put("c", login_for("c", now + 30s), now));
  // Once "a" expires there is room again.
  EXPECT_TRUE(logins.put("c", login_for("c", now + 30s), now + 11s));
  EXPECT_FALSE(logins.take("a", now + 11s).has_value());
  EXPECT_TRUE(logins.take("b", now + 11s).has_value());
}

TEST(PendingLogins, ManyCompletedLoginsDoNotExhaustCapacity) {
  PendingLogins logins(4);
  const TimePoint now{};
  for (int i = 0; i < 1000; ++i) {
    const std::string state = "state-" + std::to_string(i);
    ASSERT_TRUE(logins.put(state, login_for("c", now + 600s), now)) << i;
    ASSERT_TRUE(logins.take(state, now).has_value());
  }
  EXPECT_EQ(logins.size(), 0u);
}

}  // namespace
}  // namespace lmsgw::session
