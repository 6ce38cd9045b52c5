// A district student signs in with Google (the fake, over real HTTPS) through the real gateway
// and reaches the platform as a minimal account; every forged or misdirected ID token, and
// every account outside the district's Workspace domains, is refused and counted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <stdexcept>
#include <thread>

#include "tests/support/gateway_process.h"
#include "tests/support/process.h"
#include "tests/support/test_browser.h"
#include "tests/support/test_pki.h"

namespace lmsgw::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kClientId = "it-client.apps.googleusercontent.com";
constexpr std::string_view kClientSecret = "it-google-secret-0123456789";
constexpr std::string_view kStudentSub = "110169484474386276301";
constexpr std::string_view kTeacherSub = "110169484474386276302";
constexpr std::string_view kOtherDistrictSub = "110169484474386276303";
constexpr std::string_view kPersonalSub = "110169484474386276304";

// Google ID-token claims per user. Everything the gateway must drop holds a canary.
constexpr std::string_view kFixture = R"({"users": [
 {"sub": "110169484474386276301", "hd": "students.springfield.example",
  "email": "zz.canary.student@students.springfield.example", "email_verified": true,
  "given_name": "Ana", "family_name": "Zzfamilycanary", "name": "Ana Zzfamilycanary",
  "picture": "https://example.invalid/zzpicturecanary.jpg", "locale": "zz-Canary",
  "birthdate": "2016-02-29", "phone_number": "+1 555 0100 zzphonecanary",
  "address": {"street_address": "Zzaddresscanary"}},
 {"sub": "110169484474386276302", "hd": "staff.springfield.example",
  "email": "rosa.teacher@staff.springfield.example", "email_verified": true,
  "given_name": "Rosa", "family_name": "Zzteacherfamilycanary", "name": "Rosa Zzteacherfamilycanary"},
 {"sub": "110169484474386276303", "hd": "shelbyville.example",
  "email": "zz.other@shelbyville.example", "email_verified": true, "given_name": "Leo"},
 {"sub": "110169484474386276304",
  "email": "lookalike@students.springfield.example", "email_verified": true, "given_name": "Max"}
]})";

const std::vector<std::string>& student_canaries() {
  static const std::vector<std::string> canaries = {
      "Zzfamilycanary", "zz.canary.student", "zzpicturecanary", "zz-Canary",
      "2016-02-29",     "zzphonecanary",     "Zzaddresscanary", std::string(kStudentSub)};
  return canaries;
}

class GoogleSignInTest : public ::testing::Test {
 protected:
  GoogleSignInTest() {
    write_file(dir_.path() / "fixture.json", kFixture);
    write_file(dir_.path() / "client-secret", kClientSecret);
    ::chmod((dir_.path() / "client-secret").c_str(), 0600);
    const std::uint16_t gateway_port = free_port();
    const std::string gateway = "http://127.0.0.1:" + std::to_string(gateway_port);
    google_port_ = free_port();

    std::vector<std::string> args = {"--fixture",
                                     (dir_.path() / "fixture.json").string(),
                                     "--cert",
                                     pki_.server_certificate_file,
                                     "--key",
                                     pki_.server_key_file,
                                     "--port",
                                     std::to_string(google_port_),
                                     "--client-id",
                                     std::string(kClientId),
                                     "--client-secret-file",
                                     (dir_.path() / "client-secret").string(),
                                     "--redirect-uri",
                                     gateway + "/callback/google",
                                     "--ready-file",
                                     (dir_.path() / "google-ready").string()};
    google_ = std::make_unique<ChildProcess>(LMSGW_FAKE_GOOGLE_BIN, std::move(args),
                                             dir_.path() / "fake-google.log");
    if (!eventually([&] { return std::filesystem::exists(dir_.path() / "google-ready"); })) {
      throw std::runtime_error("fake Google did not start: " + google_->output());
    }

    GatewaySetup setup;
    setup.ca_file = pki_.ca_certificate_file;
    setup.plugins = {"google"};
    setup.port = gateway_port;
    setup.districts_yaml = "  springfield: {}\n  shelbyville: {}\n";
    setup.connections_yaml =
        "  google:\n    plugin: google\n"
        "    provider_districts:\n"
        "      students.springfield.example: springfield\n"
        "      staff.springfield.example: springfield\n"
        "    config:\n"
        "      client_id: " +
        std::string(kClientId) +
        "\n"
        "      client_secret: file:client-secret\n"
        "      discovery_url: " +
        google_url() +
        "/.well-known/openid-configuration\n"
        "      request_profile: true\n"
        "      hosted_domains: [students.springfield.example, staff.springfield.example]\n"
        "      domain_roles: {staff.springfield.example: teacher}\n";
    gateway_ = std::make_unique<GatewayProcess>(dir_.path(), std::move(setup));
  }

