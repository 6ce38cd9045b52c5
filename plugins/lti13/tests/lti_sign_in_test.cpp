#include "lti_sign_in.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "lmsgw/sdk/testing/mocks.h"
#include "lti_claims.h"

namespace lmsgw::plugins::lti13 {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Return;

constexpr std::string_view kRedirectUri = "https://gw.example.org/callback/canvas";
constexpr std::string_view kIssuer = "https://canvas.example.edu";
constexpr std::string_view kClientId = "10000000000001";
constexpr std::string_view kTarget = "https://platform.example.org/courses/launch";
constexpr std::string_view kNonce = "nonce-from-the-core";
constexpr std::string_view kIdToken = "header.payload.signature";
constexpr std::string_view kLearner = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
constexpr std::string_view kInstructor =
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";

std::string lti(std::string_view name) { return std::string(kClaimPrefix) + std::string(name); }

// A valid resource link launch for a learner, with canaries in every field the core drops.
boost::json::object launch_claims() {
  boost::json::object claims;
  claims["iss"] = kIssuer;
  claims["aud"] = kClientId;
  claims["azp"] = kClientId;
  claims["sub"] = "lms-user-42";
  claims["exp"] = 1'700'000'600;
  claims["iat"] = 1'700'000'000;
  claims["nonce"] = kNonce;
  claims["given_name"] = "Ana";
  claims["family_name"] = "Zzfamilycanary";
  claims["middle_name"] = "Zzmiddlecanary";
  claims["name"] = "Ana Zzfamilycanary";
  claims["email"] = "zz.canary@example.org";
  claims["picture"] = "https://canvas.example.edu/zzpicturecanary.png";
  claims[lti("message_type")] = kResourceLinkRequest;
  claims[lti("version")] = kLtiVersion;
  claims[lti("deployment_id")] = "1:abc";
  claims[lti("target_link_uri")] = kTarget;
  claims[lti("resource_link")] = {{"id", "rl-7"}, {"title", "Fractions"}};
  claims[lti("roles")] = boost::json::array{kLearner};
  claims[lti("context")] = {{"id", "ctx-9"}, {"label", "MATH3"}, {"title", "Math 3"}};
  claims[lti("custom")] = {{"student_sis_id", "ZZCUSTOMSISCANARY"}};
  claims[lti("lis")] = {{"person_sourcedid", "ZZSOURCEDIDCANARY"}};
  claims[lti("launch_presentation")] = {{"locale", "en"}, {"document_target", "iframe"}};
  return claims;
}

class LtiSignInTest : public ::testing::Test {
 protected:
  LtiSignInTest()
      : context_(sdk::ConfigNode(), http_, clock_, logger_, secrets_, "canvas"),
        plugin_(LtiConfig{std::string(kIssuer),
                          std::string(kClientId),
                          "https://canvas.example.edu/api/lti/authorize_redirect",
                          "https://canvas.example.edu/api/lti/security/jwks",
                          {"1:abc", "2:def"},
                          {"RS256"}},
                context_) {
    context_.use_tokens(tokens_);
  }

  static sdk::LoginRequest login_request() {
    sdk::LoginRequest request;
    request.redirect_uri = std::string(kRedirectUri);
    request.state = "st-1";
    request.nonce = std::string(kNonce);
    request.code_challenge = "unused-by-lti";
    request.params = {{"iss", std::string(kIssuer)},
                      {"login_hint", "hint-42"},
                      {"target_link_uri", std::string(kTarget)},
                      {"lti_message_hint", "msg-hint-7"},
                      {"client_id", std::string(kClientId)},
                      {"lti_deployment_id", "1:abc"}};
    return request;
  }

  // The callback of a login begun with `login`, carrying `kIdToken`.
  sdk::CallbackRequest callback_of(const sdk::LoginRequest& login) {
    auto redirect = plugin_.begin(login);
    EXPECT_TRUE(redirect.ok());
    sdk::CallbackRequest callback;
    callback.redirect_uri = std::string(kRedirectUri);
    callback.params["id_token"] = std::string(kIdToken);
    callback.login = sdk::StartedLogin{std::string(kNonce), "verifier",
                                       redirect.ok() ? redirect->flow_data : std::string()};
    return callback;
  }

