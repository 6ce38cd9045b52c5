// A district's learners and instructors open the platform from their LMS through an LTI 1.3
// launch and reach it as minimal accounts: whole launches through real processes (the gateway
// with the lti13 plugin, the fake LMS platform), and every way a launch must be refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "auto_post_form.h"
#include "lmsgw/sdk/encoding.h"
#include "tests/integration/lti13/lti_environment.h"

namespace lmsgw::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The Set-Cookie header of `response` for a cookie whose name starts with `prefix`.
std::string set_cookie(const sdk::HttpResponse& response, std::string_view prefix) {
  for (const auto& [name, value] : response.headers) {
    if ((name == "Set-Cookie" || name == "set-cookie") && value.starts_with(prefix)) return value;
  }
  return {};
}

// Everything the gateway (not the platform) sent the browser during a launch.
std::string gateway_transcript(const Launch& launch) {
  std::string text;
  for (const sdk::HttpResponse* response : {&launch.login, &launch.callback}) {
    for (const auto& [name, value] : response->headers) text += name + ": " + value + "\n";
    text += response->body + "\n";
  }
  return text;
}

class LtiLaunchTest : public ::testing::Test {
 protected:
  void expect_nothing_stored() {
    EXPECT_EQ(env_.count_rows("accounts"), 0);
    EXPECT_EQ(env_.count_rows("identities"), 0);
    EXPECT_EQ(env_.count_rows("sessions"), 0);
  }

  LtiEnvironment env_;
  TestBrowser browser_{env_.ca_file()};
};

TEST_F(LtiLaunchTest, ALearnerBecomesAStudentOfTheDistrictAndLandsOnTheTarget) {
  const Launch launch = env_.launch(browser_, kLearner);
  ASSERT_EQ(launch.login.status, 302) << launch.login.body;
  ASSERT_EQ(launch.platform.status, 200) << launch.platform.body;
  ASSERT_EQ(launch.callback.status, 302) << launch.callback.body;
  EXPECT_EQ(sdk::find_header(launch.callback.headers, "Location"), env_.allowed_target());

  sdk::HttpResponse check = env_.auth_check(browser_);
  ASSERT_EQ(check.status, 200);
  EXPECT_THAT(std::string(sdk::find_header(check.headers, "X-Account-Id")), StartsWith("acct_"));
  EXPECT_EQ(sdk::find_header(check.headers, "X-Account-Role"), "student");
  EXPECT_EQ(sdk::find_header(check.headers, "X-District-Id"), "springfield");
  EXPECT_EQ(sdk::find_header(check.headers, "X-Age-Band"), "under13");
  EXPECT_EQ(sdk::find_header(check.headers, "X-Display-Name"), "Ana");
  EXPECT_EQ(env_.count_rows("accounts"), 1);
  EXPECT_EQ(env_.count_rows("sessions"), 1);
  EXPECT_EQ(env_.metric(sign_in_sample("lti", "success")), 1);

  const std::string persisted = env_.persisted_bytes();
  ASSERT_THAT(persisted, HasSubstr("Ana"));  // the allowed first name is there: the read works
  std::string seen = gateway_transcript(launch);
  for (const auto& [name, value] : check.headers) seen += name + ": " + value + "\n";
  for (const std::string& canary : learner_canaries()) {
    EXPECT_THAT(persisted, Not(HasSubstr(canary))) << "persisted: " << canary;
    EXPECT_THAT(seen, Not(HasSubstr(canary))) << "sent by the gateway: " << canary;
  }
  EXPECT_THAT(persisted, Not(HasSubstr(std::string(kLearner))));
  EXPECT_THAT(persisted, Not(HasSubstr("ctx-math-3")));
}

TEST_F(LtiLaunchTest, AnInstructorLaunchedByFormPostIsATeacherWithAFirstName) {
  const Launch launch = env_.launch(browser_, kInstructor, "&method=post");
  ASSERT_EQ(launch.callback.status, 302) << launch.callback.body;
  EXPECT_EQ(sdk::find_header(launch.callback.headers, "Location"), env_.allowed_target());
  sdk::HttpResponse check = env_.auth_check(browser_);
  ASSERT_EQ(check.status, 200);
  EXPECT_EQ(sdk::find_header(check.headers, "X-Account-Role"), "teacher");
  EXPECT_EQ(sdk::find_header(check.headers, "X-Age-Band"), "13plus");
  EXPECT_EQ(sdk::find_header(check.headers, "X-Display-Name"), "Rosa");
  EXPECT_THAT(env_.persisted_bytes(), Not(HasSubstr("Zzltiteachercanary")));
  EXPECT_THAT(env_.persisted_bytes(), Not(HasSubstr("ZZLTITEACHERSOURCEDIDCANARY")));
}

