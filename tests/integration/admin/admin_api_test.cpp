// The admin API through the real gateway and lmsgwctl, with the fake Clever as the sign-in and
// roster provider: tokens from the command line, every route's scope, revocation and
// deletion taking effect on live sessions, sync runs, the audit export, directives, legal
// holds, retention runs and disposal certificates.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "http/client.h"
#include "tests/support/gateway_process.h"
#include "tests/support/process.h"
#include "tests/support/roster_sync.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_browser.h"
#include "tests/support/test_pki.h"

namespace lmsgw::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kClientId = "admin-client";
constexpr std::string_view kClientSecret = "admin-client-secret-0123456789";
constexpr std::string_view kSpringfieldClever = "6620aa00000000000000d001";
constexpr std::string_view kShelbyvilleClever = "6620aa00000000000000d002";
constexpr std::string_view kDistrictToken = "district-token-d001-0123456789";
constexpr std::string_view kStudent = "6620aa00000000000000b001";
constexpr std::string_view kTeacher = "6620aa00000000000000b002";
constexpr std::string_view kOtherStudent = "6620aa00000000000000b003";
// Presented but never issued: must not appear in any log.
constexpr std::string_view kForgedToken = "lmsgw_adm_ZZforgedtokencanary0123456789abcdefghijkl";

// A student and a teacher of Springfield, a student of Shelbyville; every field the gateway
// drops carries a canary.
constexpr std::string_view kFixture = R"({
 "districts": [{"id": "6620aa00000000000000d001", "token": "district-token-d001-0123456789"}],
 "users": [
  {"id": "6620aa00000000000000b001", "district": "6620aa00000000000000d001",
   "email": "zz.canary.student@example.org",
   "name": {"first": "Ana", "middle": "Zzmiddlecanary", "last": "Zzfamilycanary"},
   "roles": {"student": {"dob": "2/29/2016", "sis_id": "ZZSISCANARY",
     "state_id": "ZZSTATEIDCANARY", "gender": "Zzgendercanary"}}},
  {"id": "6620aa00000000000000b002", "district": "6620aa00000000000000d001",
   "email": "rosa.teacher@example.org", "name": {"first": "Rosa", "last": "Zzteachercanary"},
   "roles": {"teacher": {"sis_id": "ZZTEACHERSISCANARY"}}},
  {"id": "6620aa00000000000000b003", "district": "6620aa00000000000000d002",
   "email": "zz.other.student@example.org",
   "name": {"first": "Leo", "last": "Zzotherfamilycanary"},
   "roles": {"student": {"dob": "11/30/2015"}}}],
 "sections": [], "schools": [], "events": []
})";

const std::vector<std::string>& canaries() {
  static const std::vector<std::string> values = {"Zzfamilycanary",
                                                  "Zzmiddlecanary",
                                                  "zz.canary.student",
                                                  "2/29/2016",
                                                  "2016-02-29",
                                                  "ZZSISCANARY",
                                                  "ZZSTATEIDCANARY",
                                                  "Zzgendercanary",
                                                  "Zzteachercanary",
                                                  "ZZTEACHERSISCANARY",
                                                  "Zzotherfamilycanary",
                                                  "zz.other.student",
                                                  std::string(kDistrictToken),
                                                  std::string(kClientSecret),
                                                  std::string(kStudent),
                                                  std::string(kTeacher),
                                                  std::string(kOtherStudent)};
  return values;
}

struct Answer {
  int status = 0;
  std::string body;
  sdk::HttpHeaders headers;

  boost::json::object json() const { return boost::json::parse(body).as_object(); }
  std::string header(std::string_view name) const {
    return std::string(sdk::find_header(headers, name));
  }
};

class AdminApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = make_test_pki(dir_.path() / "pki");
    clever_port_ = free_port();
    gateway_port_ = free_port();
    start_fake_clever(dir_.path(), pki_,
                      {LMSGW_FAKE_CLEVER_BIN, std::string(kFixture), std::string(kClientId),
                       std::string(kClientSecret), clever_port_, gateway_port_},
                      clever_);
    if (::testing::Test::HasFatalFailure()) return;

    const std::string settings = fake_clever_settings_yaml(clever_port_, kClientId);
    GatewaySetup setup;
    setup.ca_file = pki_.ca_certificate_file;
    setup.plugins = {"clever"};
    setup.port = gateway_port_;
    setup.districts_yaml = "  springfield: {}\n  shelbyville: {}\n";
    setup.connections_yaml = "  clever:\n    plugin: clever\n    provider_districts: {\"" +
                             std::string(kSpringfieldClever) + "\": springfield, \"" +
                             std::string(kShelbyvilleClever) + "\": shelbyville}\n" +
                             "    config:\n" + settings;
    setup.sync_yaml = "  clever-roster:\n    plugin: clever\n    provider_districts: {\"" +
                      std::string(kSpringfieldClever) + "\": springfield}\n" +
                      "    schedule: manual\n    config:\n" + settings;
    // Retention runs only when a test asks for one through the API. The platform's inactivity
    // policy is far longer than any test account has been idle, unless a test backdates one.
    setup.retention_yaml = "  interval: manual\n  default_inactive_days: 1000\n";
    gateway_ = std::make_unique<GatewayProcess>(dir_.path(), std::move(setup));

    http::ClientOptions options;
    options.use_system_trust_store = false;
    options.extra_ca_file = pki_.ca_certificate_file;
    options.allow_plain_http_to_loopback = true;
    auto client = http::Client::create(options);
    ASSERT_TRUE(client.ok()) << client.error().detail;
    client_ = std::move(*client);

    operator_ = create_token({"--operator", "--label", "on-call"});
    springfield_ = create_token({"--district", "springfield"});
    shelbyville_ = create_token({"--district", "shelbyville"});
  }

  // `lmsgwctl admin-token create ARGS`: the printed token.
  std::string create_token(std::vector<std::string> args) {
    args.insert(args.begin(), {"admin-token", "create"});
    auto result = gateway_->lmsgwctl(args);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    const auto at = result.output.find("token  lmsgw_adm_");
    if (at == std::string::npos) return {};
    const auto start = at + std::string_view("token  ").size();
    return result.output.substr(start, result.output.find('\n', start) - start);
  }

  // The id of the token created `index`-th (0: the operator's).
  std::string token_id(std::size_t index) {
    auto listed = gateway_->lmsgwctl({"admin-token", "list"});
    EXPECT_EQ(listed.exit_code, 0) << listed.output;
    std::size_t at = 0;
    for (std::size_t i = 0; i < index; ++i) at = listed.output.find("\nadm_", at) + 1;
    at = listed.output.find("adm_", at);
    return listed.output.substr(at, listed.output.find(' ', at) - at);
  }

  Answer call(std::string method, const std::string& path, std::string_view token,
              std::string body = {}) {
    sdk::HttpRequest request;
    request.method = std::move(method);
    request.url = gateway_->url() + path;
    if (!token.empty())
      request.headers.emplace_back("Authorization", "Bearer " + std::string(token));
    if (!body.empty()) {
      request.headers.emplace_back("Content-Type", "application/json");
      request.body = std::move(body);
    }
    auto response = client_->send(request);
    EXPECT_TRUE(response.ok()) << (response ? "" : response.error().detail);
    if (!response) return {};
    return Answer{response->status, response->body, response->headers};
  }

  sdk::HttpResponse sign_in(TestBrowser& browser, std::string_view user) {
    return browser.follow(gateway_->url() + "/login/clever?login_hint=" + std::string(user));
  }
  sdk::HttpResponse auth_check(TestBrowser& browser) {
    return browser.get(gateway_->url() + "/auth/check");
  }
  // Signs `user` in and returns its account id.
  std::string signed_in_account(TestBrowser& browser, std::string_view user) {
    EXPECT_EQ(sign_in(browser, user).status, 200);
    const sdk::HttpResponse check = auth_check(browser);
    EXPECT_EQ(check.status, 200);
    return std::string(sdk::find_header(check.headers, "X-Account-Id"));
  }

  std::string deletion_request(std::string_view account, std::string_view requested_by) {
    return R"({"account": ")" + std::string(account) + R"(", "requested_by": ")" +
           std::string(requested_by) + R"("})";
  }

  TempDir dir_;
  TestPki pki_;
  std::uint16_t clever_port_ = 0;
  std::uint16_t gateway_port_ = 0;
  std::unique_ptr<ChildProcess> clever_;
  std::unique_ptr<GatewayProcess> gateway_;
  std::unique_ptr<http::Client> client_;
  std::string operator_;
  std::string springfield_;
  std::string shelbyville_;
};

