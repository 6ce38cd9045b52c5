#include "discovery.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lmsgw/sdk/testing/mocks.h"

namespace lmsgw::plugins::google {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Return;

constexpr std::string_view kUrl = "https://op.example/.well-known/openid-configuration";

DiscoveryRules rules() {
  return DiscoveryRules{
      std::string(kUrl),     {"https://op.example"},    {"RS256"},
      "client_secret_basic", std::chrono::seconds(600), std::chrono::milliseconds(1000)};
}

std::string document(std::string_view extra = "",
                     std::string_view token_endpoint = "https://op.example/token") {
  return std::string(R"({"issuer":"https://op.example",)") +
         R"("authorization_endpoint":"https://op.example/auth",)" + R"("token_endpoint":")" +
         std::string(token_endpoint) + R"(","jwks_uri":"https://op.example/jwks")" +
         std::string(extra) + "}";
}

sdk::Error parse_error(const std::string& body) {
  auto parsed = parse_discovery(body, rules());
  EXPECT_FALSE(parsed.ok());
  return parsed.ok() ? sdk::Error{} : parsed.error();
}

TEST(DiscoveryParseTest, ReadsTheEndpointsOfAWellFormedDocument) {
  auto parsed =
      parse_discovery(document(R"(,"code_challenge_methods_supported":["plain","S256"],)"
                               R"("authorization_response_iss_parameter_supported":true)"),
                      rules());
  ASSERT_TRUE(parsed.ok()) << parsed.error().detail;
  EXPECT_EQ(parsed->issuer, "https://op.example");
  EXPECT_EQ(parsed->authorization_endpoint, "https://op.example/auth");
  EXPECT_EQ(parsed->token_endpoint, "https://op.example/token");
  EXPECT_EQ(parsed->jwks_uri, "https://op.example/jwks");
  EXPECT_TRUE(parsed->issuer_in_response);
}

TEST(DiscoveryParseTest, RefusesMalformedDocuments) {
  EXPECT_EQ(parse_error("<html>").code, sdk::ErrorCode::upstream_malformed);
  EXPECT_EQ(parse_error("[1]").code, sdk::ErrorCode::upstream_malformed);
  EXPECT_THAT(parse_error(R"({"issuer":"https://op.example"})").detail,
              HasSubstr("authorization_endpoint is missing"));
  EXPECT_THAT(parse_error(document("", "http://op.example/token")).detail,
              HasSubstr("token_endpoint is not https"));
  // Plain http to loopback is for the browser only, never for a server-to-server call.
  EXPECT_THAT(parse_error(document("", "http://127.0.0.1:9/token")).detail,
              HasSubstr("token_endpoint is not https"));
  EXPECT_THAT(parse_error(document("", "https://user@op.example/token")).detail,
              HasSubstr("not an absolute URL"));
  EXPECT_THAT(parse_error(document(R"(,"code_challenge_methods_supported":["plain"])")).detail,
              HasSubstr("code_challenge_methods_supported"));
  EXPECT_THAT(parse_error(document(R"(,"id_token_signing_alg_values_supported":["HS256"])")).detail,
              HasSubstr("id_token_signing_alg_values_supported"));
  EXPECT_THAT(
      parse_error(document(R"(,"token_endpoint_auth_methods_supported":["private_key_jwt"])"))
          .detail,
      HasSubstr("token_endpoint_auth_methods_supported"));
  EXPECT_THAT(parse_error(document(R"(,"response_types_supported":"code")")).detail,
              HasSubstr("is not an array"));
}

TEST(DiscoveryParseTest, RefusesADocumentOfAnotherIssuer) {
  std::string other = document();
  other.replace(other.find("https://op.example"), 18, "https://evil.example");
  EXPECT_THAT(parse_error(other).detail, HasSubstr("issuer is not the one"));
  std::string trailing_slash = document();
  trailing_slash.replace(trailing_slash.find("https://op.example"), 18, "https://op.example/");
  EXPECT_THAT(parse_error(trailing_slash).detail, HasSubstr("issuer is not the one"));
}

TEST(DiscoveryParseTest, AcceptsPlainHttpAuthorizationOnLoopbackForDemos) {
  for (const char* loopback :
       {"http://127.0.0.1:8123/auth", "http://localhost:8123/auth", "http://[::1]:8123/auth"}) {
    std::string demo = document();
    demo.replace(demo.find("https://op.example/auth"), 23, loopback);
    EXPECT_TRUE(parse_discovery(demo, rules()).ok()) << loopback;
  }
}

// A DNS name that merely starts like a loopback address can point anywhere: refused as not
// https, or (where Boost.URL misreads it as an address followed by a path) as no URL.
TEST(DiscoveryParseTest, RefusesPlainHttpToNamesThatOnlyLookLikeLoopback) {
  for (const char* lookalike :
       {"http://127.0.0.1.evil.example/auth", "http://127.evil.example/auth",
        "http://localhost.evil.example/auth"}) {
    std::string demo = document();
    demo.replace(demo.find("https://op.example/auth"), 23, lookalike);
    EXPECT_THAT(parse_error(demo).detail, HasSubstr("authorization_endpoint is not")) << lookalike;
  }
}

class DiscoveryCacheTest : public ::testing::Test {
 protected:
  ::testing::StrictMock<sdk::testing::MockHttpClient> http_;
  sdk::testing::FixedClock clock_{std::chrono::system_clock::time_point(std::chrono::hours(1))};
  sdk::testing::RecordingLogger logger_;
  DiscoveryCache cache_{rules(), http_, clock_, logger_};
};

TEST_F(DiscoveryCacheTest, FetchesOnceForItsLifetimeWithASizeLimit) {
  EXPECT_CALL(http_, send(_)).WillOnce([](const sdk::HttpRequest& request) {
    EXPECT_EQ(request.url, kUrl);
    EXPECT_EQ(request.max_response_bytes, kMaxDiscoveryBytes);
    return sdk::Result<sdk::HttpResponse>(sdk::HttpResponse{200, {}, document()});
  });
  ASSERT_TRUE(cache_.get().ok());
  clock_.advance(std::chrono::seconds(599));
  ASSERT_TRUE(cache_.get().ok());

  EXPECT_CALL(http_, send(_))
      .WillOnce(Return(sdk::Result<sdk::HttpResponse>(sdk::HttpResponse{200, {}, document()})));
  clock_.advance(std::chrono::seconds(2));
  ASSERT_TRUE(cache_.get().ok());
}

TEST_F(DiscoveryCacheTest, AStaleDocumentBridgesAnOutageForOneMoreLifetimeOnly) {
  EXPECT_CALL(http_, send(_))
      .WillOnce(Return(sdk::Result<sdk::HttpResponse>(sdk::HttpResponse{200, {}, document()})))
      .WillRepeatedly(Return(sdk::Result<sdk::HttpResponse>(sdk::HttpResponse{503, {}, "down"})));
  ASSERT_TRUE(cache_.get().ok());
  clock_.advance(std::chrono::seconds(700));
  EXPECT_TRUE(cache_.get().ok());
  clock_.advance(std::chrono::seconds(600));
  auto expired = cache_.get();
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, sdk::ErrorCode::upstream_rejected);
}

// Sign-ins wait on the cache's lock while it fetches, so a provider that is down or slow must
// not be asked again by every one of them in turn: a failure is answered for a short while.
TEST_F(DiscoveryCacheTest, AFailureWithNothingCachedIsAnsweredWithoutRefetchingForAWhile) {
  EXPECT_CALL(http_, send(_))
      .WillOnce(Return(sdk::Error{sdk::ErrorCode::upstream_unavailable, "timed out"}));
  EXPECT_EQ(cache_.get().error().code, sdk::ErrorCode::upstream_unavailable);
  clock_.advance(std::chrono::seconds(5));
  EXPECT_EQ(cache_.get().error().code, sdk::ErrorCode::upstream_unavailable);
  EXPECT_EQ(cache_.get().error().code, sdk::ErrorCode::upstream_unavailable);

  EXPECT_CALL(http_, send(_))
      .WillOnce(Return(sdk::Result<sdk::HttpResponse>(sdk::HttpResponse{200, {}, document()})));
  clock_.advance(std::chrono::seconds(6));
  EXPECT_TRUE(cache_.get().ok());
}

TEST_F(DiscoveryCacheTest, AClockSetBackDoesNotProlongARememberedFailure) {
  EXPECT_CALL(http_, send(_))
      .WillOnce(Return(sdk::Error{sdk::ErrorCode::upstream_unavailable, "timed out"}))
      .WillOnce(Return(sdk::Result<sdk::HttpResponse>(sdk::HttpResponse{200, {}, document()})));
  EXPECT_FALSE(cache_.get().ok());
  clock_.advance(-std::chrono::hours(1));
  EXPECT_TRUE(cache_.get().ok());
}

TEST_F(DiscoveryCacheTest, TransportFailuresAreUnavailable) {
  EXPECT_CALL(http_, send(_))
      .WillOnce(Return(sdk::Error{sdk::ErrorCode::upstream_unavailable, "connect refused"}));
  EXPECT_EQ(cache_.get().error().code, sdk::ErrorCode::upstream_unavailable);
}

}  // namespace
}  // namespace lmsgw::plugins::google
