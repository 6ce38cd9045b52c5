#include "facebook_signals.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "facebook_sign_in.h"
#include "lmsgw/sdk/encoding.h"
#include "lmsgw/sdk/testing/mocks.h"
#include "openssl_crypto.h"

namespace lmsgw::plugins::facebook {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

// PROTOCOLS.md 3.4: secret `key`, payload {"user_id":"0","algorithm":"HMAC-SHA256",
// "issued_at":1624244156}.
constexpr std::string_view kVectorSecret = "key";
constexpr std::string_view kVector =
    "Mf_s6nTb38UYqioBmPqu0Ewm9souPZB9I2fIGwV729U."
    "eyJ1c2VyX2lkIjoiMCIsImFsZ29yaXRobSI6IkhNQUMtU0hBMjU2IiwiaXNzdWVkX2F0IjoxNjI0MjQ0MTU2fQ";
constexpr std::int64_t kVectorIssuedAt = 1624244156;
constexpr std::string_view kAppSecret = "fb-app-secret-canary";

std::chrono::system_clock::time_point at(std::int64_t unix_seconds) {
  return std::chrono::system_clock::time_point(seconds(unix_seconds));
}

// A signed_request over `payload` with `secret`, as Facebook builds it.
std::string sign(std::string_view payload, std::string_view secret = kAppSecret) {
  const std::string encoded = sdk::base64url_encode(payload);
  return sdk::base64url_encode(OpenSslCrypto().hmac_sha256(secret, encoded)) + "." + encoded;
}

std::string payload(std::int64_t issued_at, std::string extra = "") {
  return R"({"user_id":"10215241773831025","algorithm":"HMAC-SHA256","issued_at":)" +
         std::to_string(issued_at) + extra + "}";
}

class FacebookSignalsTest : public ::testing::Test {
 protected:
  sdk::Result<SignedRequest> verify(std::string_view signed_request, std::int64_t now,
                                    std::string_view secret = kAppSecret) {
    const sdk::Secret key{std::string(secret)};
    return verify_signed_request(signed_request,
                                 SignedRequestRules{key, crypto_, at(now), seconds(600)});
  }
  sdk::Result<std::vector<sdk::ProviderSignal>> deliver(std::string channel, std::string body,
                                                        std::int64_t now) {
    sdk::WebhookRequest request;
    request.channel = std::move(channel);
    request.content_type = "application/x-www-form-urlencoded";
    request.body = std::move(body);
    const sdk::Secret key{std::string(kAppSecret)};
    return read_signal(request, SignedRequestRules{key, crypto_, at(now), seconds(600)});
  }

  OpenSslCrypto crypto_;
};

TEST_F(FacebookSignalsTest, DocumentedTestVectorVerifies) {
  auto verified = verify(kVector, kVectorIssuedAt + 5, kVectorSecret);
  ASSERT_TRUE(verified.ok()) << verified.error().detail;
  EXPECT_EQ(verified->user_id, "0");
  EXPECT_EQ(verified->signal_id.size(), 64u);
  EXPECT_THAT(verified->signal_id, Not(HasSubstr("Mf_s6nTb")));
  EXPECT_EQ(crypto_.comparisons, 1);
}

TEST_F(FacebookSignalsTest, TestVectorWithAnotherSecretIsRefused) {
  auto verified = verify(kVector, kVectorIssuedAt, "not-the-key");
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().code, sdk::ErrorCode::token_invalid);
}

TEST_F(FacebookSignalsTest, ChangedPayloadIsRefused) {
  // The vector's payload with user_id "1": same signature, different payload.
  const std::string forged = std::string(kVector.substr(0, kVector.find('.') + 1)) +
                             sdk::base64url_encode(R"({"user_id":"1","algorithm":"HMAC-SHA256",)"
                                                   R"("issued_at":1624244156})");
  EXPECT_FALSE(verify(forged, kVectorIssuedAt, kVectorSecret).ok());
}

TEST_F(FacebookSignalsTest, MalformedRequestsAreRefused) {
  const std::int64_t now = 1'700'000'000;
  const std::string good = sign(payload(now));
  for (const std::string& bad :
       {std::string(), std::string("."), good.substr(0, good.find('.')), good + ".extra",
        "!!!" + good, good.substr(0, good.find('.')) + ".not base64",
        std::string(5000, 'a') + "." + "b"}) {
    SCOPED_TRACE(bad.substr(0, 40));
    EXPECT_FALSE(verify(bad, now).ok());
  }
  // Signed correctly, but the payload is not what Facebook sends.
  for (const std::string& body :
       {std::string("[]"), std::string("not json"),
        R"({"user_id":"1","algorithm":"HMAC-SHA1","issued_at":)" + std::to_string(now) + "}",
        R"({"user_id":"1","issued_at":)" + std::to_string(now) + "}",
        R"({"user_id":"abc","algorithm":"HMAC-SHA256","issued_at":)" + std::to_string(now) + "}",
        R"({"user_id":1,"algorithm":"HMAC-SHA256","issued_at":)" + std::to_string(now) + "}",
        std::string(R"({"user_id":"1","algorithm":"HMAC-SHA256"})"),
        R"({"user_id":"1","algorithm":"HMAC-SHA256","issued_at":")" + std::to_string(now) +
            "\"}"}) {
    SCOPED_TRACE(body);
    EXPECT_FALSE(verify(sign(body), now).ok());
  }
}