TEST_F(AdminApiTest, NoTokenWrongTokenAndRevokedTokenAre401) {
  ASSERT_THAT(operator_, ::testing::StartsWith("lmsgw_adm_"));
  const Answer none = call("GET", "/admin/v1/districts/springfield", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("WWW-Authenticate"), "Bearer realm=\"lms-gateway-admin\"");
  EXPECT_EQ(none.json().at("error"), "unauthorized");

  const Answer wrong = call("GET", "/admin/v1/districts/springfield", kForgedToken);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_THAT(wrong.header("WWW-Authenticate"), HasSubstr("error=\"invalid_token\""));

  EXPECT_EQ(call("GET", "/admin/v1/districts/springfield", springfield_).status, 200);
  auto revoked = gateway_->lmsgwctl({"admin-token", "revoke", token_id(1)});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
  // Revoked by another process, refused on the very next request.
  EXPECT_EQ(call("GET", "/admin/v1/districts/springfield", springfield_).status, 401);
  EXPECT_THAT(gateway_->lmsgwctl({"admin-token", "list"}).output, HasSubstr("revoked 20"));

  // Nothing under /admin answers before authentication, not even "not found".
  for (const char* path :
       {"/admin", "/admin/", "/admin/v1/nothing", "/admin/v1/districts/nowhere"}) {
    EXPECT_EQ(call("GET", path, "").status, 401) << path;
    EXPECT_EQ(call("GET", path, operator_).status, 404) << path;
  }
  EXPECT_EQ(call("PUT", "/admin/v1/districts/springfield/revocation", "").status, 401);
  EXPECT_EQ(call("PUT", "/admin/v1/districts/springfield/revocation", operator_).status, 405);

  EXPECT_GE(gateway_->metric("lmsgw_admin_auth_failures_missing_token"), 5);
  EXPECT_EQ(gateway_->metric("lmsgw_admin_auth_failures_invalid_token"), 2);
  EXPECT_THAT(gateway_->persisted_bytes(), Not(HasSubstr(std::string(kForgedToken))));
  // Only hashes are stored: no issued token is in the database.
  const std::string database =
      read_file(dir_.path() / "lmsgw.db") + read_file(dir_.path() / "lmsgw.db-wal");
  ASSERT_FALSE(database.empty());
  for (const std::string& token : {operator_, springfield_, shelbyville_}) {
    EXPECT_THAT(database, Not(HasSubstr(token.substr(10))));
  }
}

TEST_F(AdminApiTest, ADistrictAdminCannotReadOrChangeAnotherDistrictOnAnyRoute) {
  TestBrowser other(pki_.ca_certificate_file);
  const std::string other_student = signed_in_account(other, kOtherStudent);
  const std::string base = "/admin/v1/districts/shelbyville";
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", base},
      {"POST", base + "/revocation"},
      {"DELETE", base + "/revocation"},
      {"POST", base + "/deletion-requests"},
      {"GET", base + "/sync-runs"},
      {"POST", base + "/sync-runs"},
      {"GET", base + "/audit"},
      {"GET", base + "/directive"},
      {"PUT", base + "/directive"},
      {"GET", base + "/directive/versions"},
      {"GET", base + "/legal-holds"},
      {"POST", base + "/legal-holds"},
      {"DELETE", base + "/legal-holds/" + other_student},
      {"GET", base + "/retention-runs"},
      {"POST", base + "/retention-runs"}};
  const Answer unknown = call("GET", "/admin/v1/districts/ogdenville", springfield_);
  for (const auto& [method, path] : routes) {
    const Answer answer =
        call(method, path, springfield_, deletion_request(other_student, "guardian"));
    EXPECT_EQ(answer.status, 404) << method << " " << path;
    EXPECT_EQ(answer.body, unknown.body) << method << " " << path;
  }
  // Nothing changed over there: the student is still signed in and still exists.
  EXPECT_EQ(auth_check(other).status, 200);
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM accounts WHERE id = '" + other_student + "'"),
            "1");
  // Not even a read was recorded in Shelbyville's log for Springfield's admin.
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM audit_events WHERE district_id = "
                            "'shelbyville' AND actor = 'district-admin:" +
                            token_id(1) + "'"),
            "0");

  // The operator reaches the same routes.
  EXPECT_EQ(call("GET", base, operator_).status, 200);
  EXPECT_EQ(call("GET", base + "/sync-runs", operator_).status, 200);
  EXPECT_EQ(call("GET", base + "/audit", operator_).status, 200);
  EXPECT_EQ(call("POST", base + "/revocation", operator_).status, 200);
  EXPECT_EQ(call("DELETE", base + "/revocation", operator_).status, 200);
  // Shelbyville has no sync connection.
  EXPECT_EQ(call("POST", base + "/sync-runs", operator_).status, 409);
  // And Shelbyville's own admin.
  EXPECT_EQ(call("GET", base, shelbyville_).status, 200);
  EXPECT_GE(gateway_->metric("lmsgw_admin_scope_refusals"), 15);
}

