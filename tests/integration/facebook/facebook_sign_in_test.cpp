// Teachers and families sign in with Facebook and reach the platform as minimal accounts:
// the whole flow through real processes (gateway, fake Facebook over HTTPS with a test CA),
// every Graph call bound to our app by appsecret_proof, and every way it must refuse.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "common/crypto.h"
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
constexpr std::string_view kAppSecret = "zz-fb-app-secret-canary-0123456789";
constexpr std::string_view kTeacherId = "10000000000000001";
constexpr std::string_view kGuardianId = "10000000000000002";

// Two Facebook users whose every field but id and first_name holds a canary.
constexpr std::string_view kFixture = R"({"users": [
 {"id": "10000000000000001", "first_name": "Rosa", "middle_name": "Zzfbmiddlecanary",
  "last_name": "Zzfbteacherlastcanary", "name": "Rosa Zzfbteacherlastcanary",
  "short_name": "Zzfbshortcanary", "email": "zz.fb.teacher.canary@example.org",
  "birthday": "07/14/1985", "gender": "Zzfbgendercanary",
  "picture": {"data": {"url": "https://zzfbpicturecanary.example/rosa.jpg",
                       "is_silhouette": false}},
  "location": {"id": "1089", "name": "Zzfblocationcanary"},
  "link": "https://zzfblinkcanary.example/rosa"},
 {"id": "10000000000000002", "first_name": "Sam",
  "last_name": "Zzfbguardianlastcanary", "name": "Sam Zzfbguardianlastcanary",
  "email": "zz.fb.guardian.canary@example.org", "birthday": "03/03/1979",
  "gender": "Zzfbguardiangendercanary",
  "picture": {"data": {"url": "https://zzfbpicturecanary.example/sam.jpg"}},
  "location": {"id": "1090", "name": "Zzfbguardianlocationcanary"},
  "link": "https://zzfblinkcanary.example/sam"}
]})";

// The tag in the name of the cookie that carries a started sign-in (LoginStateSealer).
std::string login_cookie_tag(const std::string& state) {
  return crypto::base64url_encode(crypto::sha256(state)).substr(0, 12);
}

const std::vector<std::string>& canaries() {
  static const std::vector<std::string> all = {"Zzfbmiddlecanary",
                                               "Zzfbteacherlastcanary",
                                               "Zzfbshortcanary",
                                               "zz.fb.teacher.canary",
                                               "07/14/1985",
                                               "1985-07-14",
                                               "Zzfbgendercanary",
                                               "zzfbpicturecanary",
                                               "Zzfblocationcanary",
                                               "zzfblinkcanary",
                                               "Zzfbguardianlastcanary",
                                               "zz.fb.guardian.canary",
                                               "03/03/1979",
                                               "1979-03-03",
                                               "Zzfbguardiangendercanary",
                                               "Zzfbguardianlocationcanary",
                                               std::string(kAppSecret)};
  return all;
}

