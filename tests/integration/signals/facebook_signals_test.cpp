// Facebook's Deauthorize and Data Deletion callbacks through the real gateway: signed_requests
// minted by the fake Facebook (over real HTTPS) with the app secret, or forged, posted to
// /webhooks/{connection}/{channel}. A genuine one ends the live session at once; forged,
// expired and replayed ones change nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "tests/integration/signals/signals_support.h"
#include "tests/support/gateway_process.h"
#include "tests/support/process.h"
#include "tests/support/test_browser.h"
#include "tests/support/test_pki.h"

namespace lmsgw::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::string_view kAppId = "1234567890";
constexpr std::string_view kAppSecret = "zz-fb-signals-secret-0123456789";
constexpr std::string_view kTeacherId = "10000000000000071";
constexpr std::string_view kStrangerId = "10000000000000079";

constexpr std::string_view kFixture = R"({"users": [
 {"id": "10000000000000071", "first_name": "Rosa", "last_name": "Zzfbsignalscanary"}
]})";

class FacebookSignalsTest : public ::testing::Test {
 protected:
  FacebookSignalsTest() {
    write_file(dir_.path() / "fixture.json", kFixture);
    write_file(dir_.path() / "facebook-app-secret", kAppSecret);
    std::filesystem::permissions(
        dir_.path() / "facebook-app-secret",
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
        std::filesystem::perm_options::replace);
    const std::uint16_t gateway_port = free_port();
    const std::uint16_t facebook_port = free_port();
    facebook_url_ = "https://127.0.0.1:" + std::to_string(facebook_port);
    facebook_ = std::make_unique<ChildProcess>(
        LMSGW_FAKE_FACEBOOK_BIN,
        std::vector<std::string>{
            "--fixture", (dir_.path() / "fixture.json").string(), "--cert",
            pki_.server_certificate_file, "--key", pki_.server_key_file, "--port",
            std::to_string(facebook_port), "--app-id", std::string(kAppId), "--app-secret-file",
            (dir_.path() / "facebook-app-secret").string(), "--redirect-uri",
            "http://127.0.0.1:" + std::to_string(gateway_port) + "/callback/facebook",
            "--ready-file", (dir_.path() / "facebook-ready").string()},
        dir_.path() / "fake-facebook.log");
    if (!eventually([&] { return std::filesystem::exists(dir_.path() / "facebook-ready"); })) {
      throw std::runtime_error("fake Facebook did not start: " + facebook_->output());
    }
    GatewaySetup setup;
    setup.ca_file = pki_.ca_certificate_file;
    setup.plugins = {"facebook"};
    setup.port = gateway_port;
    setup.connections_yaml =
        "  facebook:\n    plugin: facebook\n    district: springfield\n    config:\n"
        "      app_id: \"" +
        std::string(kAppId) +
        "\"\n      app_secret: file:facebook-app-secret\n      graph_version: v21.0\n"
        "      role: teacher\n      dialog_base_url: " +
        facebook_url_ + "\n      graph_base_url: " + facebook_url_ + "\n";
    gateway_ = std::make_unique<GatewayProcess>(dir_.path(), std::move(setup));
  }

  void sign_in() {
    sdk::HttpResponse to_facebook = browser_.get(gateway_->url() + "/login/facebook");
    ASSERT_EQ(to_facebook.status, 302);
    sdk::HttpResponse landed = browser_.follow(location_of(to_facebook, gateway_->url()) +
                                               "&login_hint=" + std::string(kTeacherId));
    ASSERT_EQ(landed.status, 200) << landed.body;
    ASSERT_EQ(auth_check(), 200);
  }
  int auth_check() { return browser_.get(gateway_->url() + "/auth/check").status; }

  // What Facebook would POST, minted by the fake (`forge` names a forgery, or is empty).
  std::string signed_request(std::string_view user_id, std::string_view callback,
                             std::string_view forge = "") {
    sdk::HttpResponse minted = control_.post_form(
        facebook_url_ + "/__fake/signed_request?user_id=" + std::string(user_id) +
            "&callback=" + std::string(callback) + "&forge=" + std::string(forge),
        "");
    if (minted.status != 200) throw std::runtime_error("fake refused: " + minted.body);
    return minted.body;
  }
  sdk::HttpResponse deliver(std::string_view channel, const std::string& request) {
    return control_.post_form(gateway_->url() + "/webhooks/facebook/" + std::string(channel),
                              "signed_request=" + request);
  }

  TempDir dir_;
  TestPki pki_ = make_test_pki(dir_.path() / "pki");
  std::string facebook_url_;
  std::unique_ptr<ChildProcess> facebook_;
  std::unique_ptr<GatewayProcess> gateway_;
  TestBrowser browser_{pki_.ca_certificate_file};
  TestBrowser control_{pki_.ca_certificate_file};
};

