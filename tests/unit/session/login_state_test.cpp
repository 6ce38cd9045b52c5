#include "session/login_state.h"

#include <gtest/gtest.h>

namespace lmsgw::session {
namespace {

using namespace std::chrono_literals;

LoginState sample() {
  return LoginState{"clever",
                    "nonce-1",
                    "verifier-1",
                    std::string("flow\0data", 9),
                    "https://app.example.org/x",
                    TimePoint{} + 600s};
}

TEST(LoginStateSealer, OpensItsOwnStateForTheSameStateValue) {
  LoginStateSealer sealer(std::string(32, 'k'));
  const std::string cookie = sealer.seal("state-1", sample());
  EXPECT_EQ(sealer.open("state-1", cookie), sample());
  // The cookie hides what it carries.
  EXPECT_EQ(cookie.find("verifier"), std::string::npos);
}

TEST(LoginStateSealer, RefusesAnotherStateAnotherKeyOrAnyChange) {
  LoginStateSealer sealer(std::string(32, 'k'));
  const std::string cookie = sealer.seal("state-1", sample());
  EXPECT_FALSE(sealer.open("state-2", cookie).has_value());
  EXPECT_FALSE(LoginStateSealer(std::string(32, 'j')).open("state-1", cookie).has_value());
  std::string altered = cookie;
  altered[10] = altered[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(sealer.open("state-1", altered).has_value());
  EXPECT_FALSE(sealer.open("state-1", "").has_value());
  EXPECT_FALSE(sealer.open("state-1", "not base64url!").has_value());
}

TEST(LoginStateSealer, ReplicasSharingTheKeyAcceptEachOthersCookies) {
  const std::string shared(40, 's');
  EXPECT_EQ(LoginStateSealer(shared).open("st", LoginStateSealer(shared).seal("st", sample())),
            sample());
}

TEST(LoginStateSealer, CookieNamesAreDistinctPerStateAndStable) {
  const std::string a = LoginStateSealer::cookie_name("__Host-lmsgw_session_login", "state-a");
  EXPECT_EQ(a, LoginStateSealer::cookie_name("__Host-lmsgw_session_login", "state-a"));
  EXPECT_NE(a, LoginStateSealer::cookie_name("__Host-lmsgw_session_login", "state-b"));
  EXPECT_EQ(a.size(), std::string("__Host-lmsgw_session_login_").size() + 12);
}

TEST(LoginStateSealer, ALargestStateStillFitsInACookie) {
  LoginState big = sample();
  big.flow_data.assign(LoginStateSealer::kMaxFlowDataBytes, 'f');
  big.return_url.assign(LoginStateSealer::kMaxReturnUrlBytes, 'r');
  big.connection_id.assign(63, 'c');
  const std::string cookie = LoginStateSealer(std::string(32, 'k')).seal(std::string(43, 's'), big);
  EXPECT_LT(cookie.size() + 64, 4096u);
}

TEST(UsedLoginStates, AStateIsUsableOnce) {
  UsedLoginStates used(10);
  const TimePoint now{};
  EXPECT_TRUE(used.mark_used("s1", now + 600s, now));
  EXPECT_FALSE(used.mark_used("s1", now + 600s, now));
  EXPECT_TRUE(used.mark_used("s2", now + 600s, now));
}

TEST(UsedLoginStates, ForgetsExpiredStatesAndStaysBounded) {
  UsedLoginStates used(3);
  const TimePoint now{};
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(used.mark_used("s" + std::to_string(i), now + 600s, now));
    EXPECT_LE(used.size(), 3u);
  }
  EXPECT_TRUE(used.mark_used("late", now + 1200s, now + 601s));
  EXPECT_EQ(used.size(), 1u);
}

}  // namespace
}  // namespace lmsgw::session
