// A district student signs in with Clever and reaches the platform as a minimal account:
// the whole flow through real processes, and every way it must refuse.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "common/crypto.h"
#include "tests/integration/gateway_environment.h"

namespace lmsgw::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The tag in the name of the cookie that carries a started sign-in (LoginStateSealer).
std::string login_cookie_tag(const std::string& state) {
  return crypto::base64url_encode(crypto::sha256(state)).substr(0, 12);
}

class CleverSignInTest : public ::testing::Test {
 protected:
  std::string sign_in_count(std::string_view connection, std::string_view outcome) {
    return "lmsgw_sign_ins_total{connection=\"" + std::string(connection) + "\",outcome=\"" +
           std::string(outcome) + "\"}";
  }
  void expect_nothing_stored() {
    EXPECT_EQ(env_.count_rows("accounts"), 0);
    EXPECT_EQ(env_.count_rows("identities"), 0);
    EXPECT_EQ(env_.count_rows("sessions"), 0);
  }

  GatewayEnvironment env_;
  TestBrowser browser_{env_.pki().ca_certificate_file};
};

TEST_F(CleverSignInTest, StudentReachesThePlatformAsAMinimalAccountAndCanariesGoNowhere) {
  sdk::HttpResponse landed = env_.sign_in(browser_, "clever", kStudentId);
  EXPECT_EQ(landed.status, 200);
  EXPECT_EQ(browser_.visited().back(), env_.return_url());

  sdk::HttpResponse check = env_.auth_check(browser_);
  ASSERT_EQ(check.status, 200);
  EXPECT_THAT(std::string(sdk::find_header(check.headers, "X-Account-Id")), StartsWith("acct_"));
  EXPECT_EQ(sdk::find_header(check.headers, "X-Account-Role"), "student");
  EXPECT_EQ(sdk::find_header(check.headers, "X-District-Id"), "springfield");
  EXPECT_EQ(sdk::find_header(check.headers, "X-Age-Band"), "under13");
  EXPECT_EQ(sdk::find_header(check.headers, "X-Display-Name"), "Ana");

  EXPECT_EQ(env_.count_rows("accounts"), 1);
  EXPECT_EQ(env_.count_rows("sessions"), 1);
  EXPECT_EQ(env_.metric(sign_in_count("clever", "success")), 1);

  const std::string persisted = env_.persisted_bytes();
  ASSERT_THAT(persisted, HasSubstr("Ana"));  // the allowed first name is there: the read works
  for (const std::string& canary : student_canaries()) {
    EXPECT_THAT(persisted, Not(HasSubstr(canary))) << "persisted: " << canary;
    EXPECT_THAT(browser_.transcript(), Not(HasSubstr(canary))) << "sent to the browser: " << canary;
  }
  EXPECT_THAT(persisted, Not(HasSubstr(std::string(kStudentId))));
}

TEST_F(CleverSignInTest, TeacherIsAnAdultWithAFirstName) {
  ASSERT_EQ(env_.sign_in(browser_, "clever", kTeacherId).status, 200);
  sdk::HttpResponse check = env_.auth_check(browser_);
  ASSERT_EQ(check.status, 200);
  EXPECT_EQ(sdk::find_header(check.headers, "X-Account-Role"), "teacher");
  EXPECT_EQ(sdk::find_header(check.headers, "X-Age-Band"), "13plus");
  EXPECT_EQ(sdk::find_header(check.headers, "X-Display-Name"), "Rosa");
  EXPECT_THAT(env_.persisted_bytes(), Not(HasSubstr("Zzteacherfamilycanary")));
  EXPECT_THAT(env_.persisted_bytes(), Not(HasSubstr("ZZTEACHERSISCANARY")));
}

