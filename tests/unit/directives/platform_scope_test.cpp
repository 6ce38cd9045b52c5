// The platform scope: with `retention.default_inactive_days` configured, a run over all
// districts also disposes of the accounts of no district (a guardian through Facebook, an LTI
// launch of a registration without a district) inactive that long, as a district's `inactive`
// rule measures it; a run for one district leaves them alone. Its jobs and certificates have no
// district; the schema's migration 6 made that storable.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "directives/directive_service.h"
#include "directives/retention_engine.h"
#include "tests/unit/directives/directives_fixture.h"

namespace lmsgw::directives {
namespace {

using testing::count_of;
using testing::DirectivesFixture;
using testing::kDay;
using testing::kStart;
using testing::never_signed_in;
using testing::signed_in;
using std::chrono::system_clock;

constexpr int kPolicyDays = 365;

class PlatformScopeTest : public DirectivesFixture {
 protected:
  void SetUp() override {
    DirectivesFixture::SetUp();
    add_district("d1");
  }

  RetentionEngine& engine(std::optional<int> inactive_days = kPolicyDays,
                          std::size_t batch_size = 2) {
    engine_ = std::make_unique<RetentionEngine>(
        *store_, *accounts_, *revocations_, *audit_, signer_,
        RetentionSettings{RetentionDefaults{.inactive_days = inactive_days}, batch_size,
                          "gw-test"},
        clock_);
    return *engine_;
  }

  RetentionReport run(RetentionEngine& e, std::string_view district = {}) {
    auto report = e.run(clock_.now(), district);
    EXPECT_TRUE(report.ok()) << report.error().detail;
    return report ? *report : RetentionReport{};
  }

  void set_directive(const std::string& district, const std::string& document) {
    DirectiveService service(*store_, *audit_, clock_);
    auto set = service.set(district, document, "lmsgwctl");
    ASSERT_TRUE(set.ok()) << set.error().detail;
  }

  std::vector<store::DisposalJob> platform_jobs() {
    auto jobs = store_->jobs("", 100);
    EXPECT_TRUE(jobs.ok());
    return jobs ? *jobs : std::vector<store::DisposalJob>{};
  }

  std::int64_t certificates() { return count("SELECT COUNT(*) FROM disposal_certificates"); }