class FacebookFlowTest : public ::testing::Test {
 protected:
  FacebookFlowTest() {
    pki_ = make_test_pki(dir_.path() / "pki");
    write_file(dir_.path() / "fixture.json", kFixture);
    write_file(dir_.path() / "facebook-app-secret", kAppSecret);
    // The gateway refuses secret files others can read.
    std::filesystem::permissions(
        dir_.path() / "facebook-app-secret",
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
        std::filesystem::perm_options::replace);
    const std::uint16_t gateway_port = free_port();
    const std::uint16_t facebook_port = free_port();
    facebook_url_ = "https://127.0.0.1:" + std::to_string(facebook_port);
    const std::string gateway = "http://127.0.0.1:" + std::to_string(gateway_port);

    std::vector<std::string> args = {"--fixture",
                                     (dir_.path() / "fixture.json").string(),
                                     "--cert",
                                     pki_.server_certificate_file,
                                     "--key",
                                     pki_.server_key_file,
                                     "--port",
                                     std::to_string(facebook_port),
                                     "--app-id",
                                     std::string(kAppId),
                                     "--app-secret-file",
                                     (dir_.path() / "facebook-app-secret").string(),
                                     "--graph-version",
                                     "v21.0",
                                     "--ready-file",
                                     (dir_.path() / "facebook-ready").string()};
    // facebook-unregistered's callback is deliberately not registered.
    for (const char* connection : {"facebook-teachers", "facebook-families"}) {
      args.push_back("--redirect-uri");
      args.push_back(gateway + "/callback/" + connection);
    }
    facebook_ = std::make_unique<ChildProcess>(LMSGW_FAKE_FACEBOOK_BIN, std::move(args),
                                               dir_.path() / "fake-facebook.log");
    if (!eventually([&] { return std::filesystem::exists(dir_.path() / "facebook-ready"); })) {
      throw std::runtime_error("fake Facebook did not start: " + facebook_->output());
    }

    auto connection = [&](std::string_view id, std::string_view placement, std::string_view role) {
      return "  " + std::string(id) + ":\n    plugin: facebook\n" + std::string(placement) +
             "    config:\n"
             "      app_id: \"" +
             std::string(kAppId) +
             "\"\n"
             "      app_secret: file:facebook-app-secret\n"
             "      graph_version: v21.0\n"
             "      role: " +
             std::string(role) +
             "\n"
             "      dialog_base_url: " +
             facebook_url_ +
             "\n"
             "      graph_base_url: " +
             facebook_url_ + "\n";
    };
    GatewaySetup setup;
    setup.ca_file = pki_.ca_certificate_file;
    setup.plugins = {"facebook"};
    setup.port = gateway_port;
    setup.connections_yaml =
        connection("facebook-teachers", "    district: springfield\n", "teacher") +
        // Families belong to no district; their accounts are keyed apart from teachers'.
        connection("facebook-families", "    identity_namespace: facebook-families\n", "guardian") +
        connection("facebook-unregistered", "    district: springfield\n", "teacher");
    gateway_ = std::make_unique<GatewayProcess>(dir_.path(), std::move(setup));
    control_ = std::make_unique<TestBrowser>(pki_.ca_certificate_file);
  }

  TestBrowser new_browser() const { return TestBrowser(pki_.ca_certificate_file); }

  // GET /login/{connection}: the redirect to the fake's dialog.
  std::string dialog_url(TestBrowser& browser, std::string_view connection) {
    sdk::HttpResponse to_facebook =
        browser.get(gateway_->url() + "/login/" + std::string(connection));
    if (to_facebook.status != 302) throw std::runtime_error("login did not redirect to Facebook");
    return location_of(to_facebook, gateway_->url());
  }

  // The person picks `user_id` in the dialog (the fake's hint stands for the click) and the
  // browser follows everything back to the platform.
  sdk::HttpResponse sign_in(TestBrowser& browser, std::string_view connection,
                            std::string_view user_id) {
    return browser.follow(dialog_url(browser, connection) + "&login_hint=" + std::string(user_id));
  }

  // Like sign_in, but stops before the callback and returns its URL (code and state).
  std::string callback_of_started_sign_in(TestBrowser& browser, std::string_view connection,
                                          std::string_view user_id) {
    sdk::HttpResponse back =
        browser.get(dialog_url(browser, connection) + "&login_hint=" + std::string(user_id));
    if (back.status != 302) throw std::runtime_error("Facebook did not redirect back");
    return location_of(back, facebook_url_);
  }

  sdk::HttpResponse auth_check(TestBrowser& browser) {
    return browser.get(gateway_->url() + "/auth/check");
  }