TEST_F(AdminApiTest, RevocationEndsLiveSessionsAndRefusesNewSignInsUntilReinstated) {
  TestBrowser student(pki_.ca_certificate_file);
  signed_in_account(student, kStudent);
  const Answer revoked = call("POST", "/admin/v1/districts/springfield/revocation", springfield_);
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(revoked.json().at("access"), "revoked");
  EXPECT_EQ(revoked.json().at("revoked_by").as_string(), "district-admin:" + token_id(1));
  // At once, in this process: no waiting for a probe.
  EXPECT_EQ(auth_check(student).status, 401);
  const sdk::HttpResponse refused = sign_in(student, kStudent);
  EXPECT_EQ(refused.status, 403);
  EXPECT_THAT(refused.body, HasSubstr("district_revoked"));

  const Answer status = call("GET", "/admin/v1/districts/springfield", springfield_);
  ASSERT_EQ(status.status, 200);
  EXPECT_EQ(status.json().at("access"), "revoked");
  EXPECT_TRUE(status.json().at("revoked_at").is_string());

  // Reinstating is the operator's alone.
  EXPECT_EQ(call("DELETE", "/admin/v1/districts/springfield/revocation", springfield_).status, 403);
  const Answer reinstated = call("DELETE", "/admin/v1/districts/springfield/revocation", operator_);
  ASSERT_EQ(reinstated.status, 200) << reinstated.body;
  EXPECT_EQ(reinstated.json().at("access"), "granted");
  EXPECT_EQ(reinstated.json().at("changed"), true);
  EXPECT_EQ(sign_in(student, kStudent).status, 200);
  EXPECT_EQ(auth_check(student).status, 200);
}

TEST_F(AdminApiTest, ADeletionRequestDeletesTheStudentAndEndsItsSession) {
  TestBrowser student(pki_.ca_certificate_file);
  const std::string account = signed_in_account(student, kStudent);
  TestBrowser teacher(pki_.ca_certificate_file);
  const std::string teacher_account = signed_in_account(teacher, kTeacher);
  const std::string path = "/admin/v1/districts/springfield/deletion-requests";

  EXPECT_EQ(call("POST", path, springfield_, deletion_request(account, "neighbour")).status, 400);
  EXPECT_EQ(call("POST", path, springfield_, R"({"account": 7})").status, 400);
  EXPECT_EQ(call("POST", path, springfield_, "[]").status, 400);
  // Only students, and only of this district.
  EXPECT_EQ(call("POST", path, springfield_, deletion_request(teacher_account, "guardian")).status,
            404);
  EXPECT_EQ(call("POST", path, springfield_, deletion_request("acct_nobody", "guardian")).status,
            404);
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM accounts WHERE id = '" + account + "'"), "1");

  // A legal hold keeps the account whole: nothing deleted, its session not ended.
  auto held = gateway_->lmsgwctl(
      {"legal-hold", "place", "springfield", account, "--reason", "records request"});
  ASSERT_EQ(held.exit_code, 0) << held.output;
  const Answer refused = call("POST", path, springfield_, deletion_request(account, "guardian"));
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(refused.json().at("outcome"), "held");
  EXPECT_EQ(refused.json().at("error"), "legal_hold");
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM accounts WHERE id = '" + account + "'"), "1");
  EXPECT_EQ(auth_check(student).status, 200);
  auto released = gateway_->lmsgwctl({"legal-hold", "release", "springfield", account});
  ASSERT_EQ(released.exit_code, 0) << released.output;

  const Answer deleted = call("POST", path, springfield_, deletion_request(account, "guardian"));
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.json().at("outcome"), "deleted");
  EXPECT_EQ(deleted.json().at("account").as_string(), account);
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM accounts WHERE id = '" + account + "'"), "0");
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM sessions WHERE account_id = '" + account + "'"),
            "0");
  EXPECT_EQ(auth_check(student).status, 401);
  EXPECT_EQ(auth_check(teacher).status, 200);
  // A second request finds nothing.
  EXPECT_EQ(call("POST", path, springfield_, deletion_request(account, "teacher")).status, 404);
}

TEST_F(AdminApiTest, SyncRunsStartWithoutBlockingAndAreListed) {
  const Answer started = call("POST", "/admin/v1/districts/springfield/sync-runs", springfield_);
  ASSERT_EQ(started.status, 202) << started.body;
  EXPECT_EQ(started.json().at("queued").as_array().size(), 1u);
  EXPECT_EQ(started.json().at("queued").as_array()[0], "clever-roster");
  EXPECT_EQ(started.header("Location"), "/admin/v1/districts/springfield/sync-runs");
  const std::int64_t after = started.json().at("after_run").as_int64();

  boost::json::object run;
  ASSERT_TRUE(eventually(
      [&] {
        const Answer listed =
            call("GET", "/admin/v1/districts/springfield/sync-runs", springfield_);
        if (listed.status != 200) return false;
        const boost::json::object document = listed.json();
        const auto& runs = document.at("runs").as_array();
        if (runs.empty()) return false;
        run = runs[0].as_object();
        return run.at("id").as_int64() > after && run.at("outcome") != "running";
      },
      std::chrono::seconds(30)));
  EXPECT_EQ(run.at("outcome"), "succeeded");
  EXPECT_EQ(run.at("connection"), "clever-roster");
  EXPECT_EQ(run.at("counts").at("users").at("created"), 2);
  // Rostered, and not a canary persisted.
  EXPECT_EQ(gateway_->count_rows("accounts"), 2);
  const std::string bytes = gateway_->persisted_bytes();
  for (const std::string& canary : canaries()) {
    EXPECT_THAT(bytes, Not(HasSubstr(canary))) << canary;
  }
  EXPECT_EQ(call("GET", "/admin/v1/districts/springfield/sync-runs?limit=0", springfield_).status,
            400);
}

