#include "directives/account_deletion.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "directives/directive_service.h"
#include "tests/unit/directives/directives_fixture.h"

namespace lmsgw::directives {
namespace {

using ::testing::HasSubstr;
using testing::DirectivesFixture;

using Counts = std::vector<std::pair<std::string, std::int64_t>>;

class AccountDeletionTest : public DirectivesFixture {
 protected:
  void SetUp() override {
    DirectivesFixture::SetUp();
    add_district("d1");
    add_district("d2");
    add_account("acct_a", "d1");
    add_account("acct_b", "d1");
    add_section("sec_1", "d1");
    enroll("acct_a", "sec_1");
    enroll("acct_b", "sec_1");
  }

  AccountDeleter deleter() { return AccountDeleter(*store_, *revocations_, *audit_, clock_); }
  DirectiveService service() { return DirectiveService(*store_, *audit_, clock_); }
};

TEST_F(AccountDeletionTest, DeletesEveryRowOfTheAccountAndEndsItsSessions) {
  const auto session_cell = epochs_.account("acct_a");
  ASSERT_FALSE(session_cell->revokes(clock_.now() - std::chrono::seconds(60)));
  auto deleted = deleter().delete_account("acct_a", "district-admin:t1", "guardian_request");
  ASSERT_TRUE(deleted.ok()) << deleted.error().detail;
  EXPECT_EQ(deleted->outcome, AccountDeletion::Outcome::deleted);
  // The revocation deleted the session rows before the account's transaction ran.
  EXPECT_EQ(deleted->counts, (Counts{{"accounts", 1},
                                     {"identities", 1},
                                     {"sessions", 0},
                                     {"section_memberships", 1}}));
  EXPECT_EQ(rows_of("acct_a"), 0);
  EXPECT_EQ(rows_of("acct_b"), 4);  // its row, link, session and membership stay
  EXPECT_EQ(count("SELECT COUNT(*) FROM enrollments"), 1);
  // The session issued before the deletion is refused in memory at once.
  EXPECT_TRUE(session_cell->revokes(clock_.now() - std::chrono::seconds(60)));

  const auto events = audit_events("d1");
  ASSERT_FALSE(events.empty());
  const store::AuditEvent& last = events.back();
  EXPECT_EQ(last.action, "account.deleted");
  EXPECT_EQ(last.actor, "district-admin:t1");
  EXPECT_EQ(last.object, "acct_a; reason=guardian_request");
  EXPECT_EQ(last.counts, deleted->counts);
}

TEST_F(AccountDeletionTest, UnknownAccountIsNotFound) {
  auto deleted = deleter().delete_account("acct_none", "lmsgwctl", "guardian_request");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->outcome, AccountDeletion::Outcome::not_found);
  auto again = deleter().delete_account("acct_a", "lmsgwctl", "guardian_request");
  ASSERT_TRUE(again.ok());
  again = deleter().delete_account("acct_a", "lmsgwctl", "guardian_request");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, AccountDeletion::Outcome::not_found);
}

TEST_F(AccountDeletionTest, RefusesAMalformedReason) {
  const std::vector<std::string> reasons = {"", "Guardian request", "x\n",
                                           std::string(41, 'a')};
  for (const std::string& reason : reasons) {
    auto deleted = deleter().delete_account("acct_a", "lmsgwctl", reason);
    ASSERT_FALSE(deleted.ok()) << reason;
    EXPECT_EQ(deleted.error().code, sdk::ErrorCode::invalid_request);
  }
  EXPECT_TRUE(account_exists("acct_a"));
}

TEST_F(AccountDeletionTest, LegalHoldKeepsEveryRowUntilReleased) {
  auto hold = service().place_hold("d1", "acct_a", "litigation 2026-17", "lmsgwctl");
  ASSERT_TRUE(hold.ok()) << hold.error().detail;
  const auto session_cell = epochs_.account("acct_a");

  auto deleted = deleter().delete_account("acct_a", "webhook:facebook", "provider_data_deletion");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->outcome, AccountDeletion::Outcome::held);
  EXPECT_EQ(rows_of("acct_a"), 4);
  EXPECT_FALSE(session_cell->revokes(clock_.now() - std::chrono::seconds(60)));
  EXPECT_EQ(audit_events("d1").back().action, "account.deletion_held");

  auto released = service().release_hold("d1", "acct_a", "lmsgwctl");
  ASSERT_TRUE(released.ok());
  ASSERT_TRUE(released->has_value());
  EXPECT_EQ((*released)->released_by, "lmsgwctl");
  deleted = deleter().delete_account("acct_a", "webhook:facebook", "provider_data_deletion");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->outcome, AccountDeletion::Outcome::deleted);
  EXPECT_EQ(rows_of("acct_a"), 0);
}

TEST_F(AccountDeletionTest, HoldsAreScopedToTheirDistrictAndAudited) {
  auto foreign = service().place_hold("d2", "acct_a", "reason", "district-admin:t2");
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().code, sdk::ErrorCode::not_permitted);
  auto placed = service().place_hold("d1", "acct_a", "reason", "district-admin:t1");
  ASSERT_TRUE(placed.ok());
  auto twice = service().place_hold("d1", "acct_a", "reason", "district-admin:t1");
  ASSERT_FALSE(twice.ok());
  EXPECT_THAT(twice.error().detail, HasSubstr("already held"));
  auto long_reason = service().place_hold("d1", "acct_b", std::string(501, 'x'), "lmsgwctl");
  ASSERT_FALSE(long_reason.ok());
  EXPECT_EQ(long_reason.error().code, sdk::ErrorCode::limit_exceeded);

  auto not_released = service().release_hold("d2", "acct_a", "district-admin:t2");
  ASSERT_TRUE(not_released.ok());
  EXPECT_FALSE(not_released->has_value());

  auto listed = service().holds("d1", false, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().account_id, "acct_a");
  EXPECT_EQ(listed->front().reason, "reason");

  const auto events = audit_events("d1");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().action, "legal_hold.placed");
  EXPECT_EQ(events.back().object, "acct_a");
  for (const auto& event : events) EXPECT_EQ(event.object.find("reason"), std::string::npos);
}

TEST_F(AccountDeletionTest, DirectiveVersionsAreKeptAndAudited) {
  auto first = service().set("d1", R"({"inactive_days": 365})", "lmsgwctl");
  ASSERT_TRUE(first.ok()) << first.error().detail;
  EXPECT_EQ(first->version, 1);
  auto second = service().set("d1", R"({"inactive_days": 30, "after_revocation_days": 5})",
                              "district-admin:t1");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->version, 2);
  EXPECT_EQ(second->document, R"({"inactive_days":30,"after_revocation_days":5})");
  auto bad = service().set("d1", R"({"inactive_days": -3})", "lmsgwctl");
  ASSERT_FALSE(bad.ok());
  auto unknown = service().set("d9", "{}", "lmsgwctl");
  ASSERT_FALSE(unknown.ok());

  auto history = service().history("d1", 10);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].version, 2);
  EXPECT_EQ((*history)[1].document, R"({"inactive_days":365})");
  auto current = service().current("d1");
  ASSERT_TRUE(current.ok());
  EXPECT_EQ((*current)->version, 2);
  EXPECT_EQ(store_->directive_history("d2", 10)->size(), 0u);

  std::vector<std::string> objects;
  for (const auto& event : audit_events("d1")) {
    if (event.action == "directive.set") objects.push_back(event.object);
  }
  EXPECT_EQ(objects, (std::vector<std::string>{"directive:d1:v1", "directive:d1:v2"}));
}

}  // namespace
}  // namespace lmsgw::directives
