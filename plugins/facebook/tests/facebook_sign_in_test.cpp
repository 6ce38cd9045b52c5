#include "facebook_sign_in.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lmsgw/sdk/encoding.h"
#include "lmsgw/sdk/testing/mocks.h"
#include "openssl_crypto.h"

namespace lmsgw::plugins::facebook {
namespace {

using ::testing::_;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Return;
using ::testing::StartsWith;

constexpr std::string_view kRedirectUri = "https://gw.example.org/callback/facebook";
constexpr std::string_view kAppSecret = "app-secret-canary";
constexpr std::string_view kAccessToken = "EAAB-token-canary";
constexpr std::string_view kTokenUrl = "https://graph.facebook.example/v21.0/oauth/access_token";
constexpr std::string_view kMeUrl = "https://graph.facebook.example/v21.0/me";

std::string expected_proof(std::string_view token) {
  return sdk::hex_encode(OpenSslCrypto().hmac_sha256(kAppSecret, token));
}

sdk::HttpResponse answer(int status, std::string body) {
  return sdk::HttpResponse{status, {{"Content-Type", "application/json"}}, std::move(body)};
}

std::string token_body(std::string_view token = kAccessToken) {
  return R"({"access_token":")" + std::string(token) +
         R"(","token_type":"bearer","expires_in":5183944})";
}

constexpr std::string_view kMeBody = R"({"id":"10215241773831025","first_name":"Pat"})";

FacebookConfig test_config(sdk::Role role = sdk::Role::teacher, bool request_email = false) {
  FacebookConfig config;
  config.app_id = "1234567890";
  config.app_secret = sdk::Secret(std::string(kAppSecret));
  config.graph_version = "v21.0";
  config.role = role;
  config.request_email = request_email;
  config.dialog_base_url = "https://www.facebook.example";
  config.graph_base_url = "https://graph.facebook.example";
  config.timeout = std::chrono::milliseconds(2000);
  return config;
}