  int fake_counter(std::string_view name) {
    const std::string body = control_->get(facebook_url_ + "/__fake/stats").body;
    const std::string key = "\"" + std::string(name) + "\":";
    const auto at = body.find(key);
    return at == std::string::npos ? 0 : std::stoi(body.substr(at + key.size()));
  }
  std::string last_fields() {
    const std::string body = control_->get(facebook_url_ + "/__fake/stats").body;
    const std::string key = "\"last_fields\":\"";
    const auto at = body.find(key);
    if (at == std::string::npos) return {};
    return body.substr(at + key.size(), body.find('"', at + key.size()) - at - key.size());
  }
  void inject_fault(std::string_view query) {
    sdk::HttpResponse response =
        control_->post_form(facebook_url_ + "/__fake/faults?" + std::string(query), "");
    if (response.status != 200)
      throw std::runtime_error("fault injection refused: " + response.body);
  }

  void expect_every_graph_call_proven() {
    EXPECT_GT(fake_counter("graph_calls"), 0);
    EXPECT_EQ(fake_counter("graph_calls_valid_proof"), fake_counter("graph_calls"));
    EXPECT_EQ(fake_counter("graph_calls_missing_proof"), 0);
    EXPECT_EQ(fake_counter("graph_calls_invalid_proof"), 0);
  }
  void expect_no_canary_anywhere(const TestBrowser& browser) {
    const std::string persisted = gateway_->persisted_bytes();
    for (const std::string& canary : canaries()) {
      EXPECT_THAT(persisted, Not(HasSubstr(canary))) << "persisted: " << canary;
      EXPECT_THAT(browser.transcript(), Not(HasSubstr(canary)))
          << "sent to the browser: " << canary;
    }
    // Raw app-scoped ids are stored only as keyed hashes.
    EXPECT_THAT(persisted, Not(HasSubstr(std::string(kTeacherId))));
    EXPECT_THAT(persisted, Not(HasSubstr(std::string(kGuardianId))));
  }
  void expect_nothing_stored() {
    EXPECT_EQ(gateway_->count_rows("accounts"), 0);
    EXPECT_EQ(gateway_->count_rows("sessions"), 0);
  }

  TempDir dir_;
  TestPki pki_;
  std::string facebook_url_;
  std::unique_ptr<ChildProcess> facebook_;
  std::unique_ptr<GatewayProcess> gateway_;
  std::unique_ptr<TestBrowser> control_;
};

TEST_F(FacebookFlowTest, ATeacherReachesThePlatformWithRoleAndFirstNameOnly) {
  TestBrowser browser = new_browser();
  sdk::HttpResponse landed = sign_in(browser, "facebook-teachers", kTeacherId);
  EXPECT_EQ(landed.status, 200);
  EXPECT_EQ(browser.visited().back(), gateway_->return_url());

  sdk::HttpResponse check = auth_check(browser);
  ASSERT_EQ(check.status, 200);
  EXPECT_THAT(std::string(sdk::find_header(check.headers, "X-Account-Id")), StartsWith("acct_"));
  EXPECT_EQ(sdk::find_header(check.headers, "X-Account-Role"), "teacher");
  EXPECT_EQ(sdk::find_header(check.headers, "X-District-Id"), "springfield");
  EXPECT_EQ(sdk::find_header(check.headers, "X-Display-Name"), "Rosa");
  EXPECT_EQ(gateway_->count_rows("accounts"), 1);
  EXPECT_EQ(gateway_->metric(sign_in_sample("facebook-teachers", "success")), 1);

  // The gateway asked for two fields, and proved the app on every Graph call.
  EXPECT_EQ(last_fields(), "id,first_name");
  EXPECT_EQ(fake_counter("codes_redeemed"), 1);
  expect_every_graph_call_proven();

  ASSERT_THAT(gateway_->persisted_bytes(), HasSubstr("Rosa"));  // the read works
  expect_no_canary_anywhere(browser);
  for (const std::string& canary : canaries()) {
    for (const auto& [name, value] : check.headers) {
      EXPECT_THAT(value, Not(HasSubstr(canary))) << name;
    }
  }
}

