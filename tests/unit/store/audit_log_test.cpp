#include "store/audit_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "store/sqlite/sqlite_account_store.h"
#include "tests/support/temp_dir.h"

namespace lmsgw::store {
namespace {

using ::testing::HasSubstr;

const TimePoint kNow{std::chrono::seconds(1'764'000'000)};  // 2025-11-24T16:00:00Z

class AuditLogTest : public ::testing::Test {
 protected:
  AuditLogTest() {
    const std::string path = (dir_.path() / "lmsgw.db").string();
    accounts_ = std::move(*open_sqlite_store({.path = path}));
    log_ = std::move(*open_sqlite_audit_log(path));
  }

  AuditEvent event(std::string district, std::string action, TimePoint at = kNow) {
    AuditEvent out;
    out.at = at;
    out.district_id = std::move(district);
    out.actor = "lmsgwctl";
    out.action = std::move(action);
    out.object = "42";
    out.counts = {{"accounts", 3}, {"sessions", 7}};
    return out;
  }

  lmsgw::testing::TempDir dir_;
  std::unique_ptr<AccountStore> accounts_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, EventsComeBackPerDistrictInOrderWithTheirCounts) {
  AuditEvent first = event("springfield", "district.revoked");
  first.id = *log_->append(first);
  ASSERT_TRUE(log_->append(event("shelbyville", "directive.set")).ok());
  AuditEvent second = event("springfield", "disposal.completed", kNow + std::chrono::hours(1));
  second.id = *log_->append(second);

  auto listed = log_->list({.district_id = "springfield"});
  ASSERT_TRUE(listed.ok()) << listed.error().detail;
  EXPECT_EQ(*listed, (std::vector<AuditEvent>{first, second}));
}

TEST_F(AuditLogTest, SinceAndAfterIdPageThroughTheLog) {
  std::vector<std::int64_t> ids;
  for (int hour = 0; hour < 5; ++hour) {
    ids.push_back(*log_->append(event("springfield", "sync.run", kNow + std::chrono::hours(hour))));
  }
  auto since = log_->list({.district_id = "springfield", .since = kNow + std::chrono::hours(3)});
  ASSERT_EQ(since->size(), 2u);
  EXPECT_EQ((*since)[0].id, ids[3]);

  auto page = log_->list({.district_id = "springfield", .after_id = ids[1], .limit = 2});
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, ids[2]);
  EXPECT_EQ((*page)[1].id, ids[3]);
}

TEST_F(AuditLogTest, EventsOverTheLimitsOrWithControlCharactersAreRefused) {
  AuditEvent long_actor = event("springfield", "x");
  long_actor.actor.assign(kMaxAuditActor + 1, 'a');
  EXPECT_FALSE(log_->append(long_actor).ok());

  AuditEvent escape = event("springfield", "x");
  escape.object = "id\x1b[2J";
  auto refused = log_->append(escape);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().detail, HasSubstr("object"));

  AuditEvent no_action = event("springfield", "");
  EXPECT_FALSE(log_->append(no_action).ok());

  AuditEvent many = event("springfield", "x");
  for (std::size_t i = 0; i <= kMaxAuditCounts; ++i) many.counts.emplace_back("c", 1);
  EXPECT_FALSE(log_->append(many).ok());
  EXPECT_TRUE(log_->list({.district_id = "springfield"})->empty());
}

TEST_F(AuditLogTest, TheExportLineIsOneJsonObjectWithUtcTime) {
  AuditEvent logged = event("springfield", "district.revoked");
  logged.id = 9;
  EXPECT_EQ(audit_event_json(logged),
            R"({"id":9,"at":"2025-11-24T16:00:00Z","district":"springfield","actor":"lmsgwctl",)"
            R"("action":"district.revoked","object":"42","counts":{"accounts":3,"sessions":7}})");
}

}  // namespace
}  // namespace lmsgw::store