  std::string google_url() const { return "https://127.0.0.1:" + std::to_string(google_port_); }

  sdk::HttpResponse sign_in(std::string_view sub) {
    return browser_.follow(gateway_->url() + "/login/google?login_hint=" + std::string(sub));
  }
  sdk::HttpResponse auth_check() { return browser_.get(gateway_->url() + "/auth/check"); }

  void control(const std::string& path_and_query) {
    sdk::HttpResponse response = control_.post_form(google_url() + path_and_query, "");
    if (response.status != 200) throw std::runtime_error("fake refused: " + response.body);
  }
  int fake_counter(std::string_view name) {
    const std::string body = control_.get(google_url() + "/__fake/stats").body;
    const std::string key = "\"" + std::string(name) + "\":";
    const auto at = body.find(key);
    return at == std::string::npos ? 0 : std::stoi(body.substr(at + key.size()));
  }

  void expect_refused(const sdk::HttpResponse& page, int status, std::string_view outcome) {
    EXPECT_EQ(page.status, status);
    EXPECT_THAT(page.body, HasSubstr(std::string(outcome)));
    EXPECT_EQ(gateway_->metric(sign_in_sample("google", outcome)), 1) << outcome;
    EXPECT_EQ(gateway_->count_rows("accounts"), 0);
    EXPECT_EQ(gateway_->count_rows("sessions"), 0);
    EXPECT_EQ(auth_check().status, 401);
  }

  TempDir dir_;
  TestPki pki_ = make_test_pki(dir_.path() / "pki");
  std::uint16_t google_port_ = 0;
  std::unique_ptr<ChildProcess> google_;
  std::unique_ptr<GatewayProcess> gateway_;
  TestBrowser browser_{pki_.ca_certificate_file};
  TestBrowser control_{pki_.ca_certificate_file};
};

TEST_F(GoogleSignInTest, StudentOfAnAllowedDomainBecomesAMinimalAccountAndCanariesGoNowhere) {
  sdk::HttpResponse landed = sign_in(kStudentSub);
  EXPECT_EQ(landed.status, 200);
  EXPECT_EQ(browser_.visited().back(), gateway_->return_url());
  // The redirect carried PKCE S256 and the fake checked the verifier on redemption.
  const std::string& authorize = browser_.visited().at(1);
  EXPECT_THAT(authorize, HasSubstr("code_challenge_method=S256"));
  EXPECT_THAT(authorize, HasSubstr("nonce="));
  EXPECT_EQ(fake_counter("id_tokens_issued"), 1);
  EXPECT_EQ(fake_counter("pkce_failures"), 0);

  sdk::HttpResponse check = auth_check();
  ASSERT_EQ(check.status, 200);
  EXPECT_EQ(sdk::find_header(check.headers, "X-Account-Role"), "student");
  EXPECT_EQ(sdk::find_header(check.headers, "X-District-Id"), "springfield");
  EXPECT_EQ(sdk::find_header(check.headers, "X-Display-Name"), "Ana");
  EXPECT_EQ(sdk::find_header(check.headers, "X-Age-Band"), "under13");
  EXPECT_EQ(gateway_->metric(sign_in_sample("google", "success")), 1);
  EXPECT_EQ(gateway_->count_rows("accounts"), 1);

  const std::string persisted = gateway_->persisted_bytes();
  ASSERT_THAT(persisted, HasSubstr("Ana"));  // the kept first name is there: the read works
  std::string headers;
  for (const auto& [name, value] : check.headers) headers += name + ": " + value + "\n";
  for (const std::string& canary : student_canaries()) {
    EXPECT_THAT(persisted, Not(HasSubstr(canary))) << "persisted: " << canary;
    EXPECT_THAT(headers, Not(HasSubstr(canary))) << "sent to the platform: " << canary;
  }
  // The student's email reaches the gateway only inside the ID token, never the browser.
  EXPECT_THAT(browser_.transcript(), Not(HasSubstr("zz.canary.student")));
}