TEST_F(AdminApiTest, TheAuditExportShowsEachActionAndNoPersonalData) {
  TestBrowser student(pki_.ca_certificate_file);
  const std::string account = signed_in_account(student, kStudent);
  const std::string base = "/admin/v1/districts/springfield";
  ASSERT_EQ(call("GET", base, springfield_).status, 200);
  ASSERT_EQ(call("GET", base + "/sync-runs", springfield_).status, 200);
  ASSERT_EQ(
      call("POST", base + "/deletion-requests", springfield_, deletion_request(account, "teacher"))
          .status,
      200);
  ASSERT_EQ(call("POST", base + "/revocation", springfield_).status, 200);
  ASSERT_EQ(call("DELETE", base + "/revocation", operator_).status, 200);

  const Answer exported = call("GET", base + "/audit?since=2020-01-01", springfield_);
  ASSERT_EQ(exported.status, 200) << exported.body;
  EXPECT_EQ(exported.header("Content-Type"), "application/x-ndjson");
  const std::string admin = "district-admin:" + token_id(1);
  const std::string operator_actor = "operator:" + token_id(0);
  std::vector<std::string> actions;
  std::size_t start = 0;
  for (std::size_t end; (end = exported.body.find('\n', start)) != std::string::npos;
       start = end + 1) {
    const boost::json::object event =
        boost::json::parse(exported.body.substr(start, end - start)).as_object();
    EXPECT_EQ(event.at("district"), "springfield");
    actions.push_back(std::string(event.at("action").as_string()) + " by " +
                      std::string(event.at("actor").as_string()));
  }
  EXPECT_THAT(actions, ::testing::IsSupersetOf(std::vector<std::string>{
                           "admin_token.created by lmsgwctl",
                           "admin.read by " + admin,
                           "account.deleted by " + admin,
                           "district.revoked by " + admin,
                           "district.reinstated by " + operator_actor,
                       }));
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "admin.read by " + admin), 2);
  for (const std::string& canary : canaries()) {
    EXPECT_THAT(exported.body, Not(HasSubstr(canary))) << canary;
  }
  EXPECT_THAT(exported.body, Not(HasSubstr("Ana")));
  for (const std::string& token : {operator_, springfield_, shelbyville_}) {
    EXPECT_THAT(exported.body, Not(HasSubstr(token)));
  }

  // Paging follows the Link; each export is itself recorded and shows in the next one.
  const auto ids = [](const std::string& lines) {
    std::vector<std::int64_t> out;
    for (std::size_t at = 0; (at = lines.find("{\"id\":", at)) != std::string::npos; ++at) {
      out.push_back(std::stoll(lines.substr(at + 6)));
    }
    return out;
  };
  const Answer first = call("GET", base + "/audit?limit=2", springfield_);
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(ids(first.body).size(), 2u);
  const std::string link = first.header("Link");
  ASSERT_THAT(link, HasSubstr("rel=\"next\""));
  const Answer second = call("GET", link.substr(1, link.find('>') - 1), springfield_);
  ASSERT_EQ(second.status, 200);
  ASSERT_EQ(ids(second.body).size(), 2u);
  EXPECT_GT(ids(second.body)[0], ids(first.body)[1]);
  EXPECT_THAT(call("GET", base + "/audit", springfield_).body,
              HasSubstr("\"action\":\"audit.exported\""));
  EXPECT_EQ(call("GET", base + "/audit?since=yesterday", springfield_).status, 400);

  // `since` takes an RFC 3339 UTC time as well as a date.
  const Answer from_time = call("GET", base + "/audit?since=2020-01-01T08:30:00Z", springfield_);
  ASSERT_EQ(from_time.status, 200) << from_time.body;
  EXPECT_THAT(from_time.body, HasSubstr("\"action\":\"district.revoked\""));
  const Answer future = call("GET", base + "/audit?since=2199-01-01T00:00:00Z", springfield_);
  ASSERT_EQ(future.status, 200) << future.body;
  EXPECT_EQ(future.body, "");
  EXPECT_EQ(call("GET", base + "/audit?since=2026-03-02T24:00:00Z", springfield_).status, 400);
  EXPECT_EQ(call("GET", base + "/audit?since=2026-03-02T08:00:00%2B01:00", springfield_).status,
            400);
}

