#include "clever_sign_in.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lmsgw/sdk/encoding.h"
#include "lmsgw/sdk/testing/mocks.h"

namespace lmsgw::plugins::clever {
namespace {

using ::testing::_;
using ::testing::AllOf;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Return;

constexpr std::string_view kRedirectUri = "https://gw.example.org/callback/clever";
constexpr std::string_view kUserId = "6620aa00000000000000b001";

sdk::HttpResponse answer(int status, std::string body) {
  return sdk::HttpResponse{status, {{"Content-Type", "application/json"}}, std::move(body)};
}

std::string me_body(std::string_view id) {
  return R"({"type":"user","data":{"id":")" + std::string(id) +
         R"(","district":"6620aa00000000000000d001","type":"user","authorized_by":"district"}})";
}

std::string user_body(std::string_view id) {
  return R"({"data":{"id":")" + std::string(id) +
         R"(","district":"6620aa00000000000000d001","name":{"first":"Ana","last":"Diazcanary"},)"
         R"("roles":{"student":{"dob":"3/4/2015","gender":"F"}}}})";
}

class CleverSignInTest : public ::testing::Test {
 protected:
  CleverSignInTest()
      : context_(sdk::ConfigNode(), http_, clock_, logger_, secrets_, "clever"),
        plugin_(CleverConfig{"client-1", sdk::Secret("secret-1"),
                             "https://clever.example/oauth/authorize",
                             "https://clever.example/oauth/tokens", "https://api.clever.example",
                             std::chrono::milliseconds(2000)},
                context_) {}

  sdk::CallbackRequest callback_with_code(std::string code = "code-1") {
    sdk::CallbackRequest request;
    request.redirect_uri = std::string(kRedirectUri);
    request.params["code"] = std::move(code);
    request.login = sdk::StartedLogin{"nonce", "verifier", ""};
    return request;
  }

  void expect_token_answer(sdk::Result<sdk::HttpResponse> response) {
    EXPECT_CALL(http_, send(Field(&sdk::HttpRequest::url, "https://clever.example/oauth/tokens")))
        .WillOnce(Return(std::move(response)));
  }
  void expect_me_answer(sdk::Result<sdk::HttpResponse> response) {
    EXPECT_CALL(http_, send(Field(&sdk::HttpRequest::url, "https://api.clever.example/v3.0/me")))
        .WillOnce(Return(std::move(response)));
  }

  ::testing::StrictMock<sdk::testing::MockHttpClient> http_;
  sdk::testing::FixedClock clock_;
  sdk::testing::RecordingLogger logger_;
  sdk::testing::MapSecrets secrets_;
  sdk::testing::TestContext context_;
  CleverSignIn plugin_;
};

TEST_F(CleverSignInTest, BeginBuildsTheAuthorizeUrlWithStateAndExactRedirectUri) {
  sdk::LoginRequest request;
  request.redirect_uri = std::string(kRedirectUri);
  request.state = "st-1";
  request.params["district_id"] = "6620aa00000000000000d001";
  auto redirect = plugin_.begin(request);
  ASSERT_TRUE(redirect.ok());
  EXPECT_EQ(redirect->url,
            "https://clever.example/oauth/authorize?response_type=code&client_id=client-1"
            "&redirect_uri=https%3A%2F%2Fgw.example.org%2Fcallback%2Fclever&state=st-1"
            "&district_id=6620aa00000000000000d001");
}

TEST_F(CleverSignInTest, BeginRefusesAForwardedParameterThatIsNotAnId) {
  sdk::LoginRequest request;
  request.params["login_hint"] = "x&client_id=evil";
  EXPECT_EQ(plugin_.begin(request).error().code, sdk::ErrorCode::invalid_request);
}

TEST_F(CleverSignInTest, CompleteRedeemsTheCodeAndReadsTheUserRecord) {
  EXPECT_CALL(http_,
              send(AllOf(Field(&sdk::HttpRequest::method, "POST"),
                         Field(&sdk::HttpRequest::url, "https://clever.example/oauth/tokens"),
                         Field(&sdk::HttpRequest::body,
                               "code=code-1&grant_type=authorization_code&redirect_uri=https%3A%2F"
                               "%2Fgw.example.org%2Fcallback%2Fclever"))))
      .WillOnce([](const sdk::HttpRequest& request) -> sdk::Result<sdk::HttpResponse> {
        EXPECT_EQ(sdk::find_header(request.headers, "authorization"),
                  "Basic " + sdk::base64_encode("client-1:secret-1"));
        return answer(200, R"({"access_token":"at-1","token_type":"bearer"})");
      });
  EXPECT_CALL(http_, send(Field(&sdk::HttpRequest::url, "https://api.clever.example/v3.0/me")))
      .WillOnce([](const sdk::HttpRequest& request) -> sdk::Result<sdk::HttpResponse> {
        EXPECT_EQ(sdk::find_header(request.headers, "Authorization"), "Bearer at-1");
        return answer(200, me_body(kUserId));
      });
  EXPECT_CALL(http_, send(Field(&sdk::HttpRequest::url,
                                "https://api.clever.example/v3.0/users/" + std::string(kUserId))))
      .WillOnce(Return(answer(200, user_body(kUserId))));

  auto identity = plugin_.complete(callback_with_code());
  ASSERT_TRUE(identity.ok()) << identity.error().detail;
  EXPECT_EQ(identity->subject, kUserId);
  EXPECT_EQ(identity->role, sdk::Role::student);
  EXPECT_EQ(identity->given_name, "Ana");
}

