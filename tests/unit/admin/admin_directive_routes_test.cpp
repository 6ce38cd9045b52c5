// The directives module's admin routes over a real database and the real services: a
// district's directive and its versions, legal holds, retention runs on the runner's thread
// and certificates, each with its scope, its errors and its audit.
#include "admin/admin_directive_routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>

#include <boost/json/parse.hpp>

#include "admin/admin_retention_runner.h"
#include "directives/certificate.h"
#include "directives/directive_service.h"
#include "directives/retention_engine.h"
#include "jose/jws.h"
#include "jose/keys.h"
#include "session/revocation.h"
#include "store/audit_log.h"
#include "tests/support/process.h"
#include "tests/unit/admin/admin_test_support.h"

namespace lmsgw::admin {
namespace {

using http::Method;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::AdminDatabase;
using testing::bearer;
using testing::TestRequest;

boost::json::object body(const http::Response& response) {
  return boost::json::parse(response.body).as_object();
}

TestRequest with_json(Method method, std::string path, std::string_view token, std::string json) {
  TestRequest request = bearer(method, std::move(path), token);
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = std::move(json);
  return request;
}

class TestSigner final : public directives::CertificateSigner {
 public:
  TestSigner() : key_(*jose::SigningKey::generate(jose::Algorithm::es256, "test-key")) {}
  sdk::Result<std::string> sign(std::string_view payload) override {
    return jose::sign(key_, payload,
                      jose::HeaderExtras{std::string(directives::kCertificateType)});
  }

 private:
  jose::SigningKey key_;
};

class AdminDirectiveRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* district : {"springfield", "shelbyville"}) {
      ASSERT_TRUE(db_.accounts().ensure_district(district, testing::kStart).ok());
    }
    auto audit = store::open_sqlite_audit_log(db_.path());
    ASSERT_TRUE(audit.ok()) << audit.error().detail;
    audit_ = std::move(*audit);
    auto directive_store = store::open_sqlite_directive_store(db_.path());
    ASSERT_TRUE(directive_store.ok()) << directive_store.error().detail;
    store_ = std::move(*directive_store);
    revocations_ = std::make_unique<session::RevocationService>(db_.accounts(), *audit_,
                                                                epochs_, db_.clock());
    service_ = std::make_unique<directives::DirectiveService>(*store_, *audit_, db_.clock());
    engine_ = std::make_unique<directives::RetentionEngine>(
        *store_, db_.accounts(), *revocations_, *audit_, signer_,
        directives::RetentionSettings{{}, 2, "unit-test"}, db_.clock());
    runner_ = std::make_unique<AdminRetentionRunner>(*engine_, db_.clock());
    routes_ = std::make_unique<AdminDirectiveRoutes>(
        AdminDirectiveDependencies{*service_, *store_, *audit_, runner_.get(), db_.clock()});
    routes_->add_routes(admin_);
    admin_.install(router_);
    operator_ = db_.make_token(AdminRole::operator_);
    springfield_ = db_.make_token(AdminRole::district_admin, "springfield");
    shelbyville_ = db_.make_token(AdminRole::district_admin, "shelbyville");
    ASSERT_EQ(sqlite3_open(db_.path().c_str(), &raw_), SQLITE_OK);
    sqlite3_busy_timeout(raw_, 5'000);
  }
  void TearDown() override {
    runner_->stop();
    sqlite3_close(raw_);
  }

