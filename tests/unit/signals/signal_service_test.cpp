// POST /webhooks and GET /deletion-status through SignalService with the real SQLite stores,
// the real revocation and account-deletion operations and real sessions; only the provider is
// played by a plugin that answers with the signals each test gives it.
#include "signals/signal_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "lmsgw/sdk/testing/mocks.h"
#include "session/session_service.h"
#include "store/directive_store.h"
#include "store/sqlite/sqlite_account_store.h"
#include "tests/support/temp_dir.h"

namespace lmsgw::signals {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const TimePoint kNow{std::chrono::seconds(1'764'000'000)};
constexpr std::string_view kPepper = "signals-test-pepper-0123456789abcdef";

// The provider: decodes nothing, answers what the test scripted, and records what it got.
class ScriptedPlugin final : public sdk::AuthPlugin {
 public:
  sdk::Result<sdk::LoginRedirect> begin(const sdk::LoginRequest&) noexcept override {
    return sdk::Error{sdk::ErrorCode::unsupported, "no sign-in"};
  }
  sdk::Result<sdk::ExternalIdentity> complete(const sdk::CallbackRequest&) noexcept override {
    return sdk::Error{sdk::ErrorCode::unsupported, "no sign-in"};
  }
  sdk::Result<std::vector<sdk::ProviderSignal>> handle_signal(
      const sdk::WebhookRequest& request) noexcept override {
    last = request;
    return answer;
  }

  sdk::Result<std::vector<sdk::ProviderSignal>> answer = std::vector<sdk::ProviderSignal>{};
  sdk::WebhookRequest last;
};

sdk::ProviderSignal signal(sdk::SignalKind kind, std::string subject, std::string id) {
  sdk::ProviderSignal out;
  out.kind = kind;
  out.subject = std::move(subject);
  out.signal_id = std::move(id);
  return out;
}

class SignalServiceTest : public ::testing::Test {
 protected:
  SignalServiceTest() {
    const std::string path = (dir_.path() / "lmsgw.db").string();
    accounts_ = std::move(*store::open_sqlite_store({.path = path}));
    (void)accounts_->ensure_district("springfield", kNow);
    audit_ = std::move(*store::open_sqlite_audit_log(path));
    signals_ = std::move(*open_sqlite_signal_store({.path = path}));
    directive_store_ = std::move(*store::open_sqlite_directive_store(path));
    sessions_.emplace(*accounts_, cache_, epochs_, clock_, std::chrono::hours(8));
    revocations_.emplace(*accounts_, *audit_, epochs_, clock_);
    deleter_ = std::make_unique<directives::AccountDeleter>(*directive_store_, *revocations_,
                                                            *audit_, clock_);

    signin::Connection connection;
    connection.config.id = "facebook";
    connection.config.plugin = "facebook";
    connection.config.identity_namespace = "facebook";
    connection.config.provider_districts = {{"sch-1", "springfield"}};
    connection.plugin = plugin_;
    connections_.emplace("facebook", std::move(connection));
    service_ = std::make_unique<SignalService>(
        SignalDependencies{connections_, minimizer_, *accounts_, *signals_, *revocations_,
                           *deleter_, *audit_, metrics_, clock_,
                           [](std::string_view text) { return std::string(text); }},
        "https://gw.example.org");
  }

  // A guardian signed in through the connection, with a live session.
  std::string sign_in(std::string_view subject) {
    sdk::ExternalIdentity identity;
    identity.subject = std::string(subject);
    identity.role = sdk::Role::guardian;
    identity.given_name = "Sam";
    auto minimized =
        minimizer_.minimize(identity, "facebook", std::string("springfield"), {}, {2025, 11, 24});
    auto account = accounts_->upsert_from_sign_in(*minimized, "facebook", kNow);
    EXPECT_TRUE(account.ok());
    auto started = sessions_->start(*account);
    EXPECT_TRUE(started.ok());
    return started->id;
  }
  bool live(const std::string& session_id) {
    auto view = sessions_->find(session_id);
    return view != nullptr && view->live_at(clock_.now());
  }

  http::Response post(std::string_view channel = "",
                      std::string_view content_type = "application/x-www-form-urlencoded",
                      std::string_view body = "signed_request=x.y") {
    http::Request request;
    request.method = http::Method::post;
    request.path = "/webhooks/facebook";
    request.headers = {{"Content-Type", content_type}, {"Cookie", "lmsgw_session=abc"}};
    request.body = body;
    request.route_params[0] = {"connection", "facebook"};
    request.route_params[1] = {"channel", channel};
    request.route_param_count = 2;
    return service_->webhook(request);
  }
  http::Response status_page(std::string_view code) {
    http::Request request;
    request.path = "/deletion-status";
    request.route_params[0] = {"code", code};
    request.route_param_count = 1;
    return service_->deletion_status(request);
  }
  int audited(std::string_view action) {
    store::AuditQuery query;
    query.district_id = "springfield";
    auto events = audit_->list(query);
    EXPECT_TRUE(events.ok());
    if (!events.ok()) return -1;
    int count = 0;
    for (const store::AuditEvent& event : *events) {
      count += event.action == action ? 1 : 0;
    }
    return count;
  }

  lmsgw::testing::TempDir dir_;
  sdk::testing::FixedClock clock_{kNow};
  identity::Minimizer minimizer_ =
      std::move(*identity::Minimizer::create(sdk::Secret(std::string(kPepper))));
  std::unique_ptr<store::AccountStore> accounts_;
  std::unique_ptr<store::AuditLog> audit_;
  std::unique_ptr<SignalStore> signals_;
  std::unique_ptr<store::DirectiveStore> directive_store_;
  session::RevocationEpochs epochs_;
  session::SessionCache cache_;
  std::optional<session::SessionService> sessions_;
  std::optional<session::RevocationService> revocations_;
  std::unique_ptr<directives::AccountDeleter> deleter_;
  std::shared_ptr<ScriptedPlugin> plugin_ = std::make_shared<ScriptedPlugin>();
  signin::Connections connections_;
  SignalMetrics metrics_;
  std::unique_ptr<SignalService> service_;
};

TEST_F(SignalServiceTest, SessionsRevokedEndsTheSessionOnceAndAuditsTheAccount) {
  const std::string session = sign_in("fb-1");
  plugin_->answer = std::vector{signal(sdk::SignalKind::sessions_revoked, "fb-1", "id-1")};
  http::Response answer = post("deauthorize");
  EXPECT_EQ(answer.status, 202);
  EXPECT_FALSE(live(session));
  EXPECT_EQ(plugin_->last.channel, "deauthorize");
  EXPECT_EQ(plugin_->last.body, "signed_request=x.y");
  for (const auto& [name, value] : plugin_->last.headers) EXPECT_NE(name, "Cookie");
  EXPECT_EQ(audited("signal.sessions_revoked"), 1);

  clock_.advance(std::chrono::seconds(5));
  const std::string later = sign_in("fb-1");
  EXPECT_EQ(post("deauthorize").status, 202);
  EXPECT_TRUE(live(later));
  EXPECT_EQ(audited("signal.sessions_revoked"), 1);
  EXPECT_EQ(metrics_.count(SignalOutcome::applied), 1u);
  EXPECT_EQ(metrics_.count(SignalOutcome::replayed), 1u);
}

TEST_F(SignalServiceTest, UnknownSubjectChangesNothingAndIsStillAccepted) {
  const std::string session = sign_in("fb-1");
  plugin_->answer = std::vector{signal(sdk::SignalKind::identity_unlinked, "fb-9", "id-1")};
  EXPECT_EQ(post().status, 202);
  EXPECT_TRUE(live(session));
  EXPECT_EQ(metrics_.count(SignalOutcome::unknown_subject), 1u);
}

TEST_F(SignalServiceTest, UnlinkingRemovesTheLinkAndEndsTheSession) {
  const std::string session = sign_in("fb-1");
  plugin_->answer = std::vector{signal(sdk::SignalKind::identity_unlinked, "fb-1", "id-1")};
  EXPECT_EQ(post().status, 202);
  EXPECT_FALSE(live(session));
  EXPECT_FALSE(*accounts_->find_identity(minimizer_.identity_key("facebook", "fb-1").subject_hash));
}

TEST_F(SignalServiceTest, DisabledIdentityIsRefusedUntilEnabled) {
  const std::string session = sign_in("fb-1");
  const crypto::Digest key = minimizer_.identity_key("facebook", "fb-1").subject_hash;
  plugin_->answer = std::vector{signal(sdk::SignalKind::account_disabled, "fb-1", "id-1")};
  EXPECT_EQ(post().status, 202);
  EXPECT_FALSE(live(session));
  EXPECT_TRUE((*accounts_->find_identity(key))->disabled);
  plugin_->answer = std::vector{signal(sdk::SignalKind::account_enabled, "fb-1", "id-2")};
  EXPECT_EQ(post().status, 202);
  EXPECT_FALSE((*accounts_->find_identity(key))->disabled);
  EXPECT_EQ(audited("signal.account_enabled"), 1);
}

TEST_F(SignalServiceTest, DistrictSignalWithdrawsOnlyAMappedDistrict) {
  sdk::ProviderSignal other = signal(sdk::SignalKind::district_revoked, "", "id-1");
  other.provider_district = "sch-2";
  plugin_->answer = std::vector{other};
  EXPECT_EQ(post().status, 202);
  EXPECT_FALSE(*revocations_->district_withdrawn("springfield"));
  sdk::ProviderSignal mapped = signal(sdk::SignalKind::district_revoked, "", "id-2");
  mapped.provider_district = "sch-1";
  plugin_->answer = std::vector{mapped};
  EXPECT_EQ(post().status, 202);
  EXPECT_TRUE(*revocations_->district_withdrawn("springfield"));
  EXPECT_EQ(audited("signal.district_revoked"), 1);
}

TEST_F(SignalServiceTest, DeletionRequestDeletesTheAccountAndServesItsStatus) {
  const std::string session = sign_in("fb-1");
  plugin_->answer = std::vector{signal(sdk::SignalKind::deletion_requested, "fb-1", "id-1")};
  http::Response answer = post("data-deletion");
  ASSERT_EQ(answer.status, 200) << answer.body;
  const boost::json::object body = boost::json::parse(answer.body).as_object();
  const std::string code(body.at("confirmation_code").as_string());
  EXPECT_EQ(code.size(), 22u);
  EXPECT_EQ(body.at("url").as_string(), "https://gw.example.org/deletion-status/" + code);
  EXPECT_FALSE(live(session));
  EXPECT_FALSE(*accounts_->find_identity(minimizer_.identity_key("facebook", "fb-1").subject_hash));
  EXPECT_EQ(audited("signal.deletion_requested"), 1);

  http::Response page = status_page(code);
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr("has been deleted"));
  EXPECT_EQ(status_page("AAAAAAAAAAAAAAAAAAAAAA").status, 404);
  EXPECT_EQ(status_page("<script>").status, 404);

  // Facebook asks again: a new code, the same status, nothing applied twice.
  http::Response again = post("data-deletion");
  ASSERT_EQ(again.status, 200);
  const std::string second(boost::json::parse(again.body).at("confirmation_code").as_string());
  EXPECT_NE(second, code);
  EXPECT_THAT(status_page(second).body, HasSubstr("has been deleted"));
  EXPECT_EQ(audited("signal.deletion_requested"), 1);
  EXPECT_EQ(metrics_.count(SignalOutcome::replayed), 1u);
}

TEST_F(SignalServiceTest, AnotherKindsIdNeverBecomesADeletion) {
  sign_in("fb-1");
  plugin_->answer = std::vector{signal(sdk::SignalKind::sessions_revoked, "fb-1", "id-1")};
  EXPECT_EQ(post("deauthorize").status, 202);
  plugin_->answer = std::vector{signal(sdk::SignalKind::deletion_requested, "fb-1", "id-1")};
  http::Response crossed = post("data-deletion");
  ASSERT_EQ(crossed.status, 200);
  EXPECT_TRUE(*accounts_->find_identity(minimizer_.identity_key("facebook", "fb-1").subject_hash));
  const std::string code(boost::json::parse(crossed.body).at("confirmation_code").as_string());
  EXPECT_THAT(status_page(code).body, HasSubstr("We hold no data"));
}

TEST_F(SignalServiceTest, RefusedAndMalformedDeliveriesAreAnsweredWithoutDetail) {
  const std::string session = sign_in("fb-1");
  plugin_->answer = sdk::Error{sdk::ErrorCode::token_invalid, "signature does not match"};
  http::Response refused = post();
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.body, "invalid signal\n");
  plugin_->answer = sdk::Error{sdk::ErrorCode::unsupported, "no webhooks"};
  EXPECT_EQ(post().status, 404);
  plugin_->answer = std::vector<sdk::ProviderSignal>{};
  EXPECT_EQ(post("Bad_Channel").status, 404);
  EXPECT_EQ(post("", "text/html").status, 415);
  EXPECT_EQ(post("", "application/json; charset=utf-8", "{}").status, 202);
  const std::string big(kMaxWebhookBodyBytes + 1, 'a');
  EXPECT_EQ(post("", "application/json", big).status, 413);
  EXPECT_TRUE(live(session));
  EXPECT_EQ(metrics_.count(SignalOutcome::rejected), 1u);
  EXPECT_EQ(metrics_.count(SignalOutcome::no_signal), 1u);
}

}  // namespace
}  // namespace lmsgw::signals
