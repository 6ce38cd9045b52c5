// Google Cross-Account Protection through the real gateway: security event tokens minted by the
// fake Google (over real HTTPS, signed with its RISC key, published at its RISC configuration's
// jwks_uri), or forged, posted to /webhooks/{connection}. A genuine one takes effect on the
// next /auth/check; forged, stale and replayed ones change nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <stdexcept>

#include "http/client.h"
#include "tests/integration/signals/signals_support.h"
#include "tests/support/gateway_process.h"
#include "tests/support/process.h"
#include "tests/support/test_browser.h"
#include "tests/support/test_pki.h"

namespace lmsgw::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kClientId = "it-client.apps.googleusercontent.com";
constexpr std::string_view kClientSecret = "it-google-signals-secret-0123456789";
constexpr std::string_view kStudentSub = "110169484474386276371";

constexpr std::string_view kFixture = R"({"users": [
 {"sub": "110169484474386276371", "hd": "students.springfield.example",
  "email": "zz.signals.student@students.springfield.example", "email_verified": true,
  "given_name": "Ana"}
]})";

class GoogleSignalsTest : public ::testing::Test {
 protected:
  GoogleSignalsTest() {
    write_file(dir_.path() / "fixture.json", kFixture);
    write_file(dir_.path() / "client-secret", kClientSecret);
    ::chmod((dir_.path() / "client-secret").c_str(), 0600);
    const std::uint16_t gateway_port = free_port();
    google_url_ = "https://127.0.0.1:" + std::to_string(free_port());
    google_ = std::make_unique<ChildProcess>(
        LMSGW_FAKE_GOOGLE_BIN,
        std::vector<std::string>{
            "--fixture", (dir_.path() / "fixture.json").string(), "--cert",
            pki_.server_certificate_file, "--key", pki_.server_key_file, "--port",
            google_url_.substr(google_url_.rfind(':') + 1), "--client-id", std::string(kClientId),
            "--client-secret-file", (dir_.path() / "client-secret").string(), "--redirect-uri",
            "http://127.0.0.1:" + std::to_string(gateway_port) + "/callback/google", "--ready-file",
            (dir_.path() / "google-ready").string()},
        dir_.path() / "fake-google.log");
    if (!eventually([&] { return std::filesystem::exists(dir_.path() / "google-ready"); })) {
      throw std::runtime_error("fake Google did not start: " + google_->output());
    }
    GatewaySetup setup;
    setup.ca_file = pki_.ca_certificate_file;
    setup.plugins = {"google"};
    setup.port = gateway_port;
    setup.connections_yaml =
        "  google:\n    plugin: google\n"
        "    provider_districts: {students.springfield.example: springfield}\n    config:\n"
        "      client_id: " +
        std::string(kClientId) +
        "\n      client_secret: file:client-secret\n      discovery_url: " + google_url_ +
        "/.well-known/openid-configuration\n      risc_configuration_url: " + google_url_ +
        "/.well-known/risc-configuration\n"
        "      hosted_domains: [students.springfield.example]\n";
    gateway_ = std::make_unique<GatewayProcess>(dir_.path(), std::move(setup));

    http::ClientOptions options;
    options.use_system_trust_store = false;
    options.allow_plain_http_to_loopback = true;
    auto client = http::Client::create(options);
    if (!client) throw std::runtime_error(client.error().detail);
    receiver_client_ = std::move(*client);
  }

  void sign_in() {
    sdk::HttpResponse landed =
        browser_.follow(gateway_->url() + "/login/google?login_hint=" + std::string(kStudentSub));
    ASSERT_EQ(landed.status, 200) << landed.body;
    ASSERT_EQ(auth_check(), 200);
  }
  int auth_check() { return browser_.get(gateway_->url() + "/auth/check").status; }

  // A security event token from the fake: `query` such as "event=sessions-revoked".
  std::string security_event(const std::string& query) {
    sdk::HttpResponse minted = control_.post_form(
        google_url_ + "/__fake/risc/set?sub=" + std::string(kStudentSub) + "&" + query, "");
    if (minted.status != 200) throw std::runtime_error("fake refused: " + minted.body);
    return minted.body;
  }
  // POSTs the token as Google does.
  sdk::HttpResponse deliver(const std::string& token) {
    sdk::HttpRequest request;
    request.method = "POST";
    request.url = gateway_->url() + "/webhooks/google";
    request.headers = {{"Content-Type", "application/secevent+jwt"}};
    request.body = token;
    auto response = receiver_client_->send(request);
    if (!response) throw std::runtime_error(response.error().detail);
    return *response;
  }

