#include "directives/retention_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "directives/directive_service.h"
#include "tests/unit/directives/directives_fixture.h"

namespace lmsgw::directives {
namespace {

using testing::left_roster;
using testing::never_signed_in;
using testing::signed_in;
using testing::teacher;
using testing::count_of;
using testing::DirectivesFixture;
using testing::kDay;
using testing::kStart;

class RetentionEngineTest : public DirectivesFixture {
 protected:
  void SetUp() override {
    DirectivesFixture::SetUp();
    add_district("d1");
    add_district("d2");
  }

  RetentionEngine& engine(RetentionDefaults defaults = {}, std::size_t batch_size = 2) {
    engine_ = std::make_unique<RetentionEngine>(
        *store_, *accounts_, *revocations_, *audit_, signer_,
        RetentionSettings{defaults, batch_size, "gw-test"}, clock_);
    return *engine_;
  }

  void set_directive(const std::string& district, const std::string& document) {
    DirectiveService service(*store_, *audit_, clock_);
    auto set = service.set(district, document, "lmsgwctl");
    ASSERT_TRUE(set.ok()) << set.error().detail;
  }

  RetentionReport run(RetentionEngine& e, std::string_view district = {}) {
    auto report = e.run(clock_.now(), district);
    EXPECT_TRUE(report.ok()) << report.error().detail;
    return report ? *report : RetentionReport{};
  }

  std::int64_t certificates() { return count("SELECT COUNT(*) FROM disposal_certificates"); }