TEST_F(FacebookFlowTest, AGuardianSignsInWithoutADistrict) {
  TestBrowser browser = new_browser();
  ASSERT_EQ(sign_in(browser, "facebook-families", kGuardianId).status, 200);
  sdk::HttpResponse check = auth_check(browser);
  ASSERT_EQ(check.status, 200);
  EXPECT_EQ(sdk::find_header(check.headers, "X-Account-Role"), "guardian");
  EXPECT_EQ(sdk::find_header(check.headers, "X-Display-Name"), "Sam");
  EXPECT_EQ(sdk::find_header(check.headers, "X-District-Id"), "");
  EXPECT_EQ(last_fields(), "id,first_name");
  expect_every_graph_call_proven();
  expect_no_canary_anywhere(browser);
}

TEST_F(FacebookFlowTest, ACallbackWithoutStateIsRefused) {
  // (The gateway also refuses allow_provider_initiated on a Facebook connection at start-up,
  // and the plugin answers state_missing itself: see the plugin's unit tests.)
  TestBrowser browser = new_browser();
  sdk::HttpResponse page = browser.get(gateway_->url() + "/callback/facebook-teachers?code=abc");
  EXPECT_EQ(page.status, 400);
  EXPECT_THAT(page.body, HasSubstr("state_missing"));
  EXPECT_EQ(gateway_->metric(sign_in_sample("facebook-teachers", "state_missing")), 1);
  EXPECT_EQ(fake_counter("token_requests"), 0);
  expect_nothing_stored();
}

TEST_F(FacebookFlowTest, AReplayedStateOrCodeGetsNoSession) {
  TestBrowser browser = new_browser();
  const std::string callback =
      callback_of_started_sign_in(browser, "facebook-teachers", kTeacherId);
  const std::string state = callback.substr(callback.find("state=") + 6);
  const std::string cookie_name = "lmsgw_session_login_" + login_cookie_tag(state);
  const std::string cookie = browser.cookie(cookie_name);
  ASSERT_FALSE(cookie.empty());
  EXPECT_EQ(browser.get(callback).status, 302);
  ASSERT_EQ(gateway_->count_rows("sessions"), 1);

  // The same callback again, even with the stolen state cookie: the state is spent.
  TestBrowser attacker = new_browser();
  attacker.set_cookie(cookie_name, cookie);
  sdk::HttpResponse replay = attacker.get(callback);
  EXPECT_EQ(replay.status, 400);
  EXPECT_THAT(replay.body, HasSubstr("state_replayed"));

  // The spent code under a fresh state of this browser: Graph refuses it.
  const std::string fresh = callback_of_started_sign_in(browser, "facebook-teachers", kTeacherId);
  const std::string fresh_state = fresh.substr(fresh.find("state="));
  const std::string old_code = callback.substr(0, callback.find("&state="));
  sdk::HttpResponse reused = browser.get(old_code + "&" + fresh_state);
  EXPECT_EQ(reused.status, 502);
  EXPECT_THAT(reused.body, HasSubstr("upstream_rejected"));
  EXPECT_EQ(fake_counter("codes_redeemed"), 1);
  EXPECT_EQ(gateway_->count_rows("sessions"), 1);
  EXPECT_EQ(auth_check(attacker).status, 401);
}

TEST_F(FacebookFlowTest, AWrongRedirectUriGoesNowhere) {
  TestBrowser browser = new_browser();
  // The dialog refuses a callback the app did not register, and redirects nowhere.
  sdk::HttpResponse blocked = browser.get(dialog_url(browser, "facebook-unregistered") +
                                          "&login_hint=" + std::string(kTeacherId));
  EXPECT_EQ(blocked.status, 400);
  EXPECT_THAT(blocked.body, HasSubstr("URL blocked"));
  EXPECT_EQ(fake_counter("codes_issued"), 0);

  // A code issued for one callback, delivered to another connection under that connection's
  // own state: the exchange names the other redirect URI, and Graph refuses it.
  const std::string teachers =
      callback_of_started_sign_in(browser, "facebook-teachers", kTeacherId);
  const std::string families =
      callback_of_started_sign_in(browser, "facebook-families", kTeacherId);
  const std::string code =
      teachers.substr(teachers.find("code="), teachers.find("&state=") - teachers.find("code="));
  const std::string families_state = families.substr(families.find("state="));
  sdk::HttpResponse crossed =
      browser.get(gateway_->url() + "/callback/facebook-families?" + code + "&" + families_state);
  EXPECT_EQ(crossed.status, 502);
  EXPECT_THAT(crossed.body, HasSubstr("upstream_rejected"));
  EXPECT_EQ(fake_counter("codes_redeemed"), 0);
  expect_nothing_stored();
}