  TempDir dir_;
  TestPki pki_ = make_test_pki(dir_.path() / "pki");
  std::string google_url_;
  std::unique_ptr<ChildProcess> google_;
  std::unique_ptr<GatewayProcess> gateway_;
  std::unique_ptr<http::Client> receiver_client_;
  TestBrowser browser_{pki_.ca_certificate_file};
  TestBrowser control_{pki_.ca_certificate_file};
};

TEST_F(GoogleSignalsTest, SessionsRevokedEndsTheSessionAndIsAppliedOnce) {
  sign_in();
  const std::string token = security_event("event=sessions-revoked&jti=it-jti-1");
  sdk::HttpResponse answer = deliver(token);
  EXPECT_EQ(answer.status, 202) << answer.body;
  EXPECT_EQ(auth_check(), 401);
  EXPECT_EQ(audited(*gateway_, "signal.sessions_revoked"), 1);

  // Google delivers the same token again: accepted, not applied (a new session survives).
  sign_in();
  EXPECT_EQ(deliver(token).status, 202);
  EXPECT_EQ(auth_check(), 200);
  EXPECT_EQ(audited(*gateway_, "signal.sessions_revoked"), 1);
  EXPECT_EQ(gateway_->metric("lmsgw_webhook_signals_replayed"), 1);
  EXPECT_EQ(gateway_->metric("lmsgw_webhook_signals_applied"), 1);

  // tokens-revoked ends the sessions too, and keeps the link.
  EXPECT_EQ(deliver(security_event("event=tokens-revoked")).status, 202);
  EXPECT_EQ(auth_check(), 401);
  EXPECT_EQ(gateway_->count_rows("identities"), 1);
  EXPECT_THAT(gateway_->persisted_bytes(), Not(HasSubstr(std::string(kStudentSub))));
}

TEST_F(GoogleSignalsTest, AccountDisabledRefusesSignInUntilEnabled) {
  sign_in();
  EXPECT_EQ(deliver(security_event("event=account-disabled&reason=bulk-account")).status, 202);
  EXPECT_EQ(auth_check(), 401);
  sdk::HttpResponse refused =
      browser_.follow(gateway_->url() + "/login/google?login_hint=" + std::string(kStudentSub));
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(auth_check(), 401);

  EXPECT_EQ(deliver(security_event("event=account-enabled")).status, 202);
  sign_in();
  EXPECT_EQ(audited(*gateway_, "signal.account_disabled"), 1);
  EXPECT_EQ(audited(*gateway_, "signal.account_enabled"), 1);

  // Hijacking ends the sessions but leaves sign-in open.
  EXPECT_EQ(deliver(security_event("event=account-disabled&reason=hijacking")).status, 202);
  EXPECT_EQ(auth_check(), 401);
  sign_in();
}

TEST_F(GoogleSignalsTest, ForgedStaleAndMisdirectedTokensAreRejected) {
  sign_in();
  for (const char* forge : {"wrong_key", "wrong_aud", "old_iat", "future_iat"}) {
    SCOPED_TRACE(forge);
    sdk::HttpResponse answer =
        deliver(security_event(std::string("event=sessions-revoked&forge=") + forge));
    EXPECT_EQ(answer.status, 400);
    EXPECT_EQ(answer.body, "invalid signal\n");
  }
  EXPECT_EQ(deliver("not-a-jwt").status, 400);
  EXPECT_EQ(auth_check(), 200);
  EXPECT_EQ(gateway_->metric("lmsgw_webhook_deliveries_rejected"), 5);
  // Google's stream test: accepted, no effect.
  EXPECT_EQ(deliver(security_event("event=verification")).status, 202);
  EXPECT_EQ(auth_check(), 200);
  EXPECT_EQ(gateway_->metric("lmsgw_webhook_deliveries_without_signal"), 1);
}

}  // namespace
}  // namespace lmsgw::testing