  std::unique_ptr<RetentionEngine> engine_;
};

TEST_F(RetentionEngineTest, NothingDueCreatesNoJobAndNoCertificate) {
  add_account("acct_a", "d1");
  auto report = run(engine());
  EXPECT_TRUE(report.completed.empty());
  EXPECT_EQ(count("SELECT COUNT(*) FROM disposal_jobs"), 0);
  EXPECT_EQ(certificates(), 0);
  EXPECT_TRUE(account_exists("acct_a"));
}

TEST_F(RetentionEngineTest, AfterLeavingRosterDeletesNDaysAfterLeaving) {
  set_directive("d1", R"({"after_leaving_roster_days": 30})");
  add_account("acct_on_roster", "d1", never_signed_in(kStart - 400 * kDay));
  add_account("acct_left", "d1", left_roster("2026-03-01"));
  add_account("acct_other_district", "d2", left_roster("2026-01-01"));

  run(engine());  // day 9 after leaving: nothing yet
  EXPECT_TRUE(account_exists("acct_left"));
  clock_.set(kStart + 20 * kDay);  // 2026-03-30: day 29
  run(engine());
  EXPECT_TRUE(account_exists("acct_left"));
  clock_.set(kStart + 21 * kDay);  // 2026-03-31: day 30
  auto report = run(engine());
  ASSERT_EQ(report.completed.size(), 1u);
  EXPECT_FALSE(account_exists("acct_left"));
  EXPECT_EQ(rows_of("acct_left"), 0);
  EXPECT_TRUE(account_exists("acct_on_roster"));
  EXPECT_TRUE(account_exists("acct_other_district"));  // d2 has no such directive
  const store::DisposalJob& job = report.completed.front();
  EXPECT_EQ(job.scope.rule, store::DisposalRule::after_leaving_roster);
  EXPECT_EQ(job.scope.directive_version, 1);
  EXPECT_EQ(count_of(job.counts, "accounts"), 1);
  EXPECT_EQ(count_of(job.counts, "identities"), 1);
  // Its session ended (and its row went) through the revocation before the batch.
  EXPECT_EQ(count_of(job.counts, "sessions"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM revocations WHERE subject_id = 'acct_left'"), 1);
  EXPECT_EQ(certificates(), 1);
}

TEST_F(RetentionEngineTest, InactiveCountsFromLastSignInOrCreation) {
  set_directive("d1", R"({"inactive_days": 100})");
  add_account("acct_recent", "d1", signed_in(kStart - 99 * kDay));
  add_account("acct_stale", "d1", signed_in(kStart - 100 * kDay));
  add_account("acct_never_new", "d1",
              never_signed_in(kStart - 50 * kDay));
  add_account("acct_never_old", "d1",
              never_signed_in(kStart - 150 * kDay));
  auto report = run(engine());
  ASSERT_EQ(report.completed.size(), 1u);
  EXPECT_EQ(report.completed.front().scope.rule, store::DisposalRule::inactive);
  EXPECT_TRUE(account_exists("acct_recent"));
  EXPECT_FALSE(account_exists("acct_stale"));
  EXPECT_TRUE(account_exists("acct_never_new"));
  EXPECT_FALSE(account_exists("acct_never_old"));
  clock_.advance(kDay);
  run(engine());
  EXPECT_FALSE(account_exists("acct_recent"));
  EXPECT_TRUE(account_exists("acct_never_new"));
}

TEST_F(RetentionEngineTest, PlatformInactivityDefaultAppliesWithoutDirective) {
  add_account("acct_stale", "d2", signed_in(kStart - 400 * kDay));
  run(engine(RetentionDefaults{.inactive_days = 365}));
  EXPECT_FALSE(account_exists("acct_stale"));
  auto jobs = store_->jobs("d2", 10);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_FALSE(jobs->front().scope.directive_version.has_value());
}

TEST_F(RetentionEngineTest, DeleteAllByDeletesEverythingOfTheDistrictOnThatDate) {
  set_directive("d1", R"({"delete_all_by": "2026-04-01"})");
  for (int i = 0; i < 5; ++i) add_account("acct_" + std::to_string(i), "d1");
  add_account("acct_t", "d1", teacher());
  add_account("acct_d2", "d2");
  add_section("sec_1", "d1");
  add_section("sec_2", "d1");
  enroll("acct_0", "sec_1");
  enroll("acct_1", "sec_1");
  clock_.set(kStart + 21 * kDay);  // 2026-03-31T12:00Z
  run(engine());
  EXPECT_EQ(count("SELECT COUNT(*) FROM accounts WHERE district_id = 'd1'"), 6);
  clock_.set(kStart + 21 * kDay + std::chrono::hours(12));  // 2026-04-01T00:00Z
  auto report = run(engine());
  ASSERT_EQ(report.completed.size(), 1u);
  const store::DisposalJob& job = report.completed.front();
  EXPECT_EQ(job.scope.rule, store::DisposalRule::delete_all_by);
  EXPECT_EQ(count_of(job.counts, "accounts"), 6);
  EXPECT_EQ(count_of(job.counts, "sections"), 2);
  EXPECT_EQ(count_of(job.counts, "section_memberships"), 2);
  EXPECT_GT(job.batches, 3);  // batches of 2 units
  EXPECT_EQ(count("SELECT COUNT(*) FROM accounts WHERE district_id = 'd1'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sections WHERE district_id = 'd1'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM identities"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sessions"), 1);
  EXPECT_TRUE(account_exists("acct_d2"));
}

TEST_F(RetentionEngineTest, AfterRevocationDefaultsToCompleteDisposalAtOnce) {
  for (int i = 0; i < 3; ++i) add_account("acct_" + std::to_string(i), "d2");
  run(engine());
  EXPECT_EQ(count("SELECT COUNT(*) FROM accounts WHERE district_id = 'd2'"), 3);
  ASSERT_TRUE(revocations_->revoke_district("d2", "lmsgwctl").ok());
  auto report = run(engine());
  ASSERT_EQ(report.completed.size(), 1u);
  EXPECT_EQ(report.completed.front().scope.rule, store::DisposalRule::after_revocation);
  EXPECT_EQ(count("SELECT COUNT(*) FROM accounts WHERE district_id = 'd2'"), 0);
  // The district's withdrawal covered the sessions: no revocation per account.
  EXPECT_EQ(count("SELECT COUNT(*) FROM revocations WHERE scope = 'account'"), 0);
}

TEST_F(RetentionEngineTest, AfterRevocationWaitsTheDirectedDays) {
  set_directive("d1", R"({"after_revocation_days": 10})");
  add_account("acct_a", "d1");
  ASSERT_TRUE(revocations_->revoke_district("d1", "lmsgwctl").ok());
  clock_.advance(9 * kDay);
  run(engine());
  EXPECT_TRUE(account_exists("acct_a"));
  clock_.advance(kDay);
  run(engine());
  EXPECT_FALSE(account_exists("acct_a"));
}

TEST_F(RetentionEngineTest, PartialDisposalRunsOncePerDirectiveVersion) {
  set_directive("d1", R"({"partial": [{"categories": ["section_memberships", "email_hashes"],
                                      "by": "asap"},
                                     {"categories": ["sections"], "by": "2026-03-12"}]})");
  add_account("acct_a", "d1");
  add_account("acct_b", "d1");
  add_section("sec_1", "d1");
  enroll("acct_a", "sec_1");
  enroll("acct_b", "sec_1");
  auto report = run(engine());
  ASSERT_EQ(report.completed.size(), 1u);
  EXPECT_EQ(report.completed.front().scope.partial_entry, 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM enrollments"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM accounts WHERE email_hash IS NOT NULL"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM accounts"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sections"), 1);

  enroll("acct_a", "sec_1");  // the roster brings a membership back: entry 0 is done
  clock_.advance(2 * kDay);   // entry 1 falls due
  report = run(engine());
  ASSERT_EQ(report.completed.size(), 1u);
  EXPECT_EQ(report.completed.front().scope.partial_entry, 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sections"), 0);
  EXPECT_EQ(count_of(report.completed.front().counts, "section_memberships"), 1);
  EXPECT_TRUE(run(engine()).completed.empty());
}

TEST_F(RetentionEngineTest, LegalHoldIsRespectedByEveryKind) {
  set_directive("d1", R"({"after_leaving_roster_days": 0, "inactive_days": 1,
                          "delete_all_by": "2026-03-10",
                          "partial": [{"categories": ["section_memberships", "sections",
                                                      "email_hashes", "accounts"]}]})");
  add_account("acct_held", "d1",
              left_roster("2026-01-01", kStart - 30 * kDay));
  add_account("acct_free", "d1",
              left_roster("2026-01-01", kStart - 30 * kDay));
  add_section("sec_held", "d1");
  add_section("sec_free", "d1");
  enroll("acct_held", "sec_held");
  enroll("acct_free", "sec_held");
  enroll("acct_free", "sec_free");
  DirectiveService service(*store_, *audit_, clock_);
  ASSERT_TRUE(service.place_hold("d1", "acct_held", "court order", "lmsgwctl").ok());
  ASSERT_TRUE(revocations_->revoke_district("d1", "lmsgwctl").ok());
  const std::int64_t held_rows = rows_of("acct_held");

  auto report = run(engine());
  EXPECT_FALSE(report.completed.empty());
  EXPECT_EQ(rows_of("acct_held"), held_rows);
  EXPECT_EQ(count("SELECT COUNT(*) FROM accounts WHERE id = 'acct_held' AND email_hash IS NOT "
                  "NULL"),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sections WHERE id = 'sec_held'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sections WHERE id = 'sec_free'"), 0);
  EXPECT_FALSE(account_exists("acct_free"));
  for (const auto& job : report.completed) EXPECT_EQ(job.held_accounts, 1) << job.id;

  // Released, the next run takes it.
  ASSERT_TRUE(service.release_hold("d1", "acct_held", "lmsgwctl").ok());
  run(engine());
  EXPECT_EQ(rows_of("acct_held"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sections"), 0);
}

TEST_F(RetentionEngineTest, AccountsDeletedOutsideARevokedDistrictLoseTheirSessionsAtOnce) {
  set_directive("d1", R"({"inactive_days": 10})");
  add_account("acct_a", "d1", signed_in(kStart - 20 * kDay));
  const auto cell = epochs_.account("acct_a");
  run(engine());
  EXPECT_TRUE(cell->revokes(kStart - std::chrono::seconds(60)));
  EXPECT_EQ(count("SELECT COUNT(*) FROM revocations WHERE subject_id = 'acct_a'"), 1);
}

TEST_F(RetentionEngineTest, AnInterruptedJobResumesAndCompletesWithOneCertificate) {
  for (int i = 0; i < 9; ++i) add_account("acct_" + std::to_string(i), "d1");
  ASSERT_TRUE(revocations_->revoke_district("d1", "lmsgwctl").ok());
  RetentionEngine& first = engine({}, 2);
  first.set_batch_limit_for_test(2);
  auto report = run(first);
  EXPECT_TRUE(report.completed.empty());
  ASSERT_EQ(report.interrupted.size(), 1u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM accounts"), 5);
  auto unfinished = store_->unfinished_jobs("");
  ASSERT_TRUE(unfinished.ok());
  ASSERT_EQ(unfinished->size(), 1u);
  EXPECT_EQ(unfinished->front().batches, 2);
  EXPECT_EQ(count_of(unfinished->front().counts, "accounts"), 4);
  EXPECT_EQ(certificates(), 0);

  clock_.advance(std::chrono::minutes(5));
  report = run(engine({}, 2));
  ASSERT_EQ(report.completed.size(), 1u);
  const store::DisposalJob& job = report.completed.front();
  EXPECT_EQ(job.id, unfinished->front().id);
  EXPECT_EQ(count_of(job.counts, "accounts"), 9);
  EXPECT_EQ(job.started_at, kStart);
  EXPECT_EQ(job.finished_at, kStart + std::chrono::minutes(5));
  EXPECT_EQ(count("SELECT COUNT(*) FROM accounts"), 0);
  EXPECT_EQ(certificates(), 1);
  EXPECT_TRUE(run(engine()).completed.empty());
  EXPECT_EQ(certificates(), 1);

  int completed_events = 0;
  for (const auto& event : audit_events("d1")) {
    if (event.action != "disposal.completed") continue;
    ++completed_events;
    EXPECT_EQ(event.actor, "retention");
    EXPECT_EQ(event.object, job.certificate_id.value_or("?"));
    EXPECT_EQ(count_of(event.counts, "accounts"), 9);
  }
  EXPECT_EQ(completed_events, 1);
}

TEST_F(RetentionEngineTest, CertificateIsSignedAndNamesNoAccount) {
  set_directive("d1", R"({"inactive_days": 10})");
  add_account("acct_secret_1", "d1", signed_in(kStart - 20 * kDay));
  auto report = run(engine());
  ASSERT_EQ(report.completed.size(), 1u);
  auto stored = store_->certificate(*report.completed.front().certificate_id);
  ASSERT_TRUE(stored.ok());
  ASSERT_TRUE(stored->has_value());
  auto verified = verify_certificate((*stored)->jws, signer_.keys());
  ASSERT_TRUE(verified.ok()) << verified.error().detail;
  const boost::json::object& doc = verified->document;
  EXPECT_EQ(doc.at("certificate_id").as_string(), (*stored)->id);
  EXPECT_EQ(doc.at("district").as_string(), "d1");
  EXPECT_EQ(doc.at("rule").as_string(), "inactive");
  EXPECT_EQ(doc.at("directive").at("version").as_int64(), 1);
  EXPECT_EQ(doc.at("directive").at("id").as_string(), "directive:d1:v1");
  EXPECT_EQ(doc.at("counts").at("accounts").as_int64(), 1);
  EXPECT_EQ(doc.at("gateway_instance").as_string(), "gw-test");
  EXPECT_EQ(doc.at("started_at").as_string(), "2026-03-10T12:00:00Z");
  EXPECT_EQ(boost::json::serialize(doc).find("acct_"), std::string::npos);
}

}  // namespace
}  // namespace lmsgw::directives