TEST_F(AdminApiTest, ALegalHoldPlacedThroughTheApiKeepsAStudentUntilReleased) {
  TestBrowser student(pki_.ca_certificate_file);
  const std::string account = signed_in_account(student, kStudent);
  const std::string holds = "/admin/v1/districts/springfield/legal-holds";
  const std::string deletions = "/admin/v1/districts/springfield/deletion-requests";

  const Answer placed = call("POST", holds, springfield_,
                             R"({"account": ")" + account + R"(", "reason": "records request"})");
  ASSERT_EQ(placed.status, 201) << placed.body;
  const Answer listed = call("GET", holds, springfield_);
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.json().at("holds").as_array().size(), 1u);
  EXPECT_EQ(listed.json().at("holds").at(0).at("account").as_string(), account);

  const Answer held = call("POST", deletions, springfield_, deletion_request(account, "guardian"));
  EXPECT_EQ(held.status, 409) << held.body;
  EXPECT_EQ(held.json().at("error"), "legal_hold");
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM accounts WHERE id = '" + account + "'"), "1");
  EXPECT_EQ(auth_check(student).status, 200);

  const Answer released = call("DELETE", holds + "/" + account, springfield_);
  ASSERT_EQ(released.status, 200) << released.body;
  EXPECT_TRUE(released.json().at("released_by").is_string());
  const Answer deleted =
      call("POST", deletions, springfield_, deletion_request(account, "guardian"));
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.json().at("outcome"), "deleted");
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM accounts WHERE id = '" + account + "'"), "0");
  EXPECT_EQ(auth_check(student).status, 401);
  EXPECT_EQ(call("DELETE", holds + "/" + account, springfield_).status, 404);

  const Answer exported = call("GET", "/admin/v1/districts/springfield/audit", springfield_);
  const std::string admin = "district-admin:" + token_id(1);
  EXPECT_THAT(exported.body,
              HasSubstr(R"("actor":")" + admin + R"(","action":"legal_hold.placed")"));
  EXPECT_THAT(exported.body,
              HasSubstr(R"("actor":")" + admin + R"(","action":"legal_hold.released")"));
  EXPECT_THAT(exported.body, Not(HasSubstr("records request")));
}