TEST_F(CleverSignInTest, NoSessionMeansUnauthorized) {
  EXPECT_EQ(env_.auth_check(browser_).status, 401);
  browser_.set_cookie("lmsgw_session", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(env_.auth_check(browser_).status, 401);
  browser_.set_cookie("lmsgw_session", "not even the right shape");
  EXPECT_EQ(env_.auth_check(browser_).status, 401);
}

TEST_F(CleverSignInTest, CallbackWithoutStateIsRefusedWhereProviderInitiatedIsNotAllowed) {
  sdk::HttpResponse page = browser_.get(env_.gateway_url() + "/callback/clever?code=abc");
  EXPECT_EQ(page.status, 400);
  EXPECT_THAT(page.body, HasSubstr("state_missing"));
  EXPECT_EQ(env_.metric(sign_in_count("clever", "state_missing")), 1);
  EXPECT_EQ(env_.fake_counter("token_requests"), 0);
  expect_nothing_stored();
}

TEST_F(CleverSignInTest, UnknownStateIsRefused) {
  sdk::HttpResponse page =
      browser_.get(env_.gateway_url() + "/callback/clever?code=abc&state=forged-state");
  EXPECT_EQ(page.status, 400);
  EXPECT_THAT(page.body, HasSubstr("state_unknown"));
  EXPECT_EQ(env_.metric(sign_in_count("clever", "state_unknown")), 1);
  EXPECT_EQ(env_.fake_counter("token_requests"), 0);
  expect_nothing_stored();
}

TEST_F(CleverSignInTest, ReplayedCallbackIsRefusedEvenWithTheStolenCookie) {
  // Start a sign-in and stop at the callback, keeping its URL and the sealed state cookie.
  const std::string callback = env_.callback_of_started_sign_in(browser_, "clever", kStudentId);
  const std::string state = callback.substr(callback.find("state=") + 6);
  const std::string cookie_name = "lmsgw_session_login_" + login_cookie_tag(state);
  const std::string cookie = browser_.cookie(cookie_name);
  ASSERT_FALSE(cookie.empty());

  EXPECT_EQ(browser_.get(callback).status, 302);
  EXPECT_TRUE(browser_.cookie(cookie_name).empty()) << "the spent state cookie is cleared";
  // An attacker holding both the URL and the cookie still cannot use them again.
  TestBrowser attacker(env_.pki().ca_certificate_file);
  attacker.set_cookie(cookie_name, cookie);
  sdk::HttpResponse replay = attacker.get(callback);
  EXPECT_EQ(replay.status, 400);
  EXPECT_THAT(replay.body, HasSubstr("state_replayed"));
  EXPECT_EQ(env_.metric(sign_in_count("clever", "state_replayed")), 1);
  EXPECT_EQ(env_.count_rows("sessions"), 1);
}

TEST_F(CleverSignInTest, StateStartedInAnotherBrowserIsRefusedAndTheVictimIsUnharmed) {
  // The victim's browser starts a sign-in and is sent back with a code and state...
  const std::string callback = env_.callback_of_started_sign_in(browser_, "clever", kStudentId);
  ASSERT_THAT(callback, HasSubstr("state="));

  // ...but another browser delivers it: it lacks the sealed state cookie.
  TestBrowser attacker(env_.pki().ca_certificate_file);
  sdk::HttpResponse stolen = attacker.get(callback);
  EXPECT_EQ(stolen.status, 400);
  EXPECT_THAT(stolen.body, HasSubstr("state_unknown"));
  EXPECT_EQ(env_.fake_counter("token_requests"), 0);
  expect_nothing_stored();
  // The attempt spent nothing of the victim's: their own callback still signs them in.
  EXPECT_EQ(browser_.follow(callback).status, 200);
  EXPECT_EQ(env_.auth_check(browser_).status, 200);
}

TEST_F(CleverSignInTest, StateStartedForOneConnectionIsRefusedByAnother) {
  std::string callback = env_.callback_of_started_sign_in(browser_, "clever", kStudentId);
  callback.replace(callback.find("/callback/clever?"), 17, "/callback/clever-portal?");
  sdk::HttpResponse page = browser_.get(callback);
  EXPECT_EQ(page.status, 400);
  EXPECT_THAT(page.body, HasSubstr("state_unknown"));
  EXPECT_EQ(env_.fake_counter("token_requests"), 0);
  expect_nothing_stored();
}

TEST_F(CleverSignInTest, AProviderDistrictMustBeMappedEvenOnAFixedDistrictConnection) {
  sdk::HttpResponse page = env_.sign_in(browser_, "clever-fixed", kStudentId);
  EXPECT_EQ(page.status, 403);
  EXPECT_THAT(page.body, HasSubstr("district_not_connected"));
  expect_nothing_stored();
}

TEST_F(CleverSignInTest, AProviderWhoseCertificateIsNotTrustedIsUnavailable) {
  env_.stop_gateway();
  env_.start_gateway(/*trust_test_ca=*/false);
  sdk::HttpResponse page = env_.sign_in(browser_, "clever", kStudentId);
  EXPECT_EQ(page.status, 502);
  EXPECT_THAT(page.body, HasSubstr("upstream_unavailable"));
  EXPECT_EQ(env_.fake_counter("token_requests"), 0);
  expect_nothing_stored();
}

TEST_F(CleverSignInTest, ADistrictRevokedFromTheCommandLineIsRefusedByTheRunningGateway) {
  ASSERT_EQ(env_.sign_in(browser_, "clever", kStudentId).status, 200);
  ASSERT_EQ(env_.auth_check(browser_).status, 200);
  auto lmsgwctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", (env_.directory() / "gateway.yaml").string()});
    ChildProcess ctl(LMSGW_CTL_BIN, args, env_.directory() / "lmsgwctl.log");
    const int code = ctl.wait_for_exit(std::chrono::seconds(10)).value_or(-1);
    return std::make_pair(code, ctl.output());
  };
  auto [revoked, revoke_output] = lmsgwctl({"district", "revoke", "springfield"});
  ASSERT_EQ(revoked, 0) << revoke_output;
  // The gateway reads revocations other processes record on its one-second probe.
  EXPECT_TRUE(eventually([&] { return env_.auth_check(browser_).status == 401; },
                         std::chrono::seconds(10)));
  EXPECT_EQ(env_.count_rows("sessions"), 0);

  // PRIVACY.md C.1: no new sign-in from the district while it is withdrawn.
  sdk::HttpResponse refused = env_.sign_in(browser_, "clever", kStudentId);
  EXPECT_EQ(refused.status, 403);
  EXPECT_THAT(refused.body, HasSubstr("district_revoked"));
  EXPECT_EQ(env_.count_rows("sessions"), 0);
  EXPECT_EQ(env_.metric(sign_in_count("clever", "district_revoked")), 1);

  auto [status, status_output] = lmsgwctl({"district", "status", "springfield"});
  EXPECT_EQ(status, 0);
  EXPECT_THAT(status_output, HasSubstr("access revoked at"));
  auto [reinstated, reinstate_output] = lmsgwctl({"district", "reinstate", "springfield"});
  ASSERT_EQ(reinstated, 0) << reinstate_output;
  EXPECT_EQ(env_.sign_in(browser_, "clever", kStudentId).status, 200);
  EXPECT_EQ(env_.auth_check(browser_).status, 200);

  auto [exported, lines] = lmsgwctl({"audit", "export", "--district", "springfield"});
  ASSERT_EQ(exported, 0) << lines;
  EXPECT_THAT(lines, HasSubstr(R"("actor":"lmsgwctl","action":"district.revoked")"));
  EXPECT_THAT(lines, HasSubstr(R"("action":"district.reinstated")"));
  EXPECT_THAT(lines, Not(HasSubstr(std::string(kStudentId))));
}

