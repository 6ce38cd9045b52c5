// The sign-in flow in process, on the production cookie settings (Secure, __Host- names),
// with a scripted plugin, a real SQLite store and the real minimizer.
#include "signin/sign_in_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/crypto.h"
#include "common/time.h"
#include "lmsgw/sdk/testing/mocks.h"
#include "store/sqlite/sqlite_account_store.h"
#include "tests/support/temp_dir.h"

namespace lmsgw::signin {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::string_view kCookie = "__Host-lmsgw_session";
constexpr std::string_view kReturnUrl = "https://app.example.org/home";

// A provider plugin that records what it was given and answers as the test says.
class ScriptedPlugin final : public sdk::AuthPlugin {
 public:
  sdk::Result<sdk::LoginRedirect> begin(const sdk::LoginRequest& request) noexcept override {
    login = request;
    return sdk::LoginRedirect{"https://provider.example/authorize?state=" + request.state,
                              flow_data, return_to};
  }
  sdk::Result<sdk::ExternalIdentity> complete(
      const sdk::CallbackRequest& request) noexcept override {
    callback = request;
    return identity;
  }

  sdk::LoginRequest login;
  sdk::CallbackRequest callback;
  std::string flow_data = "flow";
  std::string return_to;
  sdk::ExternalIdentity identity;
};

// A request as the server would hand it over; owns the text its views point into.
struct FakeRequest {
  http::Method method = http::Method::get;
  std::string path;
  std::string query;
  std::string cookie;
  std::string connection = "clever";