TEST_F(LtiLaunchTest, ThePlatformIsAskedExactlyAsLti13Requires) {
  sdk::HttpResponse start =
      browser_.get(env_.platform_url() + "/__fake/launch?user=" + std::string(kLearner));
  ASSERT_EQ(start.status, 302);
  sdk::HttpResponse login = browser_.get(location_of(start, env_.platform_url()));
  ASSERT_EQ(login.status, 302) << login.body;
  const std::string authorize(sdk::find_header(login.headers, "Location"));
  EXPECT_THAT(authorize,
              AllOf(StartsWith(env_.platform_url() + "/lti/authorize?scope=openid"
                                                     "&response_type=id_token"
                                                     "&response_mode=form_post&prompt=none"
                                                     "&client_id=tool-client-1&redirect_uri="),
                    HasSubstr("%2Fcallback%2Flti&login_hint="), HasSubstr("&lti_message_hint="),
                    HasSubstr("&state="), HasSubstr("&nonce=")));
  // The state cookie must reach the gateway on the platform's cross-site form POST.
  EXPECT_THAT(set_cookie(login, "lmsgw_session_login_"), HasSubstr("; SameSite=None"));
}

TEST_F(LtiLaunchTest, ThePlatformAnswersOnlyAtTheRegisteredRedirectUriAndEachHintOnce) {
  sdk::HttpResponse start =
      browser_.get(env_.platform_url() + "/__fake/launch?user=" + std::string(kLearner));
  sdk::HttpResponse login = browser_.get(location_of(start, env_.platform_url()));
  const std::string authorize(sdk::find_header(login.headers, "Location"));
  auto tampered = [&](std::string_view from, std::string_view to) {
    std::string url = authorize;
    return url.replace(url.find(from), from.size(), to);
  };
  EXPECT_EQ(browser_.get(tampered("%2Fcallback%2Flti", "%2Fcallback%2Flti-x")).status, 400);
  EXPECT_EQ(browser_.get(tampered("client_id=tool-client-1", "client_id=tool-client-2")).status,
            400);
  auto refused = fakes::parse_auto_post_form(
      browser_.get(tampered("response_mode=form_post", "response_mode=query")).body);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->field("error"), "invalid_request");
  EXPECT_TRUE(refused->field("id_token").empty());

  auto answer = fakes::parse_auto_post_form(browser_.get(authorize).body);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->action, env_.gateway_url() + "/callback/lti");
  EXPECT_FALSE(answer->field("id_token").empty());
  auto replayed = fakes::parse_auto_post_form(browser_.get(authorize).body);
  ASSERT_TRUE(replayed.has_value());
  EXPECT_EQ(replayed->field("error"), "login_required");
  EXPECT_EQ(browser_.post_form(answer->action, answer->body()).status, 302);
  EXPECT_EQ(env_.platform_counter("id_tokens_issued"), 1);
}

TEST_F(LtiLaunchTest, ARoleThatMayNotHoldAnAccountIsRefused) {
  const Launch launch = env_.launch(browser_, kGuest);
  EXPECT_EQ(launch.callback.status, 403);
  EXPECT_THAT(launch.callback.body, HasSubstr("not_permitted"));
  EXPECT_EQ(env_.auth_check(browser_).status, 401);
  expect_nothing_stored();
}

TEST_F(LtiLaunchTest, ATargetOutsideTheAllowedReturnUrlsIsRefusedBeforeThePlatformIsAsked) {
  const Launch launch = env_.launch(browser_, kLearner, "&target=" + env_.foreign_target());
  EXPECT_EQ(launch.login.status, 400);
  EXPECT_THAT(launch.login.body, HasSubstr("return_url_not_allowed"));
  EXPECT_EQ(env_.platform_counter("auth_requests"), 0);
  expect_nothing_stored();
}

TEST_F(LtiLaunchTest, ALoginFromAnotherIssuerOrForAnotherClientIsRefused) {
  const Launch wrong_iss = env_.launch(browser_, kLearner, "&iss=https://evil-lms.example");
  EXPECT_EQ(wrong_iss.login.status, 400);
  EXPECT_THAT(wrong_iss.login.body, HasSubstr("invalid_request"));
  const Launch wrong_client = env_.launch(browser_, kLearner, "&client_id=another-tool");
  EXPECT_EQ(wrong_client.login.status, 400);
  const Launch no_hint = env_.launch(browser_, kLearner, "&omit=login_hint");
  EXPECT_EQ(no_hint.login.status, 400);
  EXPECT_EQ(env_.platform_counter("auth_requests"), 0);
  expect_nothing_stored();
}

