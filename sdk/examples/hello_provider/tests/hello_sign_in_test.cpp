#include "hello_sign_in.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "lmsgw/sdk/encoding.h"
#include "lmsgw/sdk/testing/mocks.h"

namespace hello {
namespace {

using ::testing::_;
using ::testing::AllOf;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Return;
namespace sdk = lmsgw::sdk;
namespace sdk_testing = lmsgw::sdk::testing;

constexpr std::string_view kRedirectUri = "https://gw.example.org/callback/hello";

sdk::Result<sdk::HttpResponse> answer(int status, std::string body) {
  return sdk::HttpResponse{status, {{"Content-Type", "application/json"}}, std::move(body)};
}

constexpr std::string_view kUserinfo =
    R"({"sub":"h-1001","role":"student","school":"sch-0042","given_name":"Ana",)"
    R"("family_name":"Zzfamilycanary","email":"ana@example.org","email_verified":true,)"
    R"("birthdate":"2015-03-04","nickname":"Zznicknamecanary","picture":null})";

class HelloSignInTest : public ::testing::Test {
 protected:
  HelloSignInTest()
      : context_(sdk::ConfigNode(), http_, clock_, logger_, secrets_, "hello"),
        plugin_(HelloConfig{"hello client", sdk::Secret("s3cret:&"),
                            "https://id.hello.example/authorize", "https://id.hello.example/token",
                            "https://id.hello.example/userinfo", std::chrono::milliseconds(2000)},
                context_) {}

  static sdk::CallbackRequest callback(std::string code = "code-1") {
    sdk::CallbackRequest request;
    request.redirect_uri = std::string(kRedirectUri);
    request.params["code"] = std::move(code);
    request.login = sdk::StartedLogin{"nonce-1", "verifier-1", ""};
    return request;
  }

  void expect_token_answer(sdk::Result<sdk::HttpResponse> response) {
    EXPECT_CALL(http_, send(Field(&sdk::HttpRequest::url, "https://id.hello.example/token")))
        .WillOnce(Return(std::move(response)));
  }
  void expect_userinfo_answer(sdk::Result<sdk::HttpResponse> response) {
    EXPECT_CALL(http_, send(Field(&sdk::HttpRequest::url, "https://id.hello.example/userinfo")))
        .WillOnce(Return(std::move(response)));
  }