  http::Request view() const {
    http::Request request;
    request.method = method;
    request.path = path;
    request.query = query;
    if (!cookie.empty()) request.headers.push_back({"Cookie", cookie});
    request.route_params[0] = {"connection", connection};
    request.route_param_count = 1;
    return request;
  }
};

FakeRequest get(std::string path, std::string query, std::string cookie = "",
                std::string connection = "clever") {
  return FakeRequest{http::Method::get, std::move(path), std::move(query), std::move(cookie),
                     std::move(connection)};
}

std::vector<std::string> set_cookies(const http::Response& response) {
  std::vector<std::string> out;
  for (const auto& [name, value] : response.headers) {
    if (name == "Set-Cookie") out.push_back(value);
  }
  return out;
}

std::string location(const http::Response& response) {
  for (const auto& [name, value] : response.headers) {
    if (name == "Location") return value;
  }
  return {};
}

class SignInServiceTest : public ::testing::Test {
 protected:
  SignInServiceTest()
      : clock_(time::from_unix_seconds(1'700'000'000)),
        store_(std::move(*store::open_sqlite_store({.path = (dir_.path() / "db").string()}))),
        minimizer_(std::move(*identity::Minimizer::create(sdk::Secret(std::string(40, 'p'))))),
        sessions_(*store_, cache_, epochs_, clock_, 8h),
        sealer_(std::string(32, 'k')),
        return_urls_({"https://app.example.org/"}, std::string(kReturnUrl)),
        metrics_({"unmatched"}) {
    EXPECT_TRUE(store_->ensure_district("springfield", clock_.now()).ok());
    plugin_ = std::make_shared<ScriptedPlugin>();
    plugin_->identity.subject = "user-1";
    plugin_->identity.role = sdk::Role::student;
    plugin_->identity.given_name = "Ana";
    plugin_->identity.provider_district = "d001";
    Connection connection;
    connection.config.id = "clever";
    connection.config.identity_namespace = "clever";
    connection.config.provider_districts = {{"d001", "springfield"}};
    connection.redirect_uri = "https://gw.example.org/callback/clever";
    connection.plugin = plugin_;
    connections_.emplace("clever", std::move(connection));
    districts_["springfield"] = config::DistrictConfig{"springfield", {}};
    service_.emplace(SignInDependencies{connections_, unavailable_, districts_, minimizer_, *store_,
                                        sessions_, sealer_, used_, return_urls_, metrics_, clock_,
                                        [](std::string_view text) { return std::string(text); }},
                     SignInSettings{std::string(kCookie), true, 600s});
  }

  // Runs /login and returns the state and the "name=value" of the cookie it set.
  std::pair<std::string, std::string> start_login(std::string query = "") {
    FakeRequest request = get("/login/clever", std::move(query));
    http::Response response = service_->login(request.view());
    EXPECT_EQ(response.status, 302);
    const std::string url = location(response);
    const std::string state = url.substr(url.find("state=") + 6);
    const auto cookies = set_cookies(response);
    EXPECT_EQ(cookies.size(), 1u);
    return {state, cookies.empty() ? "" : cookies[0].substr(0, cookies[0].find(';'))};
  }

  http::Response call_back(const std::string& state, const std::string& cookie) {
    FakeRequest request = get("/callback/clever", "code=c1&state=" + state, cookie);
    return service_->callback(request.view());
  }

  lmsgw::testing::TempDir dir_;
  sdk::testing::FixedClock clock_;
  std::unique_ptr<store::AccountStore> store_;
  identity::Minimizer minimizer_;
  session::RevocationEpochs epochs_;
  session::SessionCache cache_;
  session::SessionService sessions_;
  session::LoginStateSealer sealer_;
  session::UsedLoginStates used_{1000};
  session::ReturnUrlPolicy return_urls_;
  metrics::Registry metrics_;
  Connections connections_;
  std::set<std::string, std::less<>> unavailable_;
  std::map<std::string, config::DistrictConfig> districts_;
  std::shared_ptr<ScriptedPlugin> plugin_;
  std::optional<SignInService> service_;
};

TEST_F(SignInServiceTest, ProductionCookiesAreHostPrefixedSecureHttpOnlyAndLax) {
  auto [state, login_cookie] = start_login();
  EXPECT_THAT(login_cookie, StartsWith("__Host-lmsgw_session_login_"));
  FakeRequest login = get("/login/clever", "");
  const std::string set_login = set_cookies(service_->login(login.view()))[0];
  EXPECT_THAT(set_login, HasSubstr("; Max-Age=600; Path=/; HttpOnly; Secure; SameSite=Lax"));

  http::Response done = call_back(state, login_cookie);
  ASSERT_EQ(done.status, 302);
  EXPECT_EQ(location(done), kReturnUrl);
  const auto cookies = set_cookies(done);
  ASSERT_EQ(cookies.size(), 2u);
  EXPECT_THAT(cookies[0], StartsWith("__Host-lmsgw_session="));
  EXPECT_THAT(cookies[0], HasSubstr("; Max-Age=28800; Path=/; HttpOnly; Secure; SameSite=Lax"));
  // The spent state cookie is deleted with the same attributes it was set with.
  EXPECT_EQ(cookies[1], login_cookie.substr(0, login_cookie.find('=')) +
                            "=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax");
}

TEST_F(SignInServiceTest, ThePluginGetsPkceAndNonceAndTheCallbackGetsThemBack) {
  auto [state, cookie] = start_login();
  EXPECT_EQ(plugin_->login.redirect_uri, "https://gw.example.org/callback/clever");
  EXPECT_EQ(plugin_->login.nonce.size(), 43u);
  ASSERT_EQ(call_back(state, cookie).status, 302);
  ASSERT_TRUE(plugin_->callback.login.has_value());
  EXPECT_EQ(plugin_->callback.login->nonce, plugin_->login.nonce);
  EXPECT_EQ(plugin_->callback.login->flow_data, "flow");
  EXPECT_EQ(crypto::base64url_encode(crypto::sha256(plugin_->callback.login->code_verifier)),
            plugin_->login.code_challenge);
  EXPECT_FALSE(plugin_->callback.params.contains("state"));
  EXPECT_EQ(plugin_->callback.params.at("code"), "c1");
}

TEST_F(SignInServiceTest, ATamperedOrMissingStateCookieIsRefused) {
  auto [state, cookie] = start_login();
  std::string tampered = cookie;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_THAT(call_back(state, tampered).body, HasSubstr("state_unknown"));
  EXPECT_THAT(call_back(state, "").body, HasSubstr("state_unknown"));
  // The genuine cookie still works: a refused attempt spent nothing.
  EXPECT_EQ(call_back(state, cookie).status, 302);
  EXPECT_THAT(call_back(state, cookie).body, HasSubstr("state_replayed"));
}

TEST_F(SignInServiceTest, AnExpiredStateIsRefused) {
  auto [state, cookie] = start_login();
  clock_.advance(601s);
  EXPECT_THAT(call_back(state, cookie).body, HasSubstr("state_unknown"));
}

TEST_F(SignInServiceTest, UnmappedOrMissingProviderDistrictsAreRefused) {
  plugin_->identity.provider_district = "d999";
  auto [state, cookie] = start_login();
  http::Response page = call_back(state, cookie);
  EXPECT_EQ(page.status, 403);
  EXPECT_THAT(page.body, HasSubstr("district_not_connected"));

  plugin_->identity.provider_district.reset();
  auto [state2, cookie2] = start_login();
  EXPECT_EQ(call_back(state2, cookie2).status, 403);
}

TEST_F(SignInServiceTest, AWithdrawnDistrictGetsNoNewSignInUntilReinstated) {
  ASSERT_TRUE(store_->withdraw_district("springfield", clock_.now(), "test").ok());
  auto [state, cookie] = start_login();
  http::Response page = call_back(state, cookie);
  EXPECT_EQ(page.status, 403);
  EXPECT_THAT(page.body, HasSubstr("district_revoked"));
  for (const std::string& set : set_cookies(page)) {
    EXPECT_THAT(set, Not(HasSubstr(std::string(kCookie) + "=")));
  }
  EXPECT_EQ(store_->live_sessions(clock_.now())->size(), 0u);

  ASSERT_TRUE(*store_->reinstate_district("springfield"));
  auto [state2, cookie2] = start_login();
  EXPECT_EQ(call_back(state2, cookie2).status, 302);
  EXPECT_EQ(store_->live_sessions(clock_.now())->size(), 1u);
}

TEST_F(SignInServiceTest, OversizedFlowDataAndReturnUrlsAreRefusedBeforeACookieIsSet) {
  plugin_->flow_data.assign(session::LoginStateSealer::kMaxFlowDataBytes + 1, 'f');
  FakeRequest login = get("/login/clever", "");
  http::Response page = service_->login(login.view());
  EXPECT_EQ(page.status, 500);
  EXPECT_TRUE(set_cookies(page).empty());

  plugin_->flow_data = "flow";
  FakeRequest long_return =
      get("/login/clever", "return_to=https%3A%2F%2Fapp.example.org%2F" + std::string(1100, 'x'));
  page = service_->login(long_return.view());
  EXPECT_EQ(page.status, 400);
  EXPECT_THAT(page.body, HasSubstr("return_url_not_allowed"));
}

TEST_F(SignInServiceTest, AProvidersReturnUrlIsUsedOnlyUnderTheAllowlist) {
  plugin_->return_to = "https://app.example.org/lessons/7";
  auto [state, cookie] = start_login();
  EXPECT_EQ(location(call_back(state, cookie)), "https://app.example.org/lessons/7");

  // An explicit return_to of the login request wins over the provider's.
  auto [state2, cookie2] = start_login("return_to=https%3A%2F%2Fapp.example.org%2Fmine");
  EXPECT_EQ(location(call_back(state2, cookie2)), "https://app.example.org/mine");

  plugin_->return_to = "https://evil.example/";
  FakeRequest login = get("/login/clever", "");
  http::Response refused = service_->login(login.view());
  EXPECT_EQ(refused.status, 400);
  EXPECT_THAT(refused.body, HasSubstr("return_url_not_allowed"));
}

TEST_F(SignInServiceTest, AnUnavailableConnectionAnswers503) {
  unavailable_.insert("offline");
  FakeRequest request = get("/login/offline", "", "", "offline");
  http::Response page = service_->login(request.view());
  EXPECT_EQ(page.status, 503);
  EXPECT_THAT(page.body, HasSubstr("connection_unavailable"));
  FakeRequest unknown = get("/login/nope", "", "", "nope");
  EXPECT_EQ(service_->login(unknown.view()).status, 404);
}

}  // namespace
}  // namespace lmsgw::signin