TEST_F(LtiLaunchTest, ADeploymentNotRegisteredForTheDistrictIsRefused) {
  // Named at the login initiation: refused before the platform is asked.
  const Launch at_login = env_.launch(browser_, kLearner, "&deployment=dep-9");
  EXPECT_EQ(at_login.login.status, 403);
  EXPECT_THAT(at_login.login.body, HasSubstr("not_permitted"));
  EXPECT_EQ(env_.platform_counter("auth_requests"), 0);
  // Named only in the signed launch.
  env_.inject_fault("fault=unregistered_deployment");
  const Launch in_token = env_.launch(browser_, kLearner, "&omit=lti_deployment_id");
  EXPECT_EQ(in_token.callback.status, 403);
  EXPECT_THAT(in_token.callback.body, HasSubstr("not_permitted"));
  // Another registered deployment, named by the login and the launch alike.
  const Launch switched = env_.launch(browser_, kLearner, "&deployment=dep-2");
  EXPECT_EQ(switched.callback.status, 302) << "dep-2 is registered too";
  EXPECT_EQ(env_.count_rows("sessions"), 1);
}

// The signed launch must name what its login initiation named: the deployment (LTI Security
// Framework: the login's lti_deployment_id binds the launch) and the target the browser lands on.
// Each mismatch below uses values that would be accepted on their own.
TEST_F(LtiLaunchTest, ALaunchNamingAnotherDeploymentOrTargetThanItsLoginIsRefused) {
  TestBrowser switched_deployment(env_.ca_file());
  const Launch deployment =
      env_.launch(switched_deployment, kLearner, "&deployment=dep-1&token_deployment=dep-2");
  ASSERT_EQ(deployment.platform.status, 200);
  EXPECT_EQ(deployment.callback.status, 400);
  EXPECT_THAT(deployment.callback.body, HasSubstr("token_invalid"));
  EXPECT_EQ(env_.auth_check(switched_deployment).status, 401);

  TestBrowser switched_target(env_.ca_file());
  const Launch target =
      env_.launch(switched_target, kLearner, "&token_target=" + env_.allowed_target() + "/other");
  ASSERT_EQ(target.platform.status, 200);
  EXPECT_EQ(target.callback.status, 400);
  EXPECT_THAT(target.callback.body, HasSubstr("token_invalid"));
  EXPECT_EQ(env_.auth_check(switched_target).status, 401);

  EXPECT_EQ(env_.metric(sign_in_sample("lti", "token_invalid")), 2);
  expect_nothing_stored();
  // The same launches, consistent, sign in.
  const Launch consistent =
      env_.launch(browser_, kLearner, "&deployment=dep-2&token_deployment=dep-2");
  EXPECT_EQ(consistent.callback.status, 302) << consistent.callback.body;
}

struct TokenFault {
  const char* fault;
  int status;
  const char* outcome;
};

TEST_F(LtiLaunchTest, EveryForgedOrWrongIdTokenIsRefusedAndMakesNoSession) {
  const TokenFault faults[] = {
      {"wrong_iss", 400, "token_invalid"},          {"wrong_aud", 400, "token_invalid"},
      {"several_aud_no_azp", 400, "token_invalid"}, {"expired", 400, "token_invalid"},
      {"bad_signature", 400, "token_invalid"},      {"unknown_kid", 400, "token_invalid"},
      {"wrong_nonce", 400, "token_invalid"},        {"wrong_version", 400, "token_invalid"},
      {"no_resource_link", 400, "token_invalid"},   {"wrong_message_type", 403, "not_permitted"},
      {"login_required", 403, "provider_denied"},
  };
  for (const TokenFault& fault : faults) {
    SCOPED_TRACE(fault.fault);
    env_.inject_fault(std::string("fault=") + fault.fault);
    TestBrowser browser(env_.ca_file());
    const Launch launch = env_.launch(browser, kLearner);
    ASSERT_EQ(launch.platform.status, 200);
    EXPECT_EQ(launch.callback.status, fault.status);
    EXPECT_THAT(launch.callback.body, HasSubstr(fault.outcome));
    EXPECT_EQ(env_.auth_check(browser).status, 401);
  }
  EXPECT_EQ(env_.metric(sign_in_sample("lti", "token_invalid")), 9);
  EXPECT_EQ(env_.metric(sign_in_sample("lti", "success")), -1);
  expect_nothing_stored();
}