  void exec(const std::string& sql) {
    char* message = nullptr;
    EXPECT_EQ(sqlite3_exec(raw_, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK)
        << (message != nullptr ? message : "");
    sqlite3_free(message);
  }
  std::int64_t count(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(raw_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
    std::int64_t out = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) out = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return out;
  }
  void add_student(const std::string& id, const std::string& district) {
    exec("INSERT INTO accounts (id, role, district_id, display_name, created_at, "
         "last_sign_in_at) VALUES ('" + id + "', 'student', '" + district + "', 'Name', 0, 0)");
  }
  // "<action> by <actor>" of the district's audit events.
  std::vector<std::string> audited(const std::string& district) {
    auto events = audit_->list(store::AuditQuery{district, {}, 0, 1000});
    EXPECT_TRUE(events.ok());
    std::vector<std::string> out;
    if (events) {
      for (const auto& event : *events) out.push_back(event.action + " by " + event.actor);
    }
    return out;
  }
  std::string actor_of(std::string_view token) {
    auto principal = db_.tokens().authenticate(token);
    return principal && *principal ? (*principal)->actor() : std::string();
  }

  http::Response send(const TestRequest& request) { return request.send(router_); }

  AdminDatabase db_;
  std::unique_ptr<store::AuditLog> audit_;
  std::unique_ptr<store::DirectiveStore> store_;
  session::RevocationEpochs epochs_;
  std::unique_ptr<session::RevocationService> revocations_;
  std::unique_ptr<directives::DirectiveService> service_;
  TestSigner signer_;
  std::unique_ptr<directives::RetentionEngine> engine_;
  std::unique_ptr<AdminRetentionRunner> runner_;
  std::unique_ptr<AdminDirectiveRoutes> routes_;
  AdminRouter admin_{db_.tokens(), {"springfield", "shelbyville"}};
  http::Router router_;
  std::string operator_;
  std::string springfield_;
  std::string shelbyville_;
  sqlite3* raw_ = nullptr;
};

constexpr std::string_view kDirective = "/admin/v1/districts/springfield/directive";

TEST_F(AdminDirectiveRoutesTest, ADistrictAdminSetsItsDirectiveAndReadsItsVersions) {
  const http::Response none = send(bearer(Method::get, std::string(kDirective), springfield_));
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(body(none).at("error"), "no_directive");

  const http::Response first = send(with_json(Method::put, std::string(kDirective), springfield_,
                                              R"({"inactive_days": 365})"));
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(body(first).at("version"), 1);
  EXPECT_EQ(body(first).at("directive").at("inactive_days"), 365);
  EXPECT_EQ(body(first).at("set_by").as_string(), actor_of(springfield_));
  const http::Response second =
      send(with_json(Method::put, std::string(kDirective), operator_,
                     R"({"after_revocation_days": 0, "partial": [{"categories": ["sections"]}]})"));
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(body(second).at("version"), 2);

  const http::Response current = send(bearer(Method::get, std::string(kDirective), springfield_));
  ASSERT_EQ(current.status, 200);
  EXPECT_EQ(body(current).at("version"), 2);
  EXPECT_EQ(body(current).at("directive").at("partial").at(0).at("by"), "asap");

  const http::Response versions =
      send(bearer(Method::get, std::string(kDirective) + "/versions", springfield_));
  ASSERT_EQ(versions.status, 200);
  const boost::json::array listed = body(versions).at("versions").as_array();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].at("version"), 2);  // newest first
  EXPECT_EQ(listed[1].at("directive").at("inactive_days"), 365);
  TestRequest limited = bearer(Method::get, std::string(kDirective) + "/versions", springfield_);
  limited.query = "limit=1";
  EXPECT_EQ(body(send(limited)).at("versions").as_array().size(), 1u);
  limited.query = "limit=101";
  EXPECT_EQ(send(limited).status, 400);

  // Shelbyville's admin sees nothing of it, and Springfield's log shows every step.
  EXPECT_EQ(send(bearer(Method::get, std::string(kDirective), shelbyville_)).status, 404);
  EXPECT_EQ(send(with_json(Method::put, std::string(kDirective), shelbyville_, "{}")).status, 404);
  const std::string admin = actor_of(springfield_);
  EXPECT_THAT(audited("springfield"),
              ::testing::IsSupersetOf(std::vector<std::string>{"directive.set by " + admin,
                                       "directive.set by " + actor_of(operator_),
                                       "admin.read by " + admin}));
  const std::vector<std::string> events = audited("springfield");
  EXPECT_EQ(std::count(events.begin(), events.end(), "admin.read by " + admin), 4);
}