TEST_F(CleverSignInTest, InstantLoginWithoutStateIsRedeemedTheSameWay) {
  expect_token_answer(answer(200, R"({"access_token":"at-1","token_type":"bearer"})"));
  expect_me_answer(answer(200, me_body(kUserId)));
  EXPECT_CALL(http_, send(Field(&sdk::HttpRequest::url, HasSubstr("/v3.0/users/"))))
      .WillOnce(Return(answer(200, user_body(kUserId))));
  sdk::CallbackRequest request = callback_with_code();
  request.login.reset();
  EXPECT_TRUE(plugin_.complete(request).ok());
  EXPECT_TRUE(plugin_.supports_provider_initiated());
}

TEST_F(CleverSignInTest, ProviderErrorAndMissingCodeAreRefusedWithoutCallingClever) {
  sdk::CallbackRequest denied = callback_with_code();
  denied.params["error"] = "access_denied";
  EXPECT_EQ(plugin_.complete(denied).error().code, sdk::ErrorCode::provider_denied);

  sdk::CallbackRequest no_code = callback_with_code("");
  EXPECT_EQ(plugin_.complete(no_code).error().code, sdk::ErrorCode::invalid_request);
  EXPECT_EQ(plugin_.complete(callback_with_code(std::string(600, 'c'))).error().code,
            sdk::ErrorCode::invalid_request);
}

TEST_F(CleverSignInTest, TokenEndpointRefusalIsUpstreamRejected) {
  expect_token_answer(answer(400, R"({"error":"invalid_grant"})"));
  auto result = plugin_.complete(callback_with_code());
  EXPECT_EQ(result.error().code, sdk::ErrorCode::upstream_rejected);
  EXPECT_THAT(result.error().detail, HasSubstr("400"));
}

TEST_F(CleverSignInTest, MalformedTokenAnswersAreUpstreamMalformed) {
  expect_token_answer(answer(200, "{not json"));
  EXPECT_EQ(plugin_.complete(callback_with_code()).error().code,
            sdk::ErrorCode::upstream_malformed);
  expect_token_answer(answer(200, R"({"token_type":"bearer"})"));
  EXPECT_EQ(plugin_.complete(callback_with_code()).error().code,
            sdk::ErrorCode::upstream_malformed);
  expect_token_answer(answer(200, R"({"access_token":"x","token_type":"mac"})"));
  EXPECT_EQ(plugin_.complete(callback_with_code()).error().code,
            sdk::ErrorCode::upstream_malformed);
  expect_token_answer(answer(200, R"(["access_token"])"));
  EXPECT_EQ(plugin_.complete(callback_with_code()).error().code,
            sdk::ErrorCode::upstream_malformed);
}

TEST_F(CleverSignInTest, TransportFailureIsPassedOnAsUnavailable) {
  expect_token_answer(sdk::Error{sdk::ErrorCode::upstream_unavailable, "connect refused"});
  EXPECT_EQ(plugin_.complete(callback_with_code()).error().code,
            sdk::ErrorCode::upstream_unavailable);
}

TEST_F(CleverSignInTest, ServerErrorOnMeIsUpstreamRejected) {
  expect_token_answer(answer(200, R"({"access_token":"at-1"})"));
  expect_me_answer(answer(500, "<html>oops</html>"));
  EXPECT_EQ(plugin_.complete(callback_with_code()).error().code, sdk::ErrorCode::upstream_rejected);
}

TEST_F(CleverSignInTest, AUserRecordForSomeoneElseIsRefused) {
  expect_token_answer(answer(200, R"({"access_token":"at-1"})"));
  expect_me_answer(answer(200, me_body(kUserId)));
  EXPECT_CALL(http_, send(Field(&sdk::HttpRequest::url, HasSubstr("/v3.0/users/"))))
      .WillOnce(Return(answer(200, user_body("6620aa00000000000000b999"))));
  EXPECT_EQ(plugin_.complete(callback_with_code()).error().code,
            sdk::ErrorCode::upstream_malformed);
}

TEST_F(CleverSignInTest, AnUnsafeIdFromMeNeverReachesAUrl) {
  expect_token_answer(answer(200, R"({"access_token":"at-1"})"));
  expect_me_answer(answer(200, me_body("../../districts")));
  EXPECT_EQ(plugin_.complete(callback_with_code()).error().code,
            sdk::ErrorCode::upstream_malformed);
}

TEST_F(CleverSignInTest, LogsNoTokenCodeOrPersonalData) {
  expect_token_answer(answer(401, R"({"error":"invalid_client"})"));
  (void)plugin_.complete(callback_with_code("code-canary"));
  for (const std::string& line : logger_.lines()) {
    EXPECT_THAT(line, ::testing::Not(HasSubstr("code-canary")));
    EXPECT_THAT(line, ::testing::Not(HasSubstr("secret-1")));
  }
  EXPECT_FALSE(logger_.lines().empty());
}

}  // namespace
}  // namespace lmsgw::plugins::clever