// The query parameter `name` of `url`, decoded; nullopt when absent.
std::optional<std::string> query_param(const std::string& url, std::string_view name) {
  const auto question = url.find('?');
  if (question == std::string::npos) return std::nullopt;
  std::string_view query = std::string_view(url).substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      std::string value(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
      std::string decoded;
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '%' && i + 2 < value.size()) {
          decoded += static_cast<char>(std::stoi(value.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          decoded += value[i] == '+' ? ' ' : value[i];
        }
      }
      return decoded;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

class FacebookSignInTest : public ::testing::Test {
 protected:
  FacebookSignInTest() : context_(sdk::ConfigNode(), http_, clock_, logger_, secrets_, "facebook") {
    context_.use_crypto(crypto_);
  }

  FacebookSignIn make(FacebookConfig config = test_config()) {
    return FacebookSignIn(std::move(config), context_);
  }

  sdk::CallbackRequest callback_with_code(std::string code = "code-1") {
    sdk::CallbackRequest request;
    request.redirect_uri = std::string(kRedirectUri);
    request.params["code"] = std::move(code);
    request.login = sdk::StartedLogin{"nonce", "verifier", ""};
    return request;
  }

  void expect_token_answer(sdk::Result<sdk::HttpResponse> response) {
    EXPECT_CALL(http_, send(Field(&sdk::HttpRequest::url, StartsWith(std::string(kTokenUrl)))))
        .WillOnce(Return(std::move(response)));
  }
  void expect_me_answer(sdk::Result<sdk::HttpResponse> response) {
    EXPECT_CALL(http_, send(Field(&sdk::HttpRequest::url, StartsWith(std::string(kMeUrl)))))
        .WillOnce(Return(std::move(response)));
  }

  // Answers every call like Graph would and keeps each request, so tests can inspect them all.
  void record_graph(std::string me_body = std::string(kMeBody)) {
    EXPECT_CALL(http_, send(_))
        .WillRepeatedly(
            [this, me_body](const sdk::HttpRequest& request) -> sdk::Result<sdk::HttpResponse> {
              sent_.push_back(request);
              if (request.url.starts_with(kTokenUrl)) return answer(200, token_body());
              return answer(200, me_body);
            });
  }

  ::testing::StrictMock<sdk::testing::MockHttpClient> http_;
  sdk::testing::FixedClock clock_;
  sdk::testing::RecordingLogger logger_;
  sdk::testing::MapSecrets secrets_;
  OpenSslCrypto crypto_;
  sdk::testing::TestContext context_;
  std::vector<sdk::HttpRequest> sent_;
};

TEST_F(FacebookSignInTest, BeginSendsTheBrowserToTheVersionedDialogWithPublicProfileOnly) {
  sdk::LoginRequest request;
  request.redirect_uri = std::string(kRedirectUri);
  request.state = "st-1";
  request.nonce = "n-1";
  request.code_challenge = "challenge";
  auto redirect = make().begin(request);
  ASSERT_TRUE(redirect.ok());
  EXPECT_EQ(redirect->url,
            "https://www.facebook.example/v21.0/dialog/oauth?client_id=1234567890"
            "&redirect_uri=https%3A%2F%2Fgw.example.org%2Fcallback%2Ffacebook&state=st-1"
            "&response_type=code&scope=public_profile");
  EXPECT_TRUE(redirect->flow_data.empty());
  EXPECT_TRUE(redirect->return_to.empty());
}

TEST_F(FacebookSignInTest, BeginAsksForEmailOnlyWhenConfigured) {
  sdk::LoginRequest request;
  request.redirect_uri = std::string(kRedirectUri);
  request.state = "st-1";
  auto redirect = make(test_config(sdk::Role::teacher, true)).begin(request);
  ASSERT_TRUE(redirect.ok());
  EXPECT_EQ(query_param(redirect->url, "scope"), "public_profile,email");
}

TEST_F(FacebookSignInTest, BeginPassesNothingFromTheRequestButTheState) {
  sdk::LoginRequest request;
  request.redirect_uri = std::string(kRedirectUri);
  request.state = "st-1";
  request.params = {{"scope", "user_birthday"}, {"login_hint", "x"}, {"auth_type", "rerequest"}};
  auto redirect = make().begin(request);
  ASSERT_TRUE(redirect.ok());
  EXPECT_EQ(query_param(redirect->url, "scope"), "public_profile");
  EXPECT_FALSE(query_param(redirect->url, "login_hint"));
  EXPECT_FALSE(query_param(redirect->url, "auth_type"));
}

TEST_F(FacebookSignInTest, CompleteRedeemsTheCodeAtTheVersionedGraphAndReadsTheSmallestProfile) {
  record_graph();
  auto identity = make().complete(callback_with_code());
  ASSERT_TRUE(identity.ok()) << identity.error().detail;
  EXPECT_EQ(identity->subject, "10215241773831025");
  EXPECT_EQ(identity->role, sdk::Role::teacher);
  EXPECT_EQ(identity->given_name, "Pat");
  EXPECT_FALSE(identity->provider_district);

  ASSERT_EQ(sent_.size(), 2u);
  const sdk::HttpRequest& exchange = sent_[0];
  EXPECT_EQ(exchange.method, "GET");
  EXPECT_EQ(exchange.url, std::string(kTokenUrl) +
                              "?client_id=1234567890&redirect_uri=https%3A%2F%2Fgw.example.org%2F"
                              "callback%2Ffacebook&client_secret=app-secret-canary&code=code-1");
  EXPECT_FALSE(query_param(exchange.url, "code_verifier"));

  const sdk::HttpRequest& me = sent_[1];
  EXPECT_EQ(me.method, "GET");
  EXPECT_EQ(me.url, std::string(kMeUrl) +
                        "?fields=id%2Cfirst_name&appsecret_proof=" + expected_proof(kAccessToken));
  EXPECT_EQ(sdk::find_header(me.headers, "Authorization"), "Bearer " + std::string(kAccessToken));
  for (const sdk::HttpRequest& request : sent_) {
    EXPECT_EQ(request.max_response_bytes, 16u * 1024);
    EXPECT_EQ(request.timeout, std::chrono::milliseconds(2000));
    EXPECT_THAT(request.url, HasSubstr("/v21.0/"));
  }
}

TEST_F(FacebookSignInTest, EveryGraphCallCarryingTheTokenCarriesItsProof) {
  record_graph();
  auto plugin = make();
  ASSERT_TRUE(plugin.complete(callback_with_code("code-1")).ok());
  ASSERT_TRUE(plugin.complete(callback_with_code("code-2")).ok());
  int with_token = 0;
  for (const sdk::HttpRequest& request : sent_) {
    const bool carries_token =
        request.url.find(kAccessToken) != std::string::npos ||
        sdk::find_header(request.headers, "Authorization").find(kAccessToken) != std::string::npos;
    if (!carries_token) continue;
    ++with_token;
    EXPECT_EQ(query_param(request.url, "appsecret_proof"), expected_proof(kAccessToken))
        << request.url;
  }
  EXPECT_EQ(with_token, 2);
}

TEST_F(FacebookSignInTest, AppsecretProofIsTheLowercaseHexHmacOfThePublishedVector) {
  // RFC 4231-style check with the widely published HMAC-SHA-256 example: key "key", message
  // "The quick brown fox jumps over the lazy dog".
  FacebookConfig config = test_config();
  config.app_secret = sdk::Secret("key");
  EXPECT_CALL(http_, send(Field(&sdk::HttpRequest::url, StartsWith(std::string(kTokenUrl)))))
      .WillOnce(Return(answer(200, token_body("The quick brown fox jumps over the lazy dog"))));
  EXPECT_CALL(http_, send(Field(&sdk::HttpRequest::url, StartsWith(std::string(kMeUrl)))))
      .WillOnce([](const sdk::HttpRequest& request) -> sdk::Result<sdk::HttpResponse> {
        EXPECT_EQ(query_param(request.url, "appsecret_proof"),
                  "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
        return answer(200, std::string(kMeBody));
      });
  EXPECT_TRUE(make(std::move(config)).complete(callback_with_code()).ok());
}

TEST_F(FacebookSignInTest, TheProofIsComputedThroughTheContextsCrypto) {
  ::testing::StrictMock<sdk::testing::MockCrypto> crypto;
  context_.use_crypto(crypto);
  EXPECT_CALL(crypto, hmac_sha256(kAppSecret, kAccessToken))
      .WillOnce(Return(std::string(32, '\xab')));
  expect_token_answer(answer(200, token_body()));
  std::string hex;
  for (int i = 0; i < 32; ++i) hex += "ab";
  EXPECT_CALL(http_, send(Field(&sdk::HttpRequest::url, StartsWith(std::string(kMeUrl)))))
      .WillOnce([hex](const sdk::HttpRequest& request) -> sdk::Result<sdk::HttpResponse> {
        EXPECT_EQ(query_param(request.url, "appsecret_proof"), hex);
        return answer(200, std::string(kMeBody));
      });
  EXPECT_TRUE(make().complete(callback_with_code()).ok());
}

TEST_F(FacebookSignInTest, AnUnusableDigestStopsTheSignInBeforeGraphSeesTheToken) {
  ::testing::StrictMock<sdk::testing::MockCrypto> crypto;
  context_.use_crypto(crypto);
  EXPECT_CALL(crypto, hmac_sha256(_, _)).WillOnce(Return(std::string()));
  expect_token_answer(answer(200, token_body()));
  EXPECT_EQ(make().complete(callback_with_code()).error().code, sdk::ErrorCode::internal);
}

TEST_F(FacebookSignInTest, EmailIsAskedForAndReportedUnverifiedOnlyWhenConfigured) {
  record_graph(R"({"id":"10215241773831025","first_name":"Pat","email":"pat@example.org"})");
  auto identity = make(test_config(sdk::Role::guardian, true)).complete(callback_with_code());
  ASSERT_TRUE(identity.ok()) << identity.error().detail;
  EXPECT_EQ(query_param(sent_.back().url, "fields"), "id,first_name,email");
  EXPECT_EQ(identity->role, sdk::Role::guardian);
  EXPECT_EQ(identity->email, "pat@example.org");
  EXPECT_FALSE(identity->email_verified);
}

TEST_F(FacebookSignInTest, ACallbackWithoutOurStateIsStateMissingAndFacebookIsNotCalled) {
  sdk::CallbackRequest request = callback_with_code();
  request.login.reset();
  auto plugin = make();
  EXPECT_EQ(plugin.complete(request).error().code, sdk::ErrorCode::state_missing);
  EXPECT_FALSE(plugin.supports_provider_initiated());
  EXPECT_FALSE(plugin.callback_is_cross_site_post());
}

TEST_F(FacebookSignInTest, ProviderErrorAndMissingOrOversizedCodeAreRefusedWithoutCalls) {
  auto plugin = make();
  sdk::CallbackRequest denied = callback_with_code();
  denied.params = {
      {"error", "access_denied"}, {"error_code", "200"}, {"error_reason", "user_denied"}};
  EXPECT_EQ(plugin.complete(denied).error().code, sdk::ErrorCode::provider_denied);
  sdk::CallbackRequest coded = callback_with_code();
  coded.params["error_code"] = "1349003";
  EXPECT_EQ(plugin.complete(coded).error().code, sdk::ErrorCode::provider_denied);

  EXPECT_EQ(plugin.complete(callback_with_code("")).error().code, sdk::ErrorCode::invalid_request);
  EXPECT_EQ(plugin.complete(callback_with_code(std::string(1025, 'c'))).error().code,
            sdk::ErrorCode::invalid_request);
}

TEST_F(FacebookSignInTest, TokenExchangeGraphErrorIsUpstreamRejectedNamingOnlyTheCodes) {
  expect_token_answer(answer(
      400, R"({"error":{"message":"This authorization code has been used: code-1",)"
           R"("type":"OAuthException","code":100,"error_subcode":36009,"fbtrace_id":"AbCd"}})"));
  auto result = make().complete(callback_with_code());
  EXPECT_EQ(result.error().code, sdk::ErrorCode::upstream_rejected);
  EXPECT_EQ(result.error().detail,
            "token exchange answered HTTP 400 (Graph error code 100, subcode 36009)");
}

TEST_F(FacebookSignInTest, MalformedTokenAnswersAreRefused) {
  struct Case {
    std::string body;
    sdk::ErrorCode code;
  };
  const Case cases[] = {
      {"{not json", sdk::ErrorCode::upstream_malformed},
      {R"(["access_token"])", sdk::ErrorCode::upstream_malformed},
      {R"({"token_type":"bearer"})", sdk::ErrorCode::upstream_malformed},
      {R"({"access_token":""})", sdk::ErrorCode::upstream_malformed},
      {R"({"access_token":7})", sdk::ErrorCode::upstream_malformed},
      {R"({"access_token":"x","token_type":"mac"})", sdk::ErrorCode::upstream_malformed},
      {R"({"access_token":")" + std::string(4097, 't') + "\"}", sdk::ErrorCode::limit_exceeded},
  };
  auto plugin = make();
  for (const Case& c : cases) {
    expect_token_answer(answer(200, c.body));
    EXPECT_EQ(plugin.complete(callback_with_code()).error().code, c.code) << c.body.substr(0, 40);
  }
}

TEST_F(FacebookSignInTest, GraphRefusingTheTokenOnMeIsUpstreamRejected) {
  expect_token_answer(answer(200, token_body()));
  expect_me_answer(
      answer(400, R"({"error":{"message":"Error validating access token","type":"OAuthException",)"
                  R"("code":190,"error_subcode":460}})"));
  auto result = make().complete(callback_with_code());
  EXPECT_EQ(result.error().code, sdk::ErrorCode::upstream_rejected);
  EXPECT_EQ(result.error().detail, "me answered HTTP 400 (Graph error code 190, subcode 460)");
}

TEST_F(FacebookSignInTest, MalformedMeAnswersAreRefused) {
  const std::pair<std::string, sdk::ErrorCode> cases[] = {
      {"<html>oops</html>", sdk::ErrorCode::upstream_malformed},
      {R"({"first_name":"Pat"})", sdk::ErrorCode::upstream_malformed},
      {R"({"id":"../../app","first_name":"Pat"})", sdk::ErrorCode::upstream_malformed},
      {R"({"id":10215241773831025})", sdk::ErrorCode::upstream_malformed},
      {R"({"id":"1","first_name":")" + std::string(257, 'n') + "\"}",
       sdk::ErrorCode::limit_exceeded},
  };
  auto plugin = make();
  for (const auto& [body, code] : cases) {
    expect_token_answer(answer(200, token_body()));
    expect_me_answer(answer(200, body));
    EXPECT_EQ(plugin.complete(callback_with_code()).error().code, code) << body.substr(0, 40);
  }
}

TEST_F(FacebookSignInTest, TransportFailuresArePassedOn) {
  auto plugin = make();
  expect_token_answer(sdk::Error{sdk::ErrorCode::upstream_unavailable, "connect refused"});
  EXPECT_EQ(plugin.complete(callback_with_code()).error().code,
            sdk::ErrorCode::upstream_unavailable);
  expect_token_answer(answer(200, token_body()));
  expect_me_answer(sdk::Error{sdk::ErrorCode::limit_exceeded, "response too large"});
  EXPECT_EQ(plugin.complete(callback_with_code()).error().code, sdk::ErrorCode::limit_exceeded);
}

TEST_F(FacebookSignInTest, LogsNoCodeTokenSecretOrProof) {
  auto plugin = make();
  expect_token_answer(answer(200, token_body()));
  expect_me_answer(answer(400, R"({"error":{"message":"EAAB-token-canary","code":190}})"));
  auto result = plugin.complete(callback_with_code("code-canary"));
  ASSERT_FALSE(result.ok());
  expect_token_answer(answer(401, R"({"error":{"message":"app-secret-canary","code":1}})"));
  (void)plugin.complete(callback_with_code("code-canary"));
  const std::string proof = expected_proof(kAccessToken);
  const std::vector<std::string> lines = logger_.lines();
  ASSERT_FALSE(lines.empty());
  for (const std::string& text : lines) {
    for (std::string_view canary : {std::string_view("code-canary"), kAccessToken, kAppSecret,
                                    std::string_view(proof).substr(0, 16)}) {
      EXPECT_THAT(text, Not(HasSubstr(std::string(canary))));
    }
  }
  EXPECT_THAT(result.error().detail, Not(HasSubstr("canary")));
}

}  // namespace
}  // namespace lmsgw::plugins::facebook