  std::unique_ptr<RetentionEngine> engine_;
};

TEST_F(PlatformScopeTest, DeletesAccountsOfNoDistrictPastThePolicyWithTheirLinksAndSessions) {
  add_account("acct_stale", "", signed_in(kStart - kPolicyDays * kDay));
  add_account("acct_recent", "", signed_in(kStart - (kPolicyDays - 1) * kDay));
  add_account("acct_never_old", "", never_signed_in(kStart - (kPolicyDays + 1) * kDay));
  add_account("acct_never_new", "", never_signed_in(kStart - 10 * kDay));
  const auto stale_epoch = epochs_.account("acct_stale");
  ASSERT_EQ(rows_of("acct_stale"), 3);  // account, identity link, session

  auto report = run(engine());

  ASSERT_EQ(report.completed.size(), 1u);
  const store::DisposalJob& job = report.completed.front();
  EXPECT_EQ(job.scope.district_id, "");
  EXPECT_EQ(job.scope.rule, store::DisposalRule::inactive);
  EXPECT_EQ(job.scope.categories, std::vector{store::DisposalCategory::accounts});
  EXPECT_FALSE(job.scope.directive_version.has_value());
  EXPECT_EQ(count_of(job.counts, "accounts"), 2);
  EXPECT_EQ(count_of(job.counts, "identities"), 2);
  EXPECT_EQ(rows_of("acct_stale"), 0);
  EXPECT_EQ(rows_of("acct_never_old"), 0);
  EXPECT_EQ(rows_of("acct_recent"), 3);
  EXPECT_EQ(rows_of("acct_never_new"), 3);
  // Its sessions ended before the deletion, as for a district that is not withdrawn.
  EXPECT_TRUE(stale_epoch->revokes(kStart - std::chrono::seconds(60)));
  EXPECT_EQ(count("SELECT COUNT(*) FROM revocations WHERE scope = 'account' AND subject_id = "
                  "'acct_stale'"),
            1);
  // Stored with no district.
  EXPECT_EQ(count("SELECT COUNT(*) FROM disposal_jobs WHERE district_id IS NULL"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM disposal_certificates WHERE district_id IS NULL"), 1);
  EXPECT_EQ(platform_jobs().size(), 1u);

  clock_.advance(kDay);  // acct_recent reaches the policy
  report = run(engine());
  ASSERT_EQ(report.completed.size(), 1u);
  EXPECT_EQ(rows_of("acct_recent"), 0);
  EXPECT_EQ(rows_of("acct_never_new"), 3);
}

TEST_F(PlatformScopeTest, LeavesDistrictsToTheirDirectivesAndOneDistrictRunsLeaveItAlone) {
  // d1's directive keeps inactive accounts longer than the platform's policy.
  set_directive("d1", R"({"inactive_days": 1000})");
  add_account("acct_d1_stale", "d1", signed_in(kStart - 500 * kDay));
  add_account("acct_orphan", "", signed_in(kStart - 500 * kDay));

  // A run for one district neither starts nor resumes the platform scope.
  auto report = run(engine(), "d1");
  EXPECT_TRUE(report.completed.empty());
  EXPECT_EQ(rows_of("acct_orphan"), 3);
  EXPECT_TRUE(platform_jobs().empty());

  report = run(engine());
  ASSERT_EQ(report.completed.size(), 1u);
  EXPECT_EQ(report.completed.front().scope.district_id, "");
  EXPECT_EQ(rows_of("acct_orphan"), 0);
  EXPECT_EQ(rows_of("acct_d1_stale"), 3);
  auto d1_jobs = store_->jobs("d1", 10);
  ASSERT_TRUE(d1_jobs.ok());
  EXPECT_TRUE(d1_jobs->empty());

  // d1's own rule takes its account, and only it.
  add_account("acct_orphan_recent", "", signed_in(kStart));
  clock_.advance(501 * kDay);
  report = run(engine(), "d1");
  ASSERT_EQ(report.completed.size(), 1u);
  EXPECT_EQ(report.completed.front().scope.district_id, "d1");
  EXPECT_EQ(rows_of("acct_d1_stale"), 0);
  EXPECT_EQ(rows_of("acct_orphan_recent"), 3);
}

TEST_F(PlatformScopeTest, WithoutThePlatformPolicyNothingOfNoDistrictIsDeleted) {
  add_account("acct_orphan", "", signed_in(kStart - 5000 * kDay));
  auto due = engine(std::nullopt).platform_due(clock_.now());
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
  auto report = run(engine(std::nullopt));
  EXPECT_TRUE(report.completed.empty());
  EXPECT_EQ(rows_of("acct_orphan"), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM disposal_jobs"), 0);
}

TEST_F(PlatformScopeTest, NothingDueCreatesNoJob) {
  add_account("acct_orphan", "", signed_in(kStart - kDay));
  auto due = engine().platform_due(clock_.now());
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
  EXPECT_TRUE(run(engine()).completed.empty());
  EXPECT_EQ(count("SELECT COUNT(*) FROM disposal_jobs"), 0);
}

TEST_F(PlatformScopeTest, AKilledJobResumesOnlyInARunOverAllAndCompletesWithOneCertificate) {
  for (int i = 0; i < 5; ++i) {
    add_account("acct_" + std::to_string(i), "", signed_in(kStart - 400 * kDay));
  }
  RetentionEngine& first = engine(kPolicyDays, 2);
  first.set_batch_limit_for_test(1);
  auto report = run(first);
  EXPECT_TRUE(report.completed.empty());
  ASSERT_EQ(report.interrupted.size(), 1u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM accounts"), 3);
  EXPECT_EQ(certificates(), 0);

  // Another process cannot start a second platform job of the same rule meanwhile.
  auto second = store_->start_job(report.interrupted.front().scope, clock_.now());
  ASSERT_TRUE(second.ok()) << second.error().detail;
  EXPECT_FALSE(second->has_value());

  clock_.advance(std::chrono::minutes(5));
  report = run(engine(), "d1");
  EXPECT_TRUE(report.completed.empty());
  EXPECT_EQ(count("SELECT COUNT(*) FROM accounts"), 3);

  report = run(engine());
  ASSERT_EQ(report.completed.size(), 1u);
  const store::DisposalJob& job = report.completed.front();
  EXPECT_EQ(count_of(job.counts, "accounts"), 5);
  EXPECT_EQ(job.batches, 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM accounts"), 0);
  EXPECT_EQ(certificates(), 1);
  EXPECT_TRUE(run(engine()).completed.empty());
  EXPECT_EQ(certificates(), 1);

  // Audited once, under no district: in the platform's export, not in a district's.
  int completed_events = 0;
  for (const auto& event : audit_events("")) {
    if (event.action != "disposal.completed") continue;
    ++completed_events;
    EXPECT_FALSE(event.district_id.has_value());
    EXPECT_EQ(event.actor, "retention");
    EXPECT_EQ(event.object, job.certificate_id.value_or("?"));
    EXPECT_EQ(count_of(event.counts, "accounts"), 5);
  }
  EXPECT_EQ(completed_events, 1);
  EXPECT_TRUE(audit_events("d1").empty());
}

TEST_F(PlatformScopeTest, TheCertificateSaysPlatformVerifiesAndNamesNoAccount) {
  add_account("acct_secret_1", "", signed_in(kStart - 400 * kDay));
  auto report = run(engine());
  ASSERT_EQ(report.completed.size(), 1u);
  auto stored = store_->certificate(*report.completed.front().certificate_id);
  ASSERT_TRUE(stored.ok());
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->district_id, "");
  auto verified = verify_certificate((*stored)->jws, signer_.keys());
  ASSERT_TRUE(verified.ok()) << verified.error().detail;
  const boost::json::object& doc = verified->document;
  EXPECT_EQ(doc.at("scope").as_string(), "platform");
  EXPECT_TRUE(doc.at("district").is_null());
  EXPECT_EQ(doc.at("directive").as_string(), "default");
  EXPECT_EQ(doc.at("rule").as_string(), "inactive");
  EXPECT_EQ(boost::json::serialize(doc.at("categories")), R"(["accounts"])");
  EXPECT_EQ(doc.at("counts").at("accounts").as_int64(), 1);
  EXPECT_EQ(doc.at("held_accounts").as_int64(), 0);
  EXPECT_EQ(boost::json::serialize(doc).find("acct_"), std::string::npos);
}

// disposal_jobs and disposal_certificates as schema version 5 made them (district NOT NULL).
constexpr std::string_view kVersion5DisposalTables = R"sql(
DROP TABLE disposal_certificates;
DROP TABLE disposal_jobs;
CREATE TABLE disposal_jobs (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  district_id       TEXT NOT NULL,
  rule              TEXT NOT NULL CHECK (rule IN ('after_leaving_roster', 'inactive',
                      'delete_all_by', 'after_revocation', 'partial')),
  categories        TEXT NOT NULL CHECK (json_valid(categories)),
  directive_version INTEGER NULL,
  partial_entry     INTEGER NULL,
  left_on_or_before TEXT NULL,
  inactive_since    INTEGER NULL,
  started_at        INTEGER NOT NULL,
  finished_at       INTEGER NULL,
  batches           INTEGER NOT NULL DEFAULT 0,
  counts            TEXT NOT NULL CHECK (json_valid(counts)),
  held_accounts     INTEGER NOT NULL DEFAULT 0,
  certificate_id    TEXT NULL,
  audited           INTEGER NOT NULL DEFAULT 0 CHECK (audited IN (0, 1)),
  CHECK ((finished_at IS NULL) = (certificate_id IS NULL))
) STRICT;
CREATE INDEX disposal_jobs_by_district ON disposal_jobs (district_id, id);
CREATE UNIQUE INDEX disposal_jobs_running ON disposal_jobs
  (district_id, rule, COALESCE(partial_entry, -1)) WHERE finished_at IS NULL;
CREATE TABLE disposal_certificates (
  id          TEXT PRIMARY KEY NOT NULL,
  job_id      INTEGER NOT NULL UNIQUE REFERENCES disposal_jobs (id),
  district_id TEXT NOT NULL,
  issued_at   INTEGER NOT NULL,
  jws         TEXT NOT NULL
) STRICT;
CREATE INDEX disposal_certificates_by_district ON disposal_certificates (district_id);
DELETE FROM schema_migrations WHERE version > 5;
INSERT INTO disposal_jobs (district_id, rule, categories, directive_version, started_at,
  finished_at, batches, counts, held_accounts, certificate_id, audited)
  VALUES ('d1', 'after_revocation', '["accounts","sections"]', 2, 100, 160, 3,
  '{"accounts":5}', 1, 'cert_old', 1);
INSERT INTO disposal_certificates VALUES ('cert_old', 1, 'd1', 160, 'header.payload.signature');
INSERT INTO disposal_jobs (district_id, rule, categories, inactive_since, started_at, counts)
  VALUES ('d1', 'inactive', '["accounts"]', 50, 200, '{"accounts":2}');
)sql";

// Stores closed, the database set back to version 5 with a completed job, its certificate and
// a running job of a district, then opened again: migration 6 keeps them and its constraints.
TEST_F(PlatformScopeTest, MigrationSixKeepsAVersionFiveDatabasesJobsAndCertificates) {
  revocations_.reset();
  store_.reset();
  audit_.reset();
  accounts_.reset();
  exec(std::string(kVersion5DisposalTables));
  ASSERT_EQ(count("SELECT MAX(version) FROM schema_migrations"), 5);

  auto reopened = store::open_sqlite_store(store::SqliteOptions{.path = path_});
  ASSERT_TRUE(reopened.ok()) << reopened.error().detail;
  EXPECT_EQ(count("SELECT MAX(version) FROM schema_migrations"), 6);
  EXPECT_EQ(count("SELECT COUNT(*) FROM pragma_foreign_key_check"), 0);
  auto directives = store::open_sqlite_directive_store(path_);
  ASSERT_TRUE(directives.ok()) << directives.error().detail;
  store_ = std::move(*directives);

  auto certificate = store_->certificate("cert_old");
  ASSERT_TRUE(certificate.ok());
  ASSERT_TRUE(certificate->has_value());
  EXPECT_EQ((*certificate)->district_id, "d1");
  EXPECT_EQ((*certificate)->job_id, 1);
  EXPECT_EQ((*certificate)->jws, "header.payload.signature");
  auto jobs = store_->jobs("d1", 10);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 2u);
  const store::DisposalJob& running = jobs->at(0);
  const store::DisposalJob& completed = jobs->at(1);
  EXPECT_EQ(completed.scope.rule, store::DisposalRule::after_revocation);
  EXPECT_EQ(completed.scope.directive_version, 2);
  EXPECT_EQ(completed.batches, 3);
  EXPECT_EQ(count_of(completed.counts, "accounts"), 5);
  EXPECT_EQ(completed.held_accounts, 1);
  EXPECT_EQ(completed.certificate_id, "cert_old");
  EXPECT_FALSE(running.finished_at.has_value());
  EXPECT_EQ(running.scope.inactive_since, system_clock::time_point(std::chrono::seconds(50)));
  EXPECT_EQ(count("SELECT audited FROM disposal_jobs WHERE id = 1"), 1);

  // The district's running job still excludes a second one; the platform scope gets its own,
  // and only one.
  auto doubled = store_->start_job(running.scope, clock_.now());
  ASSERT_TRUE(doubled.ok()) << doubled.error().detail;
  EXPECT_FALSE(doubled->has_value());
  store::DisposalScope platform;
  platform.rule = store::DisposalRule::inactive;
  platform.categories = {store::DisposalCategory::accounts};
  platform.inactive_since = clock_.now();
  auto started = store_->start_job(platform, clock_.now());
  ASSERT_TRUE(started.ok()) << started.error().detail;
  ASSERT_TRUE(started->has_value());
  EXPECT_GT((**started).id, 2);
  EXPECT_EQ((**started).scope.district_id, "");
  auto again = store_->start_job(platform, clock_.now());
  ASSERT_TRUE(again.ok()) << again.error().detail;
  EXPECT_FALSE(again->has_value());

  // Constraints: a certificate needs its job; the platform scope has no other rule, no
  // directive, and no district is the empty string.
  const auto refused = [&](const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(raw_, sql.c_str(), nullptr, nullptr, &message);
    sqlite3_free(message);
    return rc != SQLITE_OK;
  };
  exec("PRAGMA foreign_keys = ON");
  EXPECT_TRUE(refused("INSERT INTO disposal_certificates VALUES ('cert_x', 99, 'd1', 0, 'x')"));
  EXPECT_TRUE(refused("INSERT INTO disposal_jobs (district_id, rule, categories, started_at, "
                      "counts) VALUES (NULL, 'delete_all_by', '[]', 0, '{}')"));
  EXPECT_TRUE(refused("INSERT INTO disposal_jobs (district_id, rule, categories, "
                      "directive_version, started_at, counts) VALUES (NULL, 'inactive', '[]', "
                      "1, 0, '{}')"));
  EXPECT_TRUE(refused("INSERT INTO disposal_jobs (district_id, rule, categories, started_at, "
                      "counts) VALUES ('', 'partial', '[]', 0, '{}')"));
}

}  // namespace
}  // namespace lmsgw::directives