TEST_F(FacebookFlowTest, GraphErrorsGetNoSession) {
  inject_fault("endpoint=access_token&mode=status&status=400&graph_code=100");
  TestBrowser first = new_browser();
  sdk::HttpResponse exchange = sign_in(first, "facebook-teachers", kTeacherId);
  EXPECT_EQ(exchange.status, 502);
  EXPECT_THAT(exchange.body, HasSubstr("upstream_rejected"));

  inject_fault("endpoint=me&mode=status&status=400&graph_code=190");
  TestBrowser second = new_browser();
  sdk::HttpResponse me = sign_in(second, "facebook-teachers", kTeacherId);
  EXPECT_EQ(me.status, 502);
  EXPECT_THAT(me.body, HasSubstr("upstream_rejected"));

  inject_fault("endpoint=me&mode=malformed");
  TestBrowser third = new_browser();
  sdk::HttpResponse malformed = sign_in(third, "facebook-teachers", kTeacherId);
  EXPECT_EQ(malformed.status, 502);
  EXPECT_THAT(malformed.body, HasSubstr("upstream_malformed"));

  EXPECT_EQ(auth_check(first).status, 401);
  EXPECT_EQ(auth_check(second).status, 401);
  EXPECT_EQ(auth_check(third).status, 401);
  EXPECT_EQ(gateway_->metric(sign_in_sample("facebook-teachers", "upstream_rejected")), 2);
  expect_every_graph_call_proven();
  expect_nothing_stored();
}

TEST_F(FacebookFlowTest, CancellingInTheDialogIsProviderDenied) {
  TestBrowser browser = new_browser();
  sdk::HttpResponse page =
      browser.follow(dialog_url(browser, "facebook-families") + "&fake_cancel=1");
  EXPECT_EQ(page.status, 403);
  EXPECT_THAT(page.body, HasSubstr("provider_denied"));
  EXPECT_EQ(fake_counter("token_requests"), 0);
  expect_nothing_stored();
}

TEST_F(FacebookFlowTest, TheFakeRefusesGraphCallsWithoutAValidProof) {
  // What makes expect_every_graph_call_proven() meaningful: an unproven call is refused.
  const std::string me = facebook_url_ + "/v21.0/me?fields=id&access_token=EAAforged";
  sdk::HttpResponse missing = control_->get(me);
  EXPECT_EQ(missing.status, 400);
  EXPECT_THAT(missing.body, HasSubstr("\"code\":100"));
  sdk::HttpResponse wrong = control_->get(me + "&appsecret_proof=" + std::string(64, '0'));
  EXPECT_EQ(wrong.status, 400);
  EXPECT_THAT(wrong.body, HasSubstr("Invalid appsecret_proof"));
  // A correct proof for a token Graph never issued: the token itself is refused.
  const std::string proof = crypto::hex_encode(crypto::hmac_sha256(kAppSecret, "EAAforged"));
  sdk::HttpResponse unknown = control_->get(me + "&appsecret_proof=" + proof);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_THAT(unknown.body, HasSubstr("\"code\":190"));
  EXPECT_EQ(fake_counter("graph_calls_missing_proof"), 1);
  EXPECT_EQ(fake_counter("graph_calls_invalid_proof"), 1);
  EXPECT_EQ(fake_counter("graph_calls_valid_proof"), 1);
}

}  // namespace
}  // namespace lmsgw::testing
