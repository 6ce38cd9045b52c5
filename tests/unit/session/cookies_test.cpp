#include "session/cookies.h"

#include <gtest/gtest.h>

namespace lmsgw::session {
namespace {

TEST(Cookies, SessionCookieIsHttpOnlySecureAndLax) {
  EXPECT_EQ(
      make_set_cookie("lmsgw_session", "abc", {true, SameSite::lax, "/", std::chrono::seconds(60)}),
      "lmsgw_session=abc; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax");
}

TEST(Cookies, SecureCanBeRelaxedAndClearingExpiresAtOnce) {
  EXPECT_EQ(make_set_cookie("n", "v", {false, SameSite::strict, "/", {}}),
            "n=v; Path=/; HttpOnly; SameSite=Strict");
  EXPECT_EQ(make_clear_cookie("n", {true, SameSite::lax, "/", {}}),
            "n=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax");
}

}  // namespace
}  // namespace lmsgw::session
