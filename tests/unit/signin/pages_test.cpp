#include "signin/pages.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lmsgw::signin {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ErrorPage, SaysWhatHappenedWithoutDetailsAndCannotBeFramedOrCached) {
  http::Response page = error_page(Outcome::state_unknown, "https://app.example.org/");
  EXPECT_EQ(page.status, 400);
  EXPECT_THAT(page.body, HasSubstr("has expired or was started in another browser"));
  EXPECT_THAT(page.body, HasSubstr("Reference: state_unknown"));
  EXPECT_THAT(page.body, HasSubstr("href=\"https://app.example.org/\""));
  auto has = [&](std::string name, std::string value) {
    for (const auto& header : page.headers) {
      if (header.first == name && header.second.find(value) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("Cache-Control", "no-store"));
  EXPECT_TRUE(has("Referrer-Policy", "no-referrer"));
  EXPECT_TRUE(has("X-Frame-Options", "DENY"));
  EXPECT_TRUE(has("Content-Security-Policy", "frame-ancestors 'none'"));
}

TEST(ErrorPage, EscapesTheLinkItShows) {
  http::Response page = error_page(Outcome::internal, "https://a.example/?x=\"><script>");
  EXPECT_THAT(page.body, Not(HasSubstr("<script>")));
  EXPECT_THAT(page.body, HasSubstr("&quot;&gt;&lt;script&gt;"));
}

TEST(Outcome, EveryPluginErrorMapsToAStatusAndAStableWord) {
  EXPECT_EQ(outcome_of(sdk::ErrorCode::upstream_unavailable), Outcome::upstream_unavailable);
  EXPECT_EQ(http_status(Outcome::upstream_unavailable), 502);
  EXPECT_EQ(outcome_of(sdk::ErrorCode::not_permitted), Outcome::not_permitted);
  EXPECT_EQ(http_status(Outcome::not_permitted), 403);
  EXPECT_EQ(outcome_of(sdk::ErrorCode::config_invalid), Outcome::internal);
  EXPECT_EQ(http_status(Outcome::unknown_connection), 404);
  EXPECT_EQ(http_status(Outcome::connection_unavailable), 503);
  EXPECT_EQ(to_string(Outcome::state_replayed), "state_replayed");
}

}  // namespace
}  // namespace lmsgw::signin