TEST_F(GoogleSignInTest, StaffDomainMakesATeacher) {
  ASSERT_EQ(sign_in(kTeacherSub).status, 200);
  sdk::HttpResponse check = auth_check();
  ASSERT_EQ(check.status, 200);
  EXPECT_EQ(sdk::find_header(check.headers, "X-Account-Role"), "teacher");
  EXPECT_EQ(sdk::find_header(check.headers, "X-District-Id"), "springfield");
  EXPECT_EQ(sdk::find_header(check.headers, "X-Display-Name"), "Rosa");
  EXPECT_THAT(gateway_->persisted_bytes(), Not(HasSubstr("Zzteacherfamilycanary")));
}

TEST_F(GoogleSignInTest, AWorkspaceDomainNotAllowedIsRefused) {
  expect_refused(sign_in(kOtherDistrictSub), 403, "not_permitted");
}

TEST_F(GoogleSignInTest, AnEmailThatLooksAllowedWithoutHdIsRefused) {
  expect_refused(sign_in(kPersonalSub), 403, "not_permitted");
}

TEST_F(GoogleSignInTest, ACallbackWithoutStateIsRefusedBeforeAnyCodeIsRedeemed) {
  sdk::HttpResponse page = browser_.get(gateway_->url() + "/callback/google?code=abc");
  EXPECT_EQ(page.status, 400);
  EXPECT_THAT(page.body, HasSubstr("state_missing"));
  EXPECT_EQ(fake_counter("token_requests"), 0);
}

TEST_F(GoogleSignInTest, TokenEndpointFailureIsAnUpstreamError) {
  control("/__fake/faults?kind=token_error");
  expect_refused(sign_in(kStudentSub), 502, "upstream_rejected");
}

TEST_F(GoogleSignInTest, AMalformedDiscoveryDocumentStopsTheSignIn) {
  control("/__fake/faults?kind=bad_discovery");
  sdk::HttpResponse page = browser_.get(gateway_->url() + "/login/google");
  EXPECT_EQ(page.status, 502);
  EXPECT_THAT(page.body, HasSubstr("upstream_malformed"));
  EXPECT_EQ(fake_counter("codes_issued"), 0);
}

// Each way an ID token can be wrong: the sign-in ends without a session and is counted.
class ForgedIdTokenTest : public GoogleSignInTest,
                          public ::testing::WithParamInterface<const char*> {};

TEST_P(ForgedIdTokenTest, IsRefusedWithoutASession) {
  control(std::string("/__fake/faults?kind=") + GetParam());
  expect_refused(sign_in(kStudentSub), 400, "token_invalid");
  EXPECT_EQ(fake_counter("id_tokens_issued"), 1);
}

INSTANTIATE_TEST_SUITE_P(Faults, ForgedIdTokenTest,
                         ::testing::Values("wrong_iss", "wrong_aud", "expired", "bad_signature",
                                           "unknown_kid", "nonce_mismatch"));

TEST_F(GoogleSignInTest, AnIdTokenWithoutHdIsNotPermitted) {
  control("/__fake/faults?kind=drop_hd");
  expect_refused(sign_in(kStudentSub), 403, "not_permitted");
}

// Google publishes its keys ahead of use, and the gateway also refetches the JWKS when a token
// names a kid it does not hold (at most once a minute per JWKS, so this test waits a minute).
TEST_F(GoogleSignInTest, ARotatedSigningKeyIsPickedUpByRefetchingTheJwks) {
  ASSERT_EQ(sign_in(kStudentSub).status, 200);
  ASSERT_EQ(fake_counter("jwks_requests"), 1);
  const auto first_fetch = std::chrono::steady_clock::now();
  control("/__fake/keys?action=rotate");
  control("/__fake/keys?action=retire");

  // Within the minute the new kid is unknown and the refetch is held back: refused.
  browser_.clear_cookies();
  EXPECT_EQ(sign_in(kStudentSub).status, 400);
  EXPECT_EQ(gateway_->metric(sign_in_sample("google", "token_invalid")), 1);
  EXPECT_EQ(fake_counter("jwks_requests"), 1);

  std::this_thread::sleep_until(first_fetch + std::chrono::seconds(62));
  browser_.clear_cookies();
  EXPECT_EQ(sign_in(kStudentSub).status, 200);
  EXPECT_EQ(fake_counter("jwks_requests"), 2);
  EXPECT_EQ(auth_check().status, 200);
}

}  // namespace
}  // namespace lmsgw::testing