TEST_F(LtiLaunchTest, AnIdTokenPostedWithoutItsStateIsRefused) {
  // Stop a launch at the platform's answer and deliver the id_token without the state.
  sdk::HttpResponse start =
      browser_.get(env_.platform_url() + "/__fake/launch?user=" + std::string(kLearner));
  sdk::HttpResponse login = browser_.get(location_of(start, env_.platform_url()));
  sdk::HttpResponse answer = browser_.get(location_of(login, env_.gateway_url()));
  auto form = fakes::parse_auto_post_form(answer.body);
  ASSERT_TRUE(form.has_value()) << answer.body;
  const std::string id_token = "id_token=" + sdk::percent_encode(form->field("id_token"));

  sdk::HttpResponse core = browser_.post_form(env_.gateway_url() + "/callback/lti", id_token);
  EXPECT_EQ(core.status, 400);
  EXPECT_THAT(core.body, HasSubstr("state_missing"));
  // With its state but from another browser (no sealed state cookie): refused as well.
  TestBrowser attacker(env_.ca_file());
  sdk::HttpResponse stolen = attacker.post_form(form->action, form->body());
  EXPECT_EQ(stolen.status, 400);
  EXPECT_THAT(stolen.body, HasSubstr("state_unknown"));
  expect_nothing_stored();
  // The victim's own delivery still works, once.
  EXPECT_EQ(browser_.post_form(form->action, form->body()).status, 302);
  EXPECT_EQ(browser_.post_form(form->action, form->body()).status, 400);
  EXPECT_EQ(env_.count_rows("sessions"), 1);
}

TEST_F(LtiLaunchTest, APlatformKeyRotationIsPickedUpFromTheJwks) {
  ASSERT_EQ(env_.launch(browser_, kLearner).callback.status, 302);
  env_.platform_control("/__fake/keys/rotate");
  env_.platform_control("/__fake/keys/retire");
  // A kid the cached JWKS lacks makes the gateway fetch it again, but at most once a minute
  // (RemoteJwksVerifier::kRefetchInterval), so made-up kids cannot flood the platform: this
  // test waits that minute out.
  TestBrowser early(env_.ca_file());
  EXPECT_EQ(env_.launch(early, kInstructor).callback.status, 400);
  EXPECT_EQ(env_.platform_counter("jwks_requests"), 1);
  std::this_thread::sleep_for(std::chrono::seconds(61));
  TestBrowser later(env_.ca_file());
  EXPECT_EQ(env_.launch(later, kInstructor).callback.status, 302);
  EXPECT_EQ(env_.platform_counter("jwks_requests"), 2);
  EXPECT_EQ(env_.count_rows("sessions"), 2);
}

TEST_F(LtiLaunchTest, TheStateCookieCrossesSitesWithInsecureAndSecureCookiesAlike) {
  // cookie_secure: false (the loopback demo). Browsers drop a SameSite=None cookie that is not
  // Secure, and accept Secure cookies from loopback http, so the state cookie is always Secure.
  Launch insecure = env_.launch(browser_, kLearner);
  EXPECT_THAT(set_cookie(insecure.login, "lmsgw_session_login_"),
              AllOf(HasSubstr("; Secure"), HasSubstr("; SameSite=None"), HasSubstr("HttpOnly")));
  EXPECT_THAT(set_cookie(insecure.callback, "lmsgw_session="),
              AllOf(Not(HasSubstr("; Secure")), HasSubstr("; SameSite=Lax")));
  EXPECT_EQ(insecure.callback.status, 302);

  env_.restart_gateway(/*cookie_secure=*/true);
  TestBrowser secure_browser(env_.ca_file());
  Launch secure = env_.launch(secure_browser, kInstructor, "&method=post");
  EXPECT_THAT(set_cookie(secure.login, "__Host-lmsgw_session_login_"),
              AllOf(HasSubstr("; Secure"), HasSubstr("; SameSite=None")));
  EXPECT_THAT(set_cookie(secure.callback, "__Host-lmsgw_session="),
              AllOf(HasSubstr("; Secure"), HasSubstr("; SameSite=Lax")));
  EXPECT_EQ(secure.callback.status, 302) << secure.callback.body;
  EXPECT_EQ(env_.auth_check(secure_browser).status, 200);
}

}  // namespace
}  // namespace lmsgw::testing