TEST_F(FacebookSignalsTest, DeauthorizeEndsTheSessionAndUnlinksTheIdentityOnce) {
  sign_in();
  const std::string deauthorize = signed_request(kTeacherId, "deauthorize");
  sdk::HttpResponse answer = deliver("deauthorize", deauthorize);
  EXPECT_EQ(answer.status, 202) << answer.body;
  EXPECT_EQ(auth_check(), 401);
  EXPECT_EQ(gateway_->count_rows("identities"), 0);
  EXPECT_EQ(audited(*gateway_, "signal.identity_unlinked"), 1);

  // Signing in again links a new account; the same callback delivered again is answered as
  // accepted but not applied: the new session survives.
  sign_in();
  EXPECT_EQ(deliver("deauthorize", deauthorize).status, 202);
  EXPECT_EQ(auth_check(), 200);
  EXPECT_EQ(gateway_->count_rows("identities"), 1);
  EXPECT_EQ(audited(*gateway_, "signal.identity_unlinked"), 1);
  EXPECT_EQ(gateway_->metric("lmsgw_webhook_signals_replayed"), 1);
  // The same signed_request sent to the other callback is the same signal: not applied.
  sdk::HttpResponse crossed = deliver("data-deletion", deauthorize);
  EXPECT_EQ(crossed.status, 200) << crossed.body;
  EXPECT_EQ(auth_check(), 200);
  EXPECT_EQ(gateway_->count_rows("accounts"), 2);

  EXPECT_THAT(gateway_->persisted_bytes(), Not(HasSubstr(std::string(kTeacherId))));
}

TEST_F(FacebookSignalsTest, ForgedAndExpiredCallbacksAreRejected) {
  sign_in();
  for (const char* forge : {"wrong_secret", "old", "future", "expired", "wrong_algorithm"}) {
    SCOPED_TRACE(forge);
    sdk::HttpResponse answer =
        deliver("deauthorize", signed_request(kTeacherId, "deauthorize", forge));
    EXPECT_EQ(answer.status, 400);
    EXPECT_EQ(answer.body, "invalid signal\n");
  }
  EXPECT_EQ(control_.post_form(gateway_->url() + "/webhooks/facebook/deauthorize", "x=1").status,
            400);
  EXPECT_EQ(deliver("elsewhere", signed_request(kTeacherId, "deauthorize")).status, 404);
  EXPECT_EQ(auth_check(), 200);
  EXPECT_EQ(gateway_->count_rows("identities"), 1);
  EXPECT_EQ(gateway_->metric("lmsgw_webhook_deliveries_rejected"), 6);
  EXPECT_EQ(audited(*gateway_, "signal.identity_unlinked"), 0);
}

TEST_F(FacebookSignalsTest, DataDeletionDeletesTheAccountAndAnswersWithAStatusPage) {
  sign_in();
  sdk::HttpResponse answer = deliver("data-deletion", signed_request(kTeacherId, "data-deletion"));
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_THAT(answer.body, StartsWith(R"({"url":")" + gateway_->url() + "/deletion-status/"));
  const auto code_at = answer.body.find(R"("confirmation_code":")");
  ASSERT_NE(code_at, std::string::npos);
  const std::string code = answer.body.substr(code_at + 21, 22);
  EXPECT_THAT(answer.body, HasSubstr("/deletion-status/" + code + "\""));

  EXPECT_EQ(auth_check(), 401);
  EXPECT_EQ(gateway_->count_rows("accounts"), 0);
  EXPECT_EQ(gateway_->count_rows("identities"), 0);
  EXPECT_EQ(gateway_->count_rows("sessions"), 0);
  EXPECT_EQ(audited(*gateway_, "signal.deletion_requested"), 1);

  TestBrowser visitor(pki_.ca_certificate_file);
  sdk::HttpResponse page = visitor.get(gateway_->url() + "/deletion-status/" + code);
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr("has been deleted"));
  EXPECT_THAT(page.body, Not(HasSubstr("acct_")));
  EXPECT_EQ(visitor.get(gateway_->url() + "/deletion-status/AAAAAAAAAAAAAAAAAAAAAA").status, 404);
  // Nobody we know: nothing to delete, and the page says so.
  sdk::HttpResponse stranger =
      deliver("data-deletion", signed_request(kStrangerId, "data-deletion"));
  ASSERT_EQ(stranger.status, 200) << stranger.body;
  const std::string stranger_code =
      stranger.body.substr(stranger.body.find(R"("confirmation_code":")") + 21, 22);
  EXPECT_THAT(visitor.get(gateway_->url() + "/deletion-status/" + stranger_code).body,
              HasSubstr("We hold no data"));
  // Only hashes of the codes are stored.
  EXPECT_THAT(gateway_->persisted_bytes(), Not(HasSubstr(code)));
}

}  // namespace
}  // namespace lmsgw::testing