TEST_F(CleverSignInTest, ReadinessIsAnsweredFromMemory) {
  EXPECT_EQ(browser_.get(env_.gateway_url() + "/readyz").status, 200);
}

TEST_F(CleverSignInTest, UnknownConnectionIsNotFound) {
  sdk::HttpResponse page = browser_.get(env_.gateway_url() + "/login/no-such-connection");
  EXPECT_EQ(page.status, 404);
  EXPECT_THAT(page.body, HasSubstr("unknown_connection"));
  EXPECT_EQ(browser_.get(env_.gateway_url() + "/callback/no-such-connection?code=x").status, 404);
  EXPECT_EQ(env_.metric(sign_in_count("unknown", "unknown_connection")), 2);
}

TEST_F(CleverSignInTest, ReturnUrlOutsideTheAllowlistIsRefused) {
  sdk::HttpResponse page =
      browser_.get(env_.gateway_url() + "/login/clever?return_to=https%3A%2F%2Fevil.example%2F");
  EXPECT_EQ(page.status, 400);
  EXPECT_THAT(page.body, HasSubstr("return_url_not_allowed"));
}

TEST_F(CleverSignInTest, RedirectUriThatCleverDoesNotKnowGoesNowhere) {
  // Clever refuses to redirect to an unregistered URI at all...
  sdk::HttpResponse to_clever = browser_.get(
      env_.gateway_url() + "/login/clever-unregistered?login_hint=" + std::string(kStudentId));
  ASSERT_EQ(to_clever.status, 302);
  EXPECT_EQ(browser_.get(location_of(to_clever, env_.gateway_url())).status, 400);
  // ...and a code issued for another redirect URI is not redeemed for this one.
  sdk::HttpResponse portal =
      browser_.get(env_.clever_url() + "/oauth/instant-login?client_id=it-client&login_hint=" +
                   std::string(kStudentId));
  const std::string code_url = location_of(portal, env_.clever_url());
  const std::string code = code_url.substr(code_url.find("code=") + 5);
  sdk::HttpResponse page =
      browser_.get(env_.gateway_url() + "/callback/clever-unregistered?code=" + code);
  EXPECT_EQ(page.status, 502);
  EXPECT_EQ(env_.metric(sign_in_count("clever-unregistered", "upstream_rejected")), 1);
  expect_nothing_stored();
}

TEST_F(CleverSignInTest, TokenEndpointFailuresAreCleanErrors) {
  env_.inject_fault("endpoint=tokens&mode=status&status=500");
  sdk::HttpResponse page = env_.sign_in(browser_, "clever", kStudentId);
  EXPECT_EQ(page.status, 502);
  EXPECT_THAT(page.body, HasSubstr("upstream_rejected"));

  env_.inject_fault("endpoint=tokens&mode=malformed");
  EXPECT_EQ(env_.sign_in(browser_, "clever", kStudentId).status, 502);
  EXPECT_EQ(env_.metric(sign_in_count("clever", "upstream_rejected")), 1);
  EXPECT_EQ(env_.metric(sign_in_count("clever", "upstream_malformed")), 1);
  expect_nothing_stored();
}