TEST_F(AdminApiTest, ADistrictDirectsDisposalAfterRevocationAndVerifiesTheCertificate) {
  TestBrowser student(pki_.ca_certificate_file);
  signed_in_account(student, kStudent);
  TestBrowser teacher(pki_.ca_certificate_file);
  signed_in_account(teacher, kTeacher);
  TestBrowser other(pki_.ca_certificate_file);
  signed_in_account(other, kOtherStudent);
  const std::string base = "/admin/v1/districts/springfield";

  // The district directs complete disposal as soon as its access is withdrawn.
  EXPECT_EQ(call("GET", base + "/directive", springfield_).status, 404);
  const Answer set = call("PUT", base + "/directive", springfield_,
                          R"({"after_revocation_days": 0, "inactive_days": 400})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.json().at("version"), 1);
  const Answer refused =
      call("PUT", base + "/directive", springfield_, R"({"after_revocation_days": -3})");
  EXPECT_EQ(refused.status, 400);
  EXPECT_THAT(refused.json().at("detail").as_string(), HasSubstr("after_revocation_days"));
  const Answer current = call("GET", base + "/directive", springfield_);
  ASSERT_EQ(current.status, 200);
  EXPECT_EQ(current.json().at("directive").at("after_revocation_days"), 0);
  EXPECT_EQ(current.json().at("set_by").as_string(), "district-admin:" + token_id(1));
  const Answer versions = call("GET", base + "/directive/versions", springfield_);
  ASSERT_EQ(versions.status, 200);
  EXPECT_EQ(versions.json().at("versions").as_array().size(), 1u);

  ASSERT_EQ(call("POST", base + "/revocation", springfield_).status, 200);
  const Answer started = call("POST", base + "/retention-runs", springfield_);
  ASSERT_EQ(started.status, 202) << started.body;
  EXPECT_EQ(started.header("Location"), base + "/retention-runs");
  boost::json::object job;
  ASSERT_TRUE(eventually(
      [&] {
        const Answer listed = call("GET", base + "/retention-runs", springfield_);
        if (listed.status != 200) return false;
        const boost::json::object document = listed.json();
        if (document.at("run_pending").as_bool()) return false;
        const auto& jobs = document.at("jobs").as_array();
        if (jobs.empty()) return false;
        job = jobs[0].as_object();
        return true;
      },
      std::chrono::seconds(30)));
  EXPECT_EQ(job.at("state"), "completed");
  EXPECT_EQ(job.at("rule"), "after_revocation");
  EXPECT_EQ(job.at("directive_version"), 1);
  EXPECT_EQ(job.at("counts").at("accounts"), 2);
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM accounts WHERE district_id = 'springfield'"),
            "0");
  // Shelbyville's student is untouched and still signed in.
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM accounts WHERE district_id = 'shelbyville'"),
            "1");
  EXPECT_EQ(auth_check(other).status, 200);

  const std::string certificate_path =
      "/admin/v1/certificates/" + std::string(job.at("certificate").as_string());
  EXPECT_EQ(call("GET", certificate_path, shelbyville_).body,
            call("GET", "/admin/v1/certificates/cert_nothing", shelbyville_).body);
  EXPECT_EQ(call("GET", certificate_path, shelbyville_).status, 404);
  const Answer certificate = call("GET", certificate_path, springfield_);
  ASSERT_EQ(certificate.status, 200) << certificate.body;
  const boost::json::object document = certificate.json();
  EXPECT_EQ(document.at("certificate").at("district"), "springfield");
  EXPECT_EQ(document.at("certificate").at("counts").at("accounts"), 2);
  EXPECT_EQ(document.at("certificate").at("directive").at("version"), 1);

  // The JWS as served verifies against the gateway's published keys.
  const std::filesystem::path jws_file = dir_.path() / "certificate.jws";
  {
    std::ofstream out(jws_file);
    out << std::string_view(document.at("jws").as_string());
  }
  // As the docs advise a district: the JWKS saved next to the certificate.
  const Answer jwks = call("GET", "/.well-known/jwks.json", "");
  ASSERT_EQ(jwks.status, 200);
  const std::filesystem::path jwks_file = dir_.path() / "jwks.json";
  {
    std::ofstream out(jwks_file);
    out << jwks.body;
  }
  const auto verified = gateway_->lmsgwctl(
      {"certificate", "verify", jws_file.string(), "--jwks", jwks_file.string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_THAT(verified.output, HasSubstr("certificate valid"));
  {
    std::string tampered(document.at("jws").as_string());
    tampered[tampered.find('.') + 5] ^= 1;
    std::ofstream out(jws_file);
    out << tampered;
  }
  EXPECT_NE(
      gateway_->lmsgwctl({"certificate", "verify", jws_file.string(), "--jwks", jwks_file.string()})
          .exit_code,
      0);

  const Answer exported = call("GET", base + "/audit", springfield_);
  const std::string admin = "district-admin:" + token_id(1);
  for (const std::string action : {"directive.set", "retention.requested"}) {
    EXPECT_THAT(exported.body, HasSubstr(R"("actor":")" + admin + R"(","action":")" + action))
        << action;
  }
  EXPECT_THAT(exported.body, HasSubstr(R"("actor":"retention","action":"disposal.completed")"));
  const std::string bytes = gateway_->persisted_bytes();
  for (const std::string& canary : canaries()) {
    EXPECT_THAT(bytes, Not(HasSubstr(canary))) << canary;
  }
}

// An account of no district (as a guardian's through Facebook would be: here Shelbyville's
// student, moved out of its district and idle for longer than the platform's policy) is
// disposed of by the operator's run over all districts, with its live session ended first;
// the platform-scope certificate is the operator's alone, verifies, and is audited under no
// district, which `lmsgwctl audit export --platform` exports.
TEST_F(AdminApiTest, ThePlatformPolicyDisposesOfAnIdleAccountOfNoDistrict) {
  TestBrowser student(pki_.ca_certificate_file);
  signed_in_account(student, kStudent);
  TestBrowser orphan(pki_.ca_certificate_file);
  const std::string orphan_id = signed_in_account(orphan, kOtherStudent);
  ASSERT_EQ(auth_check(orphan).status, 200);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((gateway_->directory() / "lmsgw.db").string().c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5'000);
    const std::string sql =
        "UPDATE accounts SET district_id = NULL, created_at = created_at - 1001 * 86400, "
        "last_sign_in_at = last_sign_in_at - 1001 * 86400 WHERE id = '" +
        orphan_id + "'";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  // A run for one district leaves it alone.
  ASSERT_EQ(call("POST", "/admin/v1/districts/shelbyville/retention-runs", operator_).status, 202);
  ASSERT_TRUE(eventually(
      [&] {
        const Answer listed =
            call("GET", "/admin/v1/districts/shelbyville/retention-runs", operator_);
        return listed.status == 200 && !listed.json().at("run_pending").as_bool();
      },
      std::chrono::seconds(30)));
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM accounts WHERE id = '" + orphan_id + "'"), "1");

  const Answer none_yet = call("GET", "/admin/v1/retention-runs", operator_);
  ASSERT_EQ(none_yet.status, 200) << none_yet.body;
  EXPECT_TRUE(none_yet.json().at("jobs").as_array().empty());
  ASSERT_EQ(call("POST", "/admin/v1/retention-runs", operator_).status, 202);
  // The platform scope's jobs are the operator's to list, once the run is over.
  Answer platform_runs;
  ASSERT_TRUE(eventually(
      [&] {
        platform_runs = call("GET", "/admin/v1/retention-runs", operator_);
        return platform_runs.status == 200 && !platform_runs.json().at("run_pending").as_bool();
      },
      std::chrono::seconds(30)));
  const boost::json::object runs = platform_runs.json();
  EXPECT_EQ(runs.at("scope"), "platform");
  const boost::json::array& platform_jobs = runs.at("jobs").as_array();
  ASSERT_EQ(platform_jobs.size(), 1U) << platform_runs.body;
  EXPECT_EQ(platform_jobs.front().at("rule"), "inactive");
  EXPECT_EQ(platform_jobs.front().at("state"), "completed");
  EXPECT_EQ(platform_jobs.front().at("counts").at("accounts"), 1);
  EXPECT_EQ(call("GET", "/admin/v1/retention-runs", springfield_).status, 403);
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM accounts WHERE id = '" + orphan_id + "'"), "0");
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM sessions WHERE account_id = '" + orphan_id + "'"),
            "0");
  EXPECT_NE(auth_check(orphan).status, 200);
  EXPECT_EQ(auth_check(student).status, 200);
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM accounts WHERE district_id = 'springfield'"),
            "1");

  const std::string certificate_id(platform_jobs.front().at("certificate").as_string());
  EXPECT_EQ(gateway_->query("SELECT id FROM disposal_certificates WHERE district_id IS NULL"),
            certificate_id);
  const std::string certificate_path = "/admin/v1/certificates/" + certificate_id;
  EXPECT_EQ(call("GET", certificate_path, springfield_).status, 404);
  EXPECT_EQ(call("GET", certificate_path, springfield_).body,
            call("GET", "/admin/v1/certificates/cert_nothing", springfield_).body);
  const Answer certificate = call("GET", certificate_path, operator_);
  ASSERT_EQ(certificate.status, 200) << certificate.body;
  const boost::json::object document = certificate.json();
  EXPECT_EQ(document.at("scope"), "platform");
  EXPECT_TRUE(document.at("district").is_null());
  EXPECT_EQ(document.at("certificate").at("scope"), "platform");
  EXPECT_TRUE(document.at("certificate").at("district").is_null());
  EXPECT_EQ(document.at("certificate").at("rule"), "inactive");
  EXPECT_EQ(document.at("certificate").at("directive"), "default");
  EXPECT_EQ(document.at("certificate").at("counts").at("accounts"), 1);
  EXPECT_THAT(certificate.body, Not(HasSubstr(orphan_id)));

  const std::filesystem::path jws_file = dir_.path() / "platform-certificate.jws";
  const auto saved =
      gateway_->lmsgwctl({"certificate", "get", certificate_id, "--out", jws_file.string()});
  ASSERT_EQ(saved.exit_code, 0) << saved.output;
  const auto verified = gateway_->lmsgwctl({"certificate", "verify", jws_file.string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_THAT(verified.output, HasSubstr("certificate valid"));
  EXPECT_THAT(verified.output, HasSubstr(R"("scope":"platform","district":null)"));

  const auto platform_events = gateway_->lmsgwctl({"audit", "export", "--platform"});
  ASSERT_EQ(platform_events.exit_code, 0) << platform_events.output;
  EXPECT_THAT(
      platform_events.output,
      HasSubstr(R"("district":null,"actor":"retention","action":"disposal.completed","object":")" +
                certificate_id + "\""));
  // The operator's reads of the platform scope are audited under no district too.
  EXPECT_THAT(platform_events.output,
              HasSubstr(R"("action":"admin.read","object":"/admin/v1/retention-runs")"));
  // Its sessions ended before the deletion, recorded by its opaque id as for any account.
  EXPECT_THAT(
      platform_events.output,
      HasSubstr(R"("actor":"retention","action":"account.revoked","object":")" + orphan_id + "\""));
  const auto district_events = gateway_->lmsgwctl({"audit", "export", "--district", "shelbyville"});
  ASSERT_EQ(district_events.exit_code, 0) << district_events.output;
  EXPECT_THAT(district_events.output, Not(HasSubstr(certificate_id)));
  EXPECT_NE(gateway_->lmsgwctl({"audit", "export"}).exit_code, 0);
  EXPECT_NE(
      gateway_->lmsgwctl({"audit", "export", "--platform", "--district", "shelbyville"}).exit_code,
      0);
}

}  // namespace
}  // namespace lmsgw::testing
