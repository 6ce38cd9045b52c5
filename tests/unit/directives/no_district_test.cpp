// An account of no district (a sign-in that came through no district, e.g. a guardian through
// Facebook) falls under no district's directive: no retention rule of any district disposes of
// it, no district lists or holds it; only an individual deletion reaches it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "directives/account_deletion.h"
#include "directives/directive_service.h"
#include "directives/retention_engine.h"
#include "tests/unit/directives/directives_fixture.h"

namespace lmsgw::directives::testing {
namespace {

class NoDistrictTest : public DirectivesFixture {
 protected:
  void SetUp() override {
    DirectivesFixture::SetUp();
    add_district("d1");
    add_account("acct_d1", "d1", never_signed_in(kStart - 400 * kDay));
    add_section("sect_d1", "d1");
    enroll("acct_d1", "sect_d1");
    // Inactive for long, with an email hash, an identity link, a session and a membership in
    // d1's section: whatever a d1 rule could match, except the district.
    add_account(kOrphan, "d1", never_signed_in(kStart - 400 * kDay));
    exec("UPDATE accounts SET district_id = NULL WHERE id = '" + kOrphan + "'");
    enroll(kOrphan, "sect_d1");
  }

  const std::string kOrphan = "acct_nodistrict";
};

TEST_F(NoDistrictTest, NoDistrictsDirectiveDisposesOfItListsItOrHoldsIt) {
  ASSERT_EQ(count("SELECT COUNT(*) FROM accounts WHERE district_id IS NULL"), 1);
  DirectiveService service(*store_, *audit_, clock_);
  ASSERT_TRUE(service
                  .set("d1", R"({"inactive_days": 1, "partial": [{"categories":
                                 ["email_hashes", "section_memberships"]}]})",
                       "lmsgwctl")
                  .ok());
  ASSERT_TRUE(revocations_->revoke_district("d1", "lmsgwctl").ok());
  RetentionEngine engine(*store_, *accounts_, *revocations_, *audit_, signer_,
                         RetentionSettings{{}, 2, "gw-test"}, clock_);
  clock_.advance(2 * kDay);
  for (const std::string_view district : {std::string_view("d1"), std::string_view()}) {
    auto report = engine.run(clock_.now(), district);
    ASSERT_TRUE(report.ok()) << report.error().detail;
  }

  // d1 is gone, its section with it; the account of no district keeps every row but the
  // membership in d1's section, which went with the section.
  EXPECT_EQ(count("SELECT COUNT(*) FROM accounts WHERE district_id = 'd1'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM sections"), 0);
  EXPECT_EQ(rows_of(kOrphan), 3);  // account, identity link, session
  EXPECT_EQ(count("SELECT COUNT(*) FROM accounts WHERE id = '" + kOrphan +
                  "' AND email_hash IS NOT NULL"),
            1);
  // No certificate counts it.
  EXPECT_EQ(count("SELECT COUNT(*) FROM disposal_certificates"), 1);

  // No district may hold it (the admin API answers 404), nor lists it.
  auto held = service.place_hold("d1", kOrphan, "records", "lmsgwctl");
  ASSERT_FALSE(held.ok());
  EXPECT_EQ(held.error().code, sdk::ErrorCode::not_permitted);
  auto holds = service.holds("d1", true, 100);
  ASSERT_TRUE(holds.ok());
  EXPECT_TRUE(holds->empty());
  auto district = store_->account_district(kOrphan);
  ASSERT_TRUE(district.ok());
  EXPECT_EQ(*district, std::optional<std::string>(""));

  // An individual deletion (a provider's data-deletion signal) reaches it, audited under no
  // district.
  AccountDeleter deleter(*store_, *revocations_, *audit_, clock_);
  auto deleted = deleter.delete_account(kOrphan, "webhook:facebook", "provider_data_deletion");
  ASSERT_TRUE(deleted.ok()) << deleted.error().detail;
  EXPECT_EQ(deleted->outcome, AccountDeletion::Outcome::deleted);
  EXPECT_EQ(rows_of(kOrphan), 0);
  for (const auto& event : audit_events("d1")) {
    EXPECT_THAT(event.object, ::testing::Not(::testing::HasSubstr(kOrphan))) << event.action;
  }
}

}  // namespace
}  // namespace lmsgw::directives::testing