TEST_F(AdminDirectiveRoutesTest, InvalidDirectivesNameTheFieldAndNeverEchoTheValue) {
  const auto put = [&](std::string json) {
    return send(with_json(Method::put, std::string(kDirective), springfield_, std::move(json)));
  };
  const http::Response category = put(R"({"partial": [{"categories": ["zzcategorycanary"]}]})");
  EXPECT_EQ(category.status, 400);
  EXPECT_THAT(category.body, HasSubstr("partial[0].categories[0]: unknown category"));
  EXPECT_THAT(category.body, Not(HasSubstr("zzcategorycanary")));

  const http::Response past = put(R"({"delete_all_by": "2024-02-29"})");
  EXPECT_EQ(past.status, 400);
  EXPECT_THAT(past.body, HasSubstr("delete_all_by: date is in the past"));
  EXPECT_THAT(past.body, Not(HasSubstr("2024-02-29")));

  EXPECT_THAT(put(R"({"inactive_days": -1})").body, HasSubstr("inactive_days: must not be"));
  EXPECT_EQ(put("[1]").status, 400);
  EXPECT_EQ(put("{").status, 400);
  EXPECT_EQ(put(std::string(20'000, ' ') + "{}").status, 413);
  TestRequest text = bearer(Method::put, std::string(kDirective), springfield_);
  text.headers.emplace_back("Content-Type", "text/plain");
  text.body = "{}";
  EXPECT_EQ(send(text).status, 415);
  // Nothing was written.
  EXPECT_EQ(count("SELECT COUNT(*) FROM retention_directives"), 0);
}

TEST_F(AdminDirectiveRoutesTest, LegalHoldsArePlacedListedAndReleasedWithinTheDistrict) {
  add_student("acct_spring1", "springfield");
  add_student("acct_shelby1", "shelbyville");
  const std::string holds = "/admin/v1/districts/springfield/legal-holds";
  const auto place = [&](std::string json) {
    return send(with_json(Method::post, holds, springfield_, std::move(json)));
  };
  const http::Response placed = place(R"({"account": "acct_spring1", "reason": "records 17"})");
  ASSERT_EQ(placed.status, 201) << placed.body;
  EXPECT_EQ(body(placed).at("account"), "acct_spring1");
  EXPECT_EQ(body(placed).at("released_at"), nullptr);
  EXPECT_EQ(place(R"({"account": "acct_spring1", "reason": "again"})").status, 409);

  // Another district's account and an unknown id look the same.
  const http::Response other = place(R"({"account": "acct_shelby1", "reason": "x"})");
  const http::Response unknown = place(R"({"account": "acct_nobody", "reason": "x"})");
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(other.body, unknown.body);
  EXPECT_EQ(place(R"({"account": "acct_spring1"})").status, 400);
  EXPECT_EQ(place(R"({"account": "acct_spring1", "reason": ")" + std::string(501, 'r') + "\"}")
                .status,
            400);
  EXPECT_EQ(count("SELECT COUNT(*) FROM legal_holds"), 1);

  const http::Response listed = send(bearer(Method::get, holds, springfield_));
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(body(listed).at("holds").as_array().size(), 1u);
  EXPECT_EQ(body(listed).at("holds").at(0).at("reason"), "records 17");
  EXPECT_EQ(send(bearer(Method::get, holds, shelbyville_)).status, 404);
  EXPECT_EQ(send(bearer(Method::delete_, holds + "/acct_spring1", shelbyville_)).status, 404);

  const http::Response released = send(bearer(Method::delete_, holds + "/acct_spring1",
                                              springfield_));
  ASSERT_EQ(released.status, 200) << released.body;
  EXPECT_TRUE(body(released).at("released_at").is_string());
  EXPECT_EQ(send(bearer(Method::delete_, holds + "/acct_spring1", springfield_)).status, 404);
  EXPECT_TRUE(body(send(bearer(Method::get, holds, springfield_))).at("holds").as_array().empty());

  const std::string admin = actor_of(springfield_);
  EXPECT_THAT(audited("springfield"),
              ::testing::IsSupersetOf(std::vector<std::string>{"legal_hold.placed by " + admin,
                                       "legal_hold.released by " + admin}));
  // The district's own words are kept for it, never audited.
  auto events = audit_->list(store::AuditQuery{"springfield", {}, 0, 1000});
  ASSERT_TRUE(events.ok());
  for (const auto& event : *events) EXPECT_THAT(event.object, Not(HasSubstr("records 17")));
}

TEST_F(AdminDirectiveRoutesTest, ARetentionRunDisposesOfAWithdrawnDistrictAndItsCertificateIsShown) {
  for (int i = 0; i < 5; ++i) add_student("acct_spring" + std::to_string(i), "springfield");
  add_student("acct_shelby1", "shelbyville");
  ASSERT_TRUE(revocations_->revoke_district("springfield", "lmsgwctl").ok());
  const std::string runs = "/admin/v1/districts/springfield/retention-runs";

  // The operator-only run of every district is refused to a district admin.
  EXPECT_EQ(send(bearer(Method::post, "/admin/v1/retention-runs", springfield_)).status, 403);
  EXPECT_EQ(send(bearer(Method::post, "/admin/v1/districts/shelbyville/retention-runs",
                        springfield_))
                .status,
            404);

  const http::Response started = send(bearer(Method::post, runs, springfield_));
  ASSERT_EQ(started.status, 202) << started.body;
  EXPECT_EQ(body(started).at("after_job"), 0);
  boost::json::object job;
  ASSERT_TRUE(lmsgw::testing::eventually([&] {
    const http::Response listed = send(bearer(Method::get, runs, springfield_));
    if (listed.status != 200 || body(listed).at("run_pending").as_bool()) return false;
    const boost::json::array jobs = body(listed).at("jobs").as_array();
    if (jobs.empty()) return false;
    job = jobs[0].as_object();
    return true;
  }));
  EXPECT_EQ(job.at("state"), "completed");
  EXPECT_EQ(job.at("rule"), "after_revocation");
  EXPECT_EQ(job.at("counts").at("accounts"), 5);
  EXPECT_EQ(count("SELECT COUNT(*) FROM accounts WHERE district_id = 'springfield'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM accounts WHERE district_id = 'shelbyville'"), 1);
  const std::string certificate_id(job.at("certificate").as_string());

  const std::string path = "/admin/v1/certificates/" + certificate_id;
  const http::Response shown = send(bearer(Method::get, path, springfield_));
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(body(shown).at("district"), "springfield");
  EXPECT_EQ(body(shown).at("certificate").at("certificate_id").as_string(), certificate_id);
  EXPECT_EQ(body(shown).at("certificate").at("counts").at("accounts"), 5);
  const std::string jws(body(shown).at("jws").as_string());
  EXPECT_EQ(std::count(jws.begin(), jws.end(), '.'), 2);
  EXPECT_EQ(send(bearer(Method::get, path, operator_)).status, 200);
  // Another district's certificate is answered like an unknown id.
  const http::Response other = send(bearer(Method::get, path, shelbyville_));
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(other.body,
            send(bearer(Method::get, "/admin/v1/certificates/cert_nothing", shelbyville_)).body);

  const std::string admin = actor_of(springfield_);
  EXPECT_THAT(audited("springfield"),
              ::testing::IsSupersetOf(std::vector<std::string>{"retention.requested by " + admin,
                                       "disposal.completed by retention",
                                       "admin.read by " + admin}));
  EXPECT_THAT(audited("shelbyville"), Not(::testing::Contains(HasSubstr(admin))));

  // The operator's run of every district.
  const http::Response everywhere = send(bearer(Method::post, "/admin/v1/retention-runs",
                                                operator_));
  EXPECT_EQ(everywhere.status, 202) << everywhere.body;
}

TEST_F(AdminDirectiveRoutesTest, WithoutARetentionEngineRunsAre409) {
  AdminRouter admin(db_.tokens(), {"springfield"});
  AdminDirectiveRoutes routes(
      AdminDirectiveDependencies{*service_, *store_, *audit_, nullptr, db_.clock()});
  routes.add_routes(admin);
  http::Router router;
  admin.install(router);
  for (const char* path :
       {"/admin/v1/districts/springfield/retention-runs", "/admin/v1/retention-runs"}) {
    const http::Response refused = bearer(Method::post, path, operator_).send(router);
    EXPECT_EQ(refused.status, 409) << path;
    EXPECT_EQ(body(refused).at("error"), "retention_unavailable");
    EXPECT_THAT(body(refused).at("detail").as_string(), HasSubstr("tokens section"));
  }
  const http::Response listed =
      bearer(Method::get, "/admin/v1/districts/springfield/retention-runs", operator_)
          .send(router);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(body(listed).at("retention_available"), false);
}

}  // namespace
}  // namespace lmsgw::admin
