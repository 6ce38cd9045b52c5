#include "oauth.h"

#include <gtest/gtest.h>

#include "lmsgw/sdk/testing/mocks.h"

namespace lmsgw::plugins::common {
namespace {

using sdk::testing::config_from;

sdk::Result<std::string> url(std::string value, UrlUse use) {
  return url_option(config_from({{"url", std::move(value)}}), "url", "", use);
}

TEST(UrlOption, PlainHttpOnlyToALoopbackHostAndOnlyForTheBrowser) {
  for (const char* loopback : {"http://127.0.0.1:8081/authorize", "http://127.1.2.3/",
                               "http://localhost:8081/", "http://[::1]:8081/"}) {
    EXPECT_TRUE(url(loopback, UrlUse::browser_redirect).ok()) << loopback;
    EXPECT_FALSE(url(loopback, UrlUse::server_to_server).ok()) << loopback;
  }
  EXPECT_TRUE(url("https://idp.example/authorize", UrlUse::server_to_server).ok());
}

TEST(UrlOption, NamesThatOnlyLookLikeLoopbackAreNotLoopback) {
  for (const char* lookalike :
       {"http://127.evil.example/", "http://localhost.evil.example/",
        "http://127.0.0.1.evil.example/authorize", "https://127.0.0.1.evil.example/token"}) {
    auto refused = url(lookalike, UrlUse::browser_redirect);
    ASSERT_FALSE(refused.ok()) << lookalike;
    EXPECT_EQ(refused.error().code, sdk::ErrorCode::config_invalid) << lookalike;
  }
}

TEST(UrlOption, UserInfoFragmentsAndRelativeUrlsAreRefused) {
  for (const char* bad : {"https://user@idp.example/", "https://idp.example/#x", "/authorize",
                          "idp.example/authorize"}) {
    EXPECT_FALSE(url(bad, UrlUse::server_to_server).ok()) << bad;
  }
}

}  // namespace
}  // namespace lmsgw::plugins::common