TEST_F(FacebookSignalsTest, IssuedAtMustBeRecentAndNotAhead) {
  const std::int64_t now = 1'700'000'000;
  EXPECT_TRUE(verify(sign(payload(now - 600)), now).ok());
  EXPECT_FALSE(verify(sign(payload(now - 601)), now).ok());
  EXPECT_TRUE(verify(sign(payload(now + 60)), now).ok());
  EXPECT_FALSE(verify(sign(payload(now + 61)), now).ok());
}

TEST_F(FacebookSignalsTest, ExpiresIsHonouredWhenPresent) {
  const std::int64_t now = 1'700'000'000;
  EXPECT_TRUE(verify(sign(payload(now, ",\"expires\":" + std::to_string(now + 1))), now).ok());
  EXPECT_FALSE(verify(sign(payload(now, ",\"expires\":" + std::to_string(now))), now).ok());
  EXPECT_FALSE(verify(sign(payload(now, ",\"expires\":\"later\"")), now).ok());
}

TEST_F(FacebookSignalsTest, ChannelsGiveTheirKinds) {
  const std::int64_t now = 1'700'000'000;
  const std::string body = "signed_request=" + sign(payload(now));
  auto unlinked = deliver("deauthorize", body, now);
  ASSERT_TRUE(unlinked.ok()) << unlinked.error().detail;
  ASSERT_EQ(unlinked->size(), 1u);
  EXPECT_EQ((*unlinked)[0].kind, sdk::SignalKind::identity_unlinked);
  EXPECT_EQ((*unlinked)[0].subject, "10215241773831025");
  EXPECT_FALSE((*unlinked)[0].provider_district);

  auto deletion = deliver("data-deletion", body, now);
  ASSERT_TRUE(deletion.ok()) << deletion.error().detail;
  ASSERT_EQ(deletion->size(), 1u);
  EXPECT_EQ((*deletion)[0].kind, sdk::SignalKind::deletion_requested);
  // The same request gives the same id wherever it is sent: a replay is recognisable.
  EXPECT_EQ((*deletion)[0].signal_id, (*unlinked)[0].signal_id);

  auto other = deliver("", body, now);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, sdk::ErrorCode::unsupported);
}

TEST_F(FacebookSignalsTest, FormEncodingAndContentTypeAreChecked) {
  const std::int64_t now = 1'700'000'000;
  const std::string signed_request = sign(payload(now));
  std::string escaped;
  for (char c : signed_request) escaped += c == '.' ? std::string("%2E") : std::string(1, c);
  EXPECT_TRUE(deliver("deauthorize", "other=1&signed_request=" + escaped, now).ok());
  EXPECT_FALSE(deliver("deauthorize", "signed=" + signed_request, now).ok());
  EXPECT_FALSE(deliver("deauthorize", "signed_request=%zz", now).ok());

  sdk::WebhookRequest json;
  json.channel = "deauthorize";
  json.content_type = "application/json";
  json.body = "signed_request=" + signed_request;
  const sdk::Secret key{std::string(kAppSecret)};
  EXPECT_FALSE(read_signal(json, SignedRequestRules{key, crypto_, at(now), seconds(600)}).ok());
}

TEST_F(FacebookSignalsTest, SignInInstanceUsesItsSecretAndClock) {
  const std::int64_t now = 1'700'000'000;
  sdk::testing::FixedClock clock(at(now));
  sdk::testing::RecordingLogger logger;
  sdk::testing::MapSecrets secrets;
  ::testing::StrictMock<sdk::testing::MockHttpClient> http;
  sdk::testing::TestContext context(sdk::ConfigNode(), http, clock, logger, secrets, "facebook");
  context.use_crypto(crypto_);
  FacebookConfig config;
  config.app_id = "1234567890";
  config.app_secret = sdk::Secret(std::string(kAppSecret));
  config.signal_max_age = seconds(120);
  FacebookSignIn plugin(std::move(config), context);

  sdk::WebhookRequest request;
  request.channel = "deauthorize";
  request.content_type = "application/x-www-form-urlencoded";
  request.body = "signed_request=" + sign(payload(now - 100));
  EXPECT_TRUE(plugin.handle_signal(request).ok());
  clock.advance(seconds(30));
  auto late = plugin.handle_signal(request);
  ASSERT_FALSE(late.ok());
  EXPECT_THAT(late.error().detail, HasSubstr("too old"));
  EXPECT_THAT(late.error().detail, Not(HasSubstr(std::string(kAppSecret))));
}

}  // namespace
}  // namespace lmsgw::plugins::facebook