TEST_F(CleverSignInTest, MalformedOrFailingUserApiIsACleanError) {
  env_.inject_fault("endpoint=me&mode=malformed");
  sdk::HttpResponse malformed = env_.sign_in(browser_, "clever", kStudentId);
  EXPECT_EQ(malformed.status, 502);
  EXPECT_THAT(malformed.body, HasSubstr("upstream_malformed"));

  env_.inject_fault("endpoint=users&mode=html&status=500");
  sdk::HttpResponse failing = env_.sign_in(browser_, "clever", kStudentId);
  EXPECT_EQ(failing.status, 502);
  EXPECT_THAT(failing.body, HasSubstr("upstream_rejected"));
  EXPECT_EQ(env_.metric(sign_in_count("clever", "upstream_malformed")), 1);
  EXPECT_EQ(env_.metric(sign_in_count("clever", "upstream_rejected")), 1);
  expect_nothing_stored();
}

TEST_F(CleverSignInTest, ADistrictThatNeverConnectedCannotSignIn) {
  sdk::HttpResponse page = env_.sign_in(browser_, "clever", kOtherDistrictStudentId);
  EXPECT_EQ(page.status, 403);
  EXPECT_THAT(page.body, HasSubstr("district_not_connected"));
  expect_nothing_stored();
  EXPECT_THAT(env_.persisted_bytes(), Not(HasSubstr("Zzotherdistrictcanary")));
}

TEST_F(CleverSignInTest, InstantLoginFromTheCleverPortalSignsIn) {
  sdk::HttpResponse landed =
      browser_.follow(env_.clever_url() + "/oauth/instant-login?client_id=it-client&district_id=" +
                      std::string(kConnectedDistrict) + "&login_hint=" + std::string(kStudentId));
  EXPECT_EQ(landed.status, 200);
  // No return URL is taken from the request: the default one is used.
  EXPECT_EQ(browser_.visited().back(), env_.return_url());
  sdk::HttpResponse check = env_.auth_check(browser_);
  ASSERT_EQ(check.status, 200);
  EXPECT_EQ(sdk::find_header(check.headers, "X-Display-Name"), "Ana");
  EXPECT_EQ(env_.metric(sign_in_count("clever-portal", "success")), 1);
}

TEST_F(CleverSignInTest, SignInReplacesTheSessionTheBrowserHad) {
  ASSERT_EQ(env_.sign_in(browser_, "clever", kTeacherId).status, 200);
  const std::string first = browser_.cookie("lmsgw_session");
  ASSERT_EQ(env_.sign_in(browser_, "clever", kStudentId).status, 200);
  EXPECT_NE(browser_.cookie("lmsgw_session"), first);
  EXPECT_EQ(env_.count_rows("sessions"), 1);

  TestBrowser old_cookie(env_.pki().ca_certificate_file);
  old_cookie.set_cookie("lmsgw_session", first);
  EXPECT_EQ(env_.auth_check(old_cookie).status, 401);
}

TEST_F(CleverSignInTest, LogoutEndsTheSessionAtOnce) {
  ASSERT_EQ(env_.sign_in(browser_, "clever", kStudentId).status, 200);
  const std::string session = browser_.cookie("lmsgw_session");
  sdk::HttpResponse out = browser_.post_form(env_.gateway_url() + "/logout", "");
  EXPECT_EQ(out.status, 303);
  EXPECT_EQ(env_.auth_check(browser_).status, 401);
  TestBrowser replay(env_.pki().ca_certificate_file);
  replay.set_cookie("lmsgw_session", session);
  EXPECT_EQ(env_.auth_check(replay).status, 401);
  EXPECT_EQ(env_.count_rows("sessions"), 0);
}

TEST_F(CleverSignInTest, SessionsSurviveARestartAndTheGatewayStopsCleanly) {
  ASSERT_EQ(env_.sign_in(browser_, "clever", kStudentId).status, 200);
  EXPECT_EQ(env_.stop_gateway(SIGTERM), 0);
  env_.start_gateway();
  EXPECT_EQ(env_.auth_check(browser_).status, 200);
}

TEST_F(CleverSignInTest, MetricsCountRequestsByRouteAndStatus) {
  EXPECT_EQ(env_.auth_check(browser_).status, 401);
  EXPECT_GE(env_.metric("lmsgw_http_requests_total{route=\"/auth/check\",status=\"401\"}"), 1);
  EXPECT_GE(env_.metric("lmsgw_http_request_duration_seconds_count{route=\"/auth/check\"}"), 1);
}

}  // namespace
}  // namespace lmsgw::testing