  ::testing::StrictMock<sdk_testing::MockHttpClient> http_;
  sdk_testing::FixedClock clock_;
  sdk_testing::RecordingLogger logger_;
  sdk_testing::MapSecrets secrets_;
  sdk_testing::TestContext context_;
  HelloSignIn plugin_;
};

TEST_F(HelloSignInTest, BeginBuildsTheAuthorizationRequest) {
  sdk::LoginRequest request;
  request.redirect_uri = std::string(kRedirectUri);
  request.state = "st-1";
  request.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  request.params["login_hint"] = "h-1001";
  auto redirect = plugin_.begin(request);
  ASSERT_TRUE(redirect.ok()) << redirect.error().detail;
  EXPECT_EQ(redirect->url,
            "https://id.hello.example/authorize?response_type=code&client_id=hello%20client"
            "&redirect_uri=https%3A%2F%2Fgw.example.org%2Fcallback%2Fhello&state=st-1"
            "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
            "&code_challenge_method=S256&login_hint=h-1001");
  EXPECT_TRUE(redirect->flow_data.empty());
}

TEST_F(HelloSignInTest, BeginRefusesALoginHintThatIsNotAnId) {
  sdk::LoginRequest request;
  request.redirect_uri = std::string(kRedirectUri);
  request.state = "st-1";
  request.params["login_hint"] = "a&b=c";
  auto redirect = plugin_.begin(request);
  ASSERT_FALSE(redirect.ok());
  EXPECT_EQ(redirect.error().code, sdk::ErrorCode::invalid_request);
}

TEST_F(HelloSignInTest, CompleteRedeemsTheCodeOnceWithPkceAndReadsTheUserinfo) {
  const std::string basic = "Basic " + sdk::base64_encode("hello%20client:s3cret%3A%26");
  EXPECT_CALL(http_, send(AllOf(Field(&sdk::HttpRequest::method, "POST"),
                                Field(&sdk::HttpRequest::url, "https://id.hello.example/token"),
                                Field(&sdk::HttpRequest::headers,
                                      ::testing::Contains(::testing::Pair("Authorization", basic))),
                                Field(&sdk::HttpRequest::body,
                                      "grant_type=authorization_code&code=code-1&redirect_uri="
                                      "https%3A%2F%2Fgw.example.org%2Fcallback%2Fhello"
                                      "&code_verifier=verifier-1"))))
      .WillOnce(Return(answer(200, R"({"access_token":"at-1","token_type":"Bearer"})")));
  EXPECT_CALL(http_,
              send(AllOf(Field(&sdk::HttpRequest::method, "GET"),
                         Field(&sdk::HttpRequest::url, "https://id.hello.example/userinfo"),
                         Field(&sdk::HttpRequest::headers, ::testing::Contains(::testing::Pair(
                                                               "Authorization", "Bearer at-1"))))))
      .WillOnce(Return(answer(200, std::string(kUserinfo))));

  auto identity = plugin_.complete(callback());
  ASSERT_TRUE(identity.ok()) << identity.error().detail;
  EXPECT_EQ(identity->subject, "h-1001");
  EXPECT_EQ(identity->role, sdk::Role::student);
  EXPECT_EQ(identity->provider_district, "sch-0042");
  EXPECT_EQ(identity->given_name, "Ana");
  EXPECT_EQ(identity->family_name, "Zzfamilycanary");
  EXPECT_EQ(identity->email, "ana@example.org");
  EXPECT_TRUE(identity->email_verified);
  EXPECT_EQ(identity->birthdate, (sdk::CivilDate{2015, 3, 4}));
  EXPECT_EQ(identity->extra,
            (std::map<std::string, std::string>{{"nickname", "Zznicknamecanary"}}));
  EXPECT_TRUE(logger_.lines().empty());
}

TEST_F(HelloSignInTest, AProviderErrorIsProviderDenied) {
  sdk::CallbackRequest request = callback();
  request.params["error"] = "access_denied";
  auto identity = plugin_.complete(request);
  ASSERT_FALSE(identity.ok());
  EXPECT_EQ(identity.error().code, sdk::ErrorCode::provider_denied);
}

TEST_F(HelloSignInTest, ACallbackWithoutAStartedLoginIsRefusedBeforeAnyCall) {
  sdk::CallbackRequest request = callback();
  request.login.reset();
  auto identity = plugin_.complete(request);
  ASSERT_FALSE(identity.ok());
  EXPECT_EQ(identity.error().code, sdk::ErrorCode::state_missing);
}

TEST_F(HelloSignInTest, ACodeThatIsNotPrintableAsciiIsRefused) {
  auto identity = plugin_.complete(callback("code\r\nX-Injected: 1"));
  ASSERT_FALSE(identity.ok());
  EXPECT_EQ(identity.error().code, sdk::ErrorCode::invalid_request);
}

TEST_F(HelloSignInTest, ARefusedCodeIsUpstreamRejectedAndLoggedWithoutData) {
  expect_token_answer(answer(400, R"({"error":"invalid_grant"})"));
  auto identity = plugin_.complete(callback("code-zzcanary"));
  ASSERT_FALSE(identity.ok());
  EXPECT_EQ(identity.error().code, sdk::ErrorCode::upstream_rejected);
  EXPECT_EQ(identity.error().detail, "token endpoint answered HTTP 400");
  ASSERT_EQ(logger_.lines().size(), 1u);
  EXPECT_EQ(logger_.lines()[0], "Hello ID refused the request step=token endpoint status=400");
}

TEST_F(HelloSignInTest, OnlyABearerTokenIsAccepted) {
  expect_token_answer(answer(200, R"({"access_token":"at-1","token_type":"mac"})"));
  auto identity = plugin_.complete(callback());
  ASSERT_FALSE(identity.ok());
  EXPECT_EQ(identity.error().code, sdk::ErrorCode::upstream_malformed);
}

TEST_F(HelloSignInTest, AnUnreachableProviderIsReportedAsSuch) {
  expect_token_answer(sdk::Error{sdk::ErrorCode::upstream_unavailable, "connect: refused"});
  auto identity = plugin_.complete(callback());
  ASSERT_FALSE(identity.ok());
  EXPECT_EQ(identity.error().code, sdk::ErrorCode::upstream_unavailable);
}

TEST_F(HelloSignInTest, AUserinfoWithoutAValidSubIsRefused) {
  for (const char* body :
       {R"({"role":"student"})", R"({"sub":""})", R"({"sub":"a b"})", R"({"sub":42})"}) {
    SCOPED_TRACE(body);
    expect_token_answer(answer(200, R"({"access_token":"at-1","token_type":"bearer"})"));
    expect_userinfo_answer(answer(200, body));
    auto identity = plugin_.complete(callback());
    ASSERT_FALSE(identity.ok());
    EXPECT_EQ(identity.error().code, sdk::ErrorCode::upstream_malformed);
    EXPECT_EQ(identity.error().detail, "userinfo has no valid sub");
  }
}

TEST_F(HelloSignInTest, ADateThatDoesNotExistIsRefusedWithoutRepeatingIt) {
  expect_token_answer(answer(200, R"({"access_token":"at-1","token_type":"bearer"})"));
  expect_userinfo_answer(answer(200, R"({"sub":"h-1","birthdate":"2015-02-30"})"));
  auto identity = plugin_.complete(callback());
  ASSERT_FALSE(identity.ok());
  EXPECT_EQ(identity.error().code, sdk::ErrorCode::upstream_malformed);
  EXPECT_THAT(identity.error().detail, ::testing::Not(HasSubstr("2015")));
}

TEST_F(HelloSignInTest, RolesItDoesNotKnowAreLeftToTheGateway) {
  auto identity =
      identity_from_userinfo(boost::json::parse(R"({"sub":"h-1","role":"principal"})").as_object());
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(identity->role, sdk::Role::unknown);
}

TEST_F(HelloSignInTest, AnEmailIsVerifiedOnlyWhenThereIsOne) {
  auto identity = identity_from_userinfo(
      boost::json::parse(R"({"sub":"h-1","email_verified":true})").as_object());
  ASSERT_TRUE(identity.ok());
  EXPECT_FALSE(identity->email_verified);
  auto wrong_type = identity_from_userinfo(
      boost::json::parse(R"({"sub":"h-1","email":"a@example.org","email_verified":"true"})")
          .as_object());
  EXPECT_FALSE(wrong_type.ok());
}

}  // namespace
}  // namespace hello
