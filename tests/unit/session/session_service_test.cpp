#include "session/session_service.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/time.h"
#include "lmsgw/sdk/testing/mocks.h"
#include "session/forward_auth.h"
#include "session/revocation.h"
#include "store/sqlite/sqlite_account_store.h"
#include "tests/support/temp_dir.h"

namespace lmsgw::session {
namespace {

using namespace std::chrono_literals;

class SessionServiceTest : public ::testing::Test {
 protected:
  SessionServiceTest()
      : path_(dir_.path() / "lmsgw.db"), clock_(time::from_unix_seconds(1'700'000'000)) {
    store_ = std::move(*store::open_sqlite_store({.path = path_.string()}));
    EXPECT_TRUE(store_->ensure_district("springfield", clock_.now()).ok());
    audit_ = std::move(*store::open_sqlite_audit_log(path_.string()));
    minimizer_.emplace(std::move(*identity::Minimizer::create(sdk::Secret(std::string(40, 'p')))));
  }

  store::StoredAccount account(sdk::Role role, std::optional<sdk::CivilDate> birthdate) {
    sdk::ExternalIdentity identity;
    identity.subject = "subject-" + std::to_string(++subjects_);
    identity.role = role;
    identity.given_name = "Ana";
    identity.birthdate = birthdate;
    auto minimized = minimizer_->minimize(identity, "clever", "springfield", {},
                                          time::civil_date_utc(clock_.now()));
    return *store_->upsert_from_sign_in(*minimized, "clever", clock_.now());
  }

  http::Response check(const ForwardAuth& auth, const std::string& session_id) {
    const std::string cookie = "other=1; lmsgw_session=" + session_id;
    http::Request request;
    request.headers.push_back({"Cookie", cookie});
    return auth.check(request);
  }

  lmsgw::testing::TempDir dir_;
  std::filesystem::path path_;
  sdk::testing::FixedClock clock_;
  std::unique_ptr<store::AccountStore> store_;
  std::unique_ptr<store::AuditLog> audit_;
  std::optional<identity::Minimizer> minimizer_;
  RevocationEpochs epochs_;
  SessionCache cache_;
  int subjects_ = 0;
};

// A header of the response, wherever the handler put it (its list or the prepared block).
std::string header(const http::Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  if (response.prepared != nullptr) {
    const std::string& text = response.prepared->text();
    const std::string prefix = std::string(name) + ": ";
    for (std::size_t at = 0; at < text.size();) {
      const std::size_t end = text.find("\r\n", at);
      if (text.compare(at, prefix.size(), prefix) == 0) {
        return text.substr(at + prefix.size(), end - at - prefix.size());
      }
      at = end + 2;
    }
  }
  return "<absent>";
}

int header_count(const http::Response& response) {
  int count = static_cast<int>(response.headers.size());
  if (response.prepared != nullptr) {
    const std::string& text = response.prepared->text();
    for (std::size_t at = text.find("\r\n"); at != std::string::npos;
         at = text.find("\r\n", at + 2)) {
      ++count;
    }
  }
  return count;
}

TEST_F(SessionServiceTest, StartedSessionIsFoundAndStoredOnlyAsAHash) {
  SessionService sessions(*store_, cache_, epochs_, clock_, 3600s);
  auto started = sessions.start(account(sdk::Role::student, sdk::CivilDate{2015, 3, 4}));
  ASSERT_TRUE(started.ok());
  EXPECT_EQ(started->id.size(), 43u);
  ASSERT_NE(sessions.find(started->id), nullptr);
  EXPECT_EQ(sessions.find(started->id)->display_name, "Ana");
  // The store knows the session by hash: a fresh cache loads it, the raw id is nowhere.
  SessionCache fresh;
  SessionService reloaded(*store_, fresh, epochs_, clock_, 3600s);
  EXPECT_EQ(*reloaded.load_from_store(), 1u);
  EXPECT_NE(reloaded.find(started->id), nullptr);
}

TEST_F(SessionServiceTest, ExpiredEndedAndMalformedSessionsAreNotFound) {
  SessionService sessions(*store_, cache_, epochs_, clock_, 3600s);
  auto started = sessions.start(account(sdk::Role::teacher, std::nullopt));
  clock_.advance(3601s);
  EXPECT_EQ(sessions.find(started->id), nullptr);
  clock_.advance(-3601s);
  EXPECT_TRUE(*sessions.end(started->id));
  EXPECT_EQ(sessions.find(started->id), nullptr);
  EXPECT_FALSE(*sessions.end(started->id));
  EXPECT_EQ(sessions.find("short"), nullptr);
  EXPECT_EQ(sessions.find(std::string(43, '!')), nullptr);
}

TEST_F(SessionServiceTest, ForwardAuthAnswersWithThePlatformHeadersOnly) {
  SessionService sessions(*store_, cache_, epochs_, clock_, 3600s);
  const store::StoredAccount student = account(sdk::Role::student, sdk::CivilDate{2015, 3, 4});
  auto started = sessions.start(student);
  ForwardAuth auth(sessions, nullptr, "lmsgw_session", clock_);

  http::Response ok = check(auth, started->id);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(header(ok, "X-Account-Id"), student.id);
  EXPECT_EQ(header(ok, "X-Account-Role"), "student");
  EXPECT_EQ(header(ok, "X-District-Id"), "springfield");
  EXPECT_EQ(header(ok, "X-Age-Band"), "under13");
  EXPECT_EQ(header(ok, "X-Display-Name"), "Ana");
  EXPECT_EQ(header_count(ok), 6);  // the five identity headers and Cache-Control
  EXPECT_TRUE(ok.body.empty());
  EXPECT_TRUE(ok.content_type.empty());

  EXPECT_EQ(check(auth, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").status, 401);
  http::Request no_cookie;
  EXPECT_EQ(auth.check(no_cookie).status, 401);
}

TEST_F(SessionServiceTest, AgeBandErrsOnTheYoungSideUntilTheAgeIsRecomputed) {
  SessionService sessions(*store_, cache_, epochs_, clock_, 3600s * 24 * 365 * 5);
  // 14 November 2023: born 15 November 2010, so 12 today and 13 tomorrow. Only the age (12,
  // computed today) is kept, so the session keeps saying under13 until the lower bound of
  // the age reaches 13, a year on; a new sign-in recomputes the age from the birthdate.
  auto started = sessions.start(account(sdk::Role::student, sdk::CivilDate{2010, 11, 15}));
  ForwardAuth auth(sessions, nullptr, "lmsgw_session", clock_);
  EXPECT_EQ(header(check(auth, started->id), "X-Age-Band"), "under13");
  clock_.advance(24h);
  EXPECT_EQ(header(check(auth, started->id), "X-Age-Band"), "under13");
  auto recomputed = sessions.start(account(sdk::Role::student, sdk::CivilDate{2010, 11, 15}));
  EXPECT_EQ(header(check(auth, recomputed->id), "X-Age-Band"), "13plus");
  clock_.advance(365 * 24h);
  EXPECT_EQ(header(check(auth, started->id), "X-Age-Band"), "13plus");
}

TEST_F(SessionServiceTest, UnknownAgeCountsAsUnderThirteen) {
  SessionService sessions(*store_, cache_, epochs_, clock_, 3600s);
  auto started = sessions.start(account(sdk::Role::student, std::nullopt));
  ForwardAuth auth(sessions, nullptr, "lmsgw_session", clock_);
  EXPECT_EQ(header(check(auth, started->id), "X-Age-Band"), "under13");
}

TEST_F(SessionServiceTest, RevokingAnAccountOrADistrictRefusesItsSessionsAtOnce) {
  SessionService sessions(*store_, cache_, epochs_, clock_, 3600s);
  RevocationService revocations(*store_, *audit_, epochs_, clock_);
  const store::StoredAccount first = account(sdk::Role::student, std::nullopt);
  const store::StoredAccount second = account(sdk::Role::teacher, std::nullopt);
  auto a = sessions.start(first);
  auto b = sessions.start(second);
  clock_.advance(1s);

  ASSERT_TRUE(revocations.revoke_account(first.id, "test").ok());
  EXPECT_EQ(sessions.find(a->id), nullptr);
  EXPECT_NE(sessions.find(b->id), nullptr);

  ASSERT_TRUE(revocations.revoke_district("springfield", "test").ok());
  EXPECT_EQ(sessions.find(b->id), nullptr);
  EXPECT_TRUE(*revocations.district_withdrawn("springfield"));
  auto audited = audit_->list({.district_id = "springfield"});
  ASSERT_EQ(audited->size(), 2u);
  EXPECT_EQ((*audited)[0].action, "account.revoked");
  EXPECT_EQ((*audited)[0].object, first.id);
  EXPECT_EQ((*audited)[1].action, "district.revoked");
  EXPECT_EQ((*audited)[1].actor, "test");
  // The store deleted what the revocations cover; the cache drops them at its next purge.
  EXPECT_EQ(store_->live_sessions(clock_.now())->size(), 0u);
  EXPECT_EQ(cache_.purge(clock_.now()), 2u);
  EXPECT_EQ(cache_.size(), 0u);

  // A session started after the revocation is not covered by it (sign-in refuses new ones
  // while the district is withdrawn; SignInService).
  clock_.advance(1s);
  auto fresh = sessions.start(second);
  EXPECT_NE(sessions.find(fresh->id), nullptr);
}

TEST_F(SessionServiceTest, ARevocationRecordedByAnotherProcessAppliesOnCatchUp) {
  SessionService sessions(*store_, cache_, epochs_, clock_, 3600s);
  RevocationService here(*store_, *audit_, epochs_, clock_);
  auto started = sessions.start(account(sdk::Role::student, std::nullopt));
  clock_.advance(1s);

  // Another process (lmsgwctl, a replica) shares the database but not our memory.
  RevocationEpochs elsewhere_epochs;
  RevocationService elsewhere(*store_, *audit_, elsewhere_epochs, clock_);
  ASSERT_TRUE(elsewhere.revoke_district("springfield", "test").ok());
  EXPECT_NE(sessions.find(started->id), nullptr) << "not applied here yet";
  EXPECT_EQ(*here.catch_up(), 1u);
  EXPECT_EQ(sessions.find(started->id), nullptr);
  EXPECT_EQ(*here.catch_up(), 0u);
}

}  // namespace
}  // namespace lmsgw::session