  // Completes a launch whose verified token carries `claims`.
  sdk::Result<sdk::ExternalIdentity> launch(const boost::json::object& claims,
                                            const sdk::LoginRequest& login = login_request()) {
    sdk::VerifiedJwt verified{R"({"alg":"RS256","kid":"k1"})", boost::json::serialize(claims),
                              "RS256", "k1"};
    EXPECT_CALL(tokens_, verify(std::string_view(kIdToken), _)).WillOnce(Return(verified));
    return plugin_.complete(callback_of(login));
  }

  sdk::ErrorCode refusal(const boost::json::object& claims,
                         const sdk::LoginRequest& login = login_request()) {
    auto identity = launch(claims, login);
    EXPECT_FALSE(identity.ok());
    return identity.ok() ? sdk::ErrorCode::internal : identity.error().code;
  }

  sdk::ErrorCode begin_refusal(const sdk::LoginRequest& request) {
    auto redirect = plugin_.begin(request);
    EXPECT_FALSE(redirect.ok());
    return redirect.ok() ? sdk::ErrorCode::internal : redirect.error().code;
  }

  ::testing::StrictMock<sdk::testing::MockHttpClient> http_;
  ::testing::StrictMock<sdk::testing::MockTokenVerifier> tokens_;
  sdk::testing::FixedClock clock_;
  sdk::testing::RecordingLogger logger_;
  sdk::testing::MapSecrets secrets_;
  sdk::testing::TestContext context_;
  LtiSignIn plugin_;
};

TEST_F(LtiSignInTest, BeginSendsTheBrowserToThePlatformWithEveryOidcParameter) {
  auto redirect = plugin_.begin(login_request());
  ASSERT_TRUE(redirect.ok()) << redirect.error().detail;
  EXPECT_EQ(redirect->url,
            "https://canvas.example.edu/api/lti/authorize_redirect?scope=openid"
            "&response_type=id_token&response_mode=form_post&prompt=none"
            "&client_id=10000000000001"
            "&redirect_uri=https%3A%2F%2Fgw.example.org%2Fcallback%2Fcanvas"
            "&login_hint=hint-42&lti_message_hint=msg-hint-7&state=st-1"
            "&nonce=nonce-from-the-core");
  EXPECT_EQ(redirect->return_to, kTarget);
  EXPECT_LE(redirect->flow_data.size(), 1024u);
  EXPECT_TRUE(plugin_.callback_is_cross_site_post());
  EXPECT_FALSE(plugin_.supports_provider_initiated());
}

TEST_F(LtiSignInTest, BeginLeavesOutAnAbsentMessageHintAndAcceptsAMinimalLogin) {
  sdk::LoginRequest request = login_request();
  request.params.erase("lti_message_hint");
  request.params.erase("client_id");
  request.params.erase("lti_deployment_id");
  auto redirect = plugin_.begin(request);
  ASSERT_TRUE(redirect.ok()) << redirect.error().detail;
  EXPECT_THAT(redirect->url, Not(HasSubstr("lti_message_hint")));
  EXPECT_THAT(redirect->url, HasSubstr("&login_hint=hint-42&state=st-1"));
}

TEST_F(LtiSignInTest, BeginRefusesALoginForAnotherPlatform) {
  sdk::LoginRequest wrong = login_request();
  wrong.params["iss"] = "https://other-lms.example.edu";
  EXPECT_EQ(begin_refusal(wrong), sdk::ErrorCode::invalid_request);
  sdk::LoginRequest missing = login_request();
  missing.params.erase("iss");
  EXPECT_EQ(begin_refusal(missing), sdk::ErrorCode::invalid_request);
  sdk::LoginRequest prefix = login_request();
  prefix.params["iss"] = std::string(kIssuer) + "/";
  EXPECT_EQ(begin_refusal(prefix), sdk::ErrorCode::invalid_request);
}

TEST_F(LtiSignInTest, BeginRefusesAnotherClientId) {
  sdk::LoginRequest request = login_request();
  request.params["client_id"] = "10000000000002";
  EXPECT_EQ(begin_refusal(request), sdk::ErrorCode::invalid_request);
}

TEST_F(LtiSignInTest, BeginRefusesADeploymentNotRegisteredHere) {
  sdk::LoginRequest request = login_request();
  request.params["lti_deployment_id"] = "3:ghi";
  EXPECT_EQ(begin_refusal(request), sdk::ErrorCode::not_permitted);
}

TEST_F(LtiSignInTest, BeginRequiresLoginHintAndTarget) {
  for (const char* name : {"login_hint", "target_link_uri"}) {
    sdk::LoginRequest missing = login_request();
    missing.params.erase(name);
    EXPECT_EQ(begin_refusal(missing), sdk::ErrorCode::invalid_request) << name;
    sdk::LoginRequest empty = login_request();
    empty.params[name] = "";
    EXPECT_EQ(begin_refusal(empty), sdk::ErrorCode::invalid_request) << name;
  }
}

TEST_F(LtiSignInTest, BeginBoundsEveryEchoedParameter) {
  const std::pair<const char*, std::size_t> limits[] = {
      {"login_hint", 1024}, {"lti_message_hint", 2048}, {"target_link_uri", 760}};
  for (const auto& [name, limit] : limits) {
    sdk::LoginRequest at_limit = login_request();
    at_limit.params[name] = std::string(name) == "target_link_uri"
                                ? std::string(kTarget) + std::string(limit - kTarget.size(), 'a')
                                : std::string(limit, 'a');
    EXPECT_TRUE(plugin_.begin(at_limit).ok()) << name;
    sdk::LoginRequest over = at_limit;
    over.params[name] += "a";
    EXPECT_EQ(begin_refusal(over), sdk::ErrorCode::invalid_request) << name;
    sdk::LoginRequest control = login_request();
    control.params[name] = "a\nb";
    EXPECT_EQ(begin_refusal(control), sdk::ErrorCode::invalid_request) << name;
  }
}

TEST_F(LtiSignInTest, FlowDataStaysUnderOneKibibyteAtEveryLimit) {
  sdk::LoginRequest request = login_request();
  request.params["target_link_uri"] = std::string(kTarget) + std::string(760 - kTarget.size(), 'a');
  auto redirect = plugin_.begin(request);
  ASSERT_TRUE(redirect.ok());
  // With the longest deployment id a registration may hold (255) instead of this one's 5.
  EXPECT_LE(redirect->flow_data.size() - 5 + 255, 1024u);
}

TEST_F(LtiSignInTest, ALearnerLaunchIsAStudentOfItsContextWithEveryClaimReported) {
  auto identity = launch(launch_claims());
  ASSERT_TRUE(identity.ok()) << identity.error().detail;
  EXPECT_EQ(identity->subject, "lms-user-42");
  EXPECT_EQ(identity->role, sdk::Role::student);
  EXPECT_EQ(identity->provider_district, std::nullopt);
  EXPECT_EQ(identity->provider_sections, std::vector<std::string>{"ctx-9"});
  EXPECT_EQ(identity->given_name, "Ana");
  EXPECT_EQ(identity->family_name, "Zzfamilycanary");
  EXPECT_EQ(identity->middle_name, "Zzmiddlecanary");
  EXPECT_EQ(identity->full_name, "Ana Zzfamilycanary");
  EXPECT_EQ(identity->email, "zz.canary@example.org");
  EXPECT_FALSE(identity->email_verified);
  EXPECT_EQ(identity->birthdate, std::nullopt);
  EXPECT_EQ(identity->extra.at(lti("custom") + ".student_sis_id"), "ZZCUSTOMSISCANARY");
  EXPECT_EQ(identity->extra.at(lti("lis") + ".person_sourcedid"), "ZZSOURCEDIDCANARY");
  EXPECT_EQ(identity->extra.at(lti("launch_presentation") + ".locale"), "en");
  EXPECT_EQ(identity->extra.at("picture"), "https://canvas.example.edu/zzpicturecanary.png");
  EXPECT_EQ(identity->extra.at(lti("resource_link") + ".id"), "rl-7");
  for (const char* protocol : {"iss", "aud", "azp", "exp", "iat", "nonce", "sub", "email"}) {
    EXPECT_FALSE(identity->extra.contains(protocol)) << protocol;
  }
}

TEST_F(LtiSignInTest, TheTokenIsCheckedAgainstTheRegistrationAndTheLoginsNonce) {
  sdk::JwtCheck seen;
  EXPECT_CALL(tokens_, verify(std::string_view(kIdToken), _))
      .WillOnce([&](std::string_view, const sdk::JwtCheck& check) -> sdk::Result<sdk::VerifiedJwt> {
        seen = check;
        return sdk::VerifiedJwt{"{}", boost::json::serialize(launch_claims()), "RS256", "k1"};
      });
  ASSERT_TRUE(plugin_.complete(callback_of(login_request())).ok());
  EXPECT_EQ(seen.jwks_uri, "https://canvas.example.edu/api/lti/security/jwks");
  EXPECT_EQ(seen.algorithms, std::vector<std::string>{"RS256"});
  EXPECT_EQ(seen.issuers, std::vector<std::string>{std::string(kIssuer)});
  EXPECT_EQ(seen.audiences, std::vector<std::string>{std::string(kClientId)});
  EXPECT_EQ(seen.nonce, std::optional<std::string>(kNonce));
  EXPECT_TRUE(seen.require_expiry);
}

TEST_F(LtiSignInTest, AnInstructorIsATeacher) {
  boost::json::object claims = launch_claims();
  claims[lti("roles")] = boost::json::array{
      kInstructor, "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty"};
  auto identity = launch(claims);
  ASSERT_TRUE(identity.ok()) << identity.error().detail;
  EXPECT_EQ(identity->role, sdk::Role::teacher);
}

TEST_F(LtiSignInTest, NoKnownRoleIsReportedAsUnknownForTheCoreToRefuse) {
  boost::json::object claims = launch_claims();
  claims[lti("roles")] = boost::json::array{};
  auto identity = launch(claims);
  ASSERT_TRUE(identity.ok()) << identity.error().detail;
  EXPECT_EQ(identity->role, sdk::Role::unknown);
}

TEST_F(LtiSignInTest, AFailedVerificationIsPassedOnAndLoggedWithoutTheToken) {
  EXPECT_CALL(tokens_, verify(_, _))
      .WillOnce(Return(sdk::Error{sdk::ErrorCode::token_invalid, "signature does not verify"}));
  auto identity = plugin_.complete(callback_of(login_request()));
  ASSERT_FALSE(identity.ok());
  EXPECT_EQ(identity.error().code, sdk::ErrorCode::token_invalid);
  for (const std::string& line : logger_.lines()) EXPECT_THAT(line, Not(HasSubstr(kIdToken)));
}

TEST_F(LtiSignInTest, ACallbackWithoutAStartedLoginIsStateMissing) {
  sdk::CallbackRequest callback;
  callback.params["id_token"] = std::string(kIdToken);
  EXPECT_EQ(plugin_.complete(callback).error().code, sdk::ErrorCode::state_missing);
}

TEST_F(LtiSignInTest, APlatformErrorIsProviderDenied) {
  sdk::CallbackRequest callback = callback_of(login_request());
  callback.params = {{"error", "login_required"}};
  EXPECT_EQ(plugin_.complete(callback).error().code, sdk::ErrorCode::provider_denied);
}

TEST_F(LtiSignInTest, AMissingOrOversizedIdTokenIsRefusedUnverified) {
  sdk::CallbackRequest missing = callback_of(login_request());
  missing.params.clear();
  EXPECT_EQ(plugin_.complete(missing).error().code, sdk::ErrorCode::invalid_request);
  sdk::CallbackRequest oversized = callback_of(login_request());
  oversized.params["id_token"] = std::string(kMaxIdTokenBytes + 1, 'a');
  EXPECT_EQ(plugin_.complete(oversized).error().code, sdk::ErrorCode::limit_exceeded);
}

TEST_F(LtiSignInTest, SeveralAudiencesRequireAzpToBeOurs) {
  boost::json::object several = launch_claims();
  several["aud"] = boost::json::array{kClientId, "another-tool"};
  several.erase("azp");
  EXPECT_EQ(refusal(several), sdk::ErrorCode::token_invalid);
  several["azp"] = "another-tool";
  EXPECT_EQ(refusal(several), sdk::ErrorCode::token_invalid);
  several["azp"] = kClientId;
  EXPECT_TRUE(launch(several).ok());

  boost::json::object single = launch_claims();
  single.erase("azp");
  EXPECT_TRUE(launch(single).ok());
  single["azp"] = "another-tool";
  EXPECT_EQ(refusal(single), sdk::ErrorCode::token_invalid);
  single["azp"] = 42;
  EXPECT_EQ(refusal(single), sdk::ErrorCode::token_invalid);
}

TEST_F(LtiSignInTest, OnlyResourceLinkLaunchesSignIn) {
  boost::json::object deep_link = launch_claims();
  deep_link[lti("message_type")] = "LtiDeepLinkingRequest";
  EXPECT_EQ(refusal(deep_link), sdk::ErrorCode::not_permitted);
  boost::json::object missing = launch_claims();
  missing.erase(lti("message_type"));
  EXPECT_EQ(refusal(missing), sdk::ErrorCode::token_invalid);
}

TEST_F(LtiSignInTest, TheVersionMustBe130) {
  boost::json::object claims = launch_claims();
  claims[lti("version")] = "1.1";
  EXPECT_EQ(refusal(claims), sdk::ErrorCode::token_invalid);
  claims[lti("version")] = 1.3;
  EXPECT_EQ(refusal(claims), sdk::ErrorCode::token_invalid);
  claims.erase(lti("version"));
  EXPECT_EQ(refusal(claims), sdk::ErrorCode::token_invalid);
}

TEST_F(LtiSignInTest, TheTokensDeploymentMustBeRegisteredHere) {
  sdk::LoginRequest without_hint = login_request();
  without_hint.params.erase("lti_deployment_id");
  boost::json::object claims = launch_claims();
  claims[lti("deployment_id")] = "3:ghi";
  EXPECT_EQ(refusal(claims, without_hint), sdk::ErrorCode::not_permitted);
  claims[lti("deployment_id")] = "2:def";
  EXPECT_TRUE(launch(claims, without_hint).ok());
  claims.erase(lti("deployment_id"));
  EXPECT_EQ(refusal(claims, without_hint), sdk::ErrorCode::token_invalid);
}

TEST_F(LtiSignInTest, TheTokensDeploymentMustBeTheOneTheLoginNamed) {
  boost::json::object claims = launch_claims();
  claims[lti("deployment_id")] = "2:def";  // registered, but the login said 1:abc
  EXPECT_EQ(refusal(claims), sdk::ErrorCode::token_invalid);
}

TEST_F(LtiSignInTest, TheTargetMustBeTheOneTheLoginNamed) {
  boost::json::object claims = launch_claims();
  claims[lti("target_link_uri")] = "https://platform.example.org/elsewhere";
  EXPECT_EQ(refusal(claims), sdk::ErrorCode::token_invalid);
  claims.erase(lti("target_link_uri"));
  EXPECT_EQ(refusal(claims), sdk::ErrorCode::token_invalid);
}

TEST_F(LtiSignInTest, AResourceLinkIdIsRequired) {
  boost::json::object claims = launch_claims();
  claims[lti("resource_link")] = {{"title", "no id"}};
  EXPECT_EQ(refusal(claims), sdk::ErrorCode::token_invalid);
  claims[lti("resource_link")] = {{"id", std::string(256, 'r')}};
  EXPECT_EQ(refusal(claims), sdk::ErrorCode::token_invalid);
  claims.erase(lti("resource_link"));
  EXPECT_EQ(refusal(claims), sdk::ErrorCode::token_invalid);
}

TEST_F(LtiSignInTest, RolesMustBeAShortListOfStrings) {
  boost::json::object claims = launch_claims();
  claims.erase(lti("roles"));
  EXPECT_EQ(refusal(claims), sdk::ErrorCode::token_invalid);
  claims[lti("roles")] = kLearner;
  EXPECT_EQ(refusal(claims), sdk::ErrorCode::token_invalid);
  claims[lti("roles")] = boost::json::array{kLearner, 7};
  EXPECT_EQ(refusal(claims), sdk::ErrorCode::token_invalid);
  boost::json::array many;
  for (int i = 0; i < 65; ++i) many.emplace_back(kLearner);
  claims[lti("roles")] = many;
  EXPECT_EQ(refusal(claims), sdk::ErrorCode::token_invalid);
}

TEST_F(LtiSignInTest, AnAnonymousLaunchCannotSignIn) {
  boost::json::object claims = launch_claims();
  claims.erase("sub");
  EXPECT_EQ(refusal(claims), sdk::ErrorCode::not_permitted);
  claims["sub"] = std::string(256, 's');
  EXPECT_EQ(refusal(claims), sdk::ErrorCode::token_invalid);
}

TEST_F(LtiSignInTest, AContextWithoutAnIdIsRefused) {
  boost::json::object claims = launch_claims();
  claims[lti("context")] = {{"label", "MATH3"}};
  EXPECT_EQ(refusal(claims), sdk::ErrorCode::token_invalid);
  claims.erase(lti("context"));
  auto identity = launch(claims);
  ASSERT_TRUE(identity.ok());
  EXPECT_TRUE(identity->provider_sections.empty());
}

TEST_F(LtiSignInTest, ClaimsThatAreNotJsonObjectsAreMalformed) {
  EXPECT_CALL(tokens_, verify(_, _))
      .WillOnce(Return(sdk::VerifiedJwt{"{}", "[1,2]", "RS256", "k1"}));
  EXPECT_EQ(plugin_.complete(callback_of(login_request())).error().code,
            sdk::ErrorCode::upstream_malformed);
}

TEST_F(LtiSignInTest, DeeplyNestedOrNumerousCustomClaimsAreBounded) {
  boost::json::object claims = launch_claims();
  boost::json::object custom;
  for (int i = 0; i < 1000; ++i) custom["k" + std::to_string(i)] = "v";
  claims[lti("custom")] = custom;
  boost::json::value nested = "deep";
  for (int i = 0; i < 20; ++i) nested = boost::json::object{{"n", nested}};
  claims["nested"] = nested;
  auto identity = launch(claims);
  ASSERT_TRUE(identity.ok());
  EXPECT_LE(identity->extra.size(), 256u);
}

TEST_F(LtiSignInTest, LogsNameTheStepNeverAClaim) {
  boost::json::object claims = launch_claims();
  claims[lti("version")] = "1.1";
  EXPECT_EQ(refusal(claims), sdk::ErrorCode::token_invalid);
  ASSERT_FALSE(logger_.lines().empty());
  for (const std::string& line : logger_.lines()) {
    for (const char* canary : {"Zzfamilycanary", "zz.canary", "ZZ", "lms-user-42", "1:abc"}) {
      EXPECT_THAT(line, Not(HasSubstr(canary)));
    }
  }
}

}  // namespace
}  // namespace lmsgw::plugins::lti13
