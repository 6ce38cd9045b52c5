#include "store/sqlite/sqlite_account_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "common/crypto.h"
#include "identity/minimizer.h"
#include "tests/support/temp_dir.h"

namespace lmsgw::store {
namespace {

namespace fs = std::filesystem;
using identity::AccountRole;
using identity::AgeRecord;
using identity::Minimized;
using ::testing::HasSubstr;
using ::testing::Not;

const TimePoint kNow{std::chrono::seconds(1'725'350'400)};  // 2024-09-03T08:00:00Z
constexpr std::chrono::hours kHour{1};

using lmsgw::testing::TempDir;

// Direct access to the file, for what the store's interface deliberately cannot do.
class RawDb {
 public:
  explicit RawDb(const fs::path& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    sqlite3_busy_timeout(db_, 5'000);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // The SQLite result code of running `sql`.
  int exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
  std::string message() const { return sqlite3_errmsg(db_); }

  // The first column of the first row as text ("" when there is no row).
  std::string scalar(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << message();
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(stmt, 0);
      if (text != nullptr) out = reinterpret_cast<const char*>(text);
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

Minimized student(std::string_view subject, std::string name = "Maya") {
  Minimized out;
  out.key.subject_hash = crypto::sha256(subject);
  out.account.role = AccountRole::student;
  out.account.district_id = "d1";
  out.account.display_name = std::move(name);
  out.account.age = AgeRecord{11, {2024, 9, 3}};
  out.account.email_hash = crypto::sha256(std::string(subject) + "@mail");
  return out;
}

Minimized teacher(std::string_view subject) {
  Minimized out;
  out.key.subject_hash = crypto::sha256(subject);
  out.account.role = AccountRole::teacher;
  out.account.district_id = "d1";
  out.account.display_name = "Dana";
  out.account.email = "dana@example.net";
  out.account.email_hash = crypto::sha256("dana@example.net");
  return out;
}

SessionRecord session_for(const std::string& account_id, std::string_view id, TimePoint expires) {
  return SessionRecord{crypto::sha256(id), account_id, kNow, expires};
}

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The database and whatever WAL and shared-memory files exist next to it.
std::string all_database_bytes(const fs::path& db) {
  std::string out;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    const fs::path file = db.string() + suffix;
    if (fs::exists(file)) out += file_bytes(file);
  }
  return out;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  fs::path db_path() const { return dir_.path() / "accounts.db"; }

  std::unique_ptr<AccountStore> open(bool migrate = true) {
    auto store = open_sqlite_store({db_path().string(), migrate, 5'000});
    EXPECT_TRUE(store.ok()) << store.error().detail;
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // An open store with district "d1" registered.
  std::unique_ptr<AccountStore> open_with_district() {
    auto store = open();
    EXPECT_TRUE(store->ensure_district("d1", kNow).ok());
    return store;
  }

  TempDir dir_;
};

// ---------------------------------------------------------------------------------------
// Schema and migrations

TEST_F(SqliteStoreTest, MigratesAnEmptyDatabaseToTheLatestSchema) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto version = store->schema_version();
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, sqlite_latest_schema_version());
  EXPECT_GE(sqlite_latest_schema_version(), 1);

  RawDb raw(db_path());
  EXPECT_EQ(raw.scalar("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM schema_migrations"),
            std::to_string(sqlite_latest_schema_version()));
  for (const char* table : {"districts", "accounts", "identities", "sessions"}) {
    EXPECT_EQ(raw.scalar(std::string("SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                     "AND name = '") +
                         table + "'"),
              "1")
        << table;
  }
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'index' "
                       "AND name = 'sessions_by_expiry'"),
            "1");
}

TEST_F(SqliteStoreTest, ReopeningIsIdempotentAndKeepsData) {
  std::string account_id;
  {
    auto store = open_with_district();
    auto account = store->upsert_from_sign_in(student("s1"), "clever", kNow);
    ASSERT_TRUE(account.ok()) << account.error().detail;
    account_id = account->id;
  }
  for (int i = 0; i < 2; ++i) {
    auto store = open();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(*store->schema_version(), sqlite_latest_schema_version());
    auto found = store->find_account(account_id);
    ASSERT_TRUE(found.ok());
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->account.display_name, "Maya");
  }
  RawDb raw(db_path());
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM schema_migrations"),
            std::to_string(sqlite_latest_schema_version()));
}

// The schema release 0.1 wrote (versions 1 and 2), as an old database on disk would hold it.
constexpr std::string_view kVersion2Database = R"sql(
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY NOT NULL,
  applied_at INTEGER NOT NULL) STRICT;
INSERT INTO schema_migrations VALUES (1, 0), (2, 0);
CREATE TABLE districts (id TEXT PRIMARY KEY NOT NULL, created_at INTEGER NOT NULL) STRICT;
CREATE TABLE accounts (
  id TEXT PRIMARY KEY NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('student', 'teacher', 'district_admin')),
  district_id TEXT NULL REFERENCES districts (id),
  display_name TEXT NOT NULL, age_years INTEGER NULL, age_computed_on TEXT NULL,
  email_hash BLOB NULL, email TEXT NULL, created_at INTEGER NOT NULL,
  last_sign_in_at INTEGER NOT NULL) STRICT;
CREATE INDEX accounts_by_district ON accounts (district_id);
CREATE INDEX accounts_by_email_hash ON accounts (email_hash);
CREATE TABLE identities (
  subject_hash BLOB PRIMARY KEY NOT NULL,
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  connection_id TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT;
CREATE INDEX identities_by_account ON identities (account_id);
CREATE TABLE sessions (
  id_hash BLOB PRIMARY KEY NOT NULL,
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL) STRICT;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_account ON sessions (account_id);
CREATE TABLE revocations (id INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT NOT NULL,
  subject_id TEXT NOT NULL, revoked_through INTEGER NOT NULL) STRICT;
INSERT INTO districts VALUES ('d1', 0);
INSERT INTO accounts VALUES ('acct_old', 'teacher', 'd1', 'Dana', NULL, NULL, NULL,
  'dana@example.net', 0, 0);
INSERT INTO identities VALUES (zeroblob(32), 'acct_old', 'clever', 0);
INSERT INTO sessions VALUES (randomblob(32), 'acct_old', 0, 4102444800);
)sql";

// Rebuilding the accounts table for the guardian role must not cascade into its children.
TEST_F(SqliteStoreTest, UpgradingAnOldDatabaseKeepsAccountsWithTheirIdentitiesAndSessions) {
  {
    RawDb raw(db_path());
    ASSERT_EQ(raw.exec(std::string(kVersion2Database)), SQLITE_OK) << raw.message();
  }
  auto store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->schema_version(), sqlite_latest_schema_version());
  auto found = store->find_account("acct_old");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->account.email, "dana@example.net");

  RawDb raw(db_path());
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM identities"), "1");
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM sessions"), "1");
  EXPECT_EQ(raw.scalar("PRAGMA foreign_key_check"), "");
  // Cascades still work on the rebuilt table.
  ASSERT_EQ(raw.exec("PRAGMA foreign_keys = ON; DELETE FROM accounts WHERE id = 'acct_old'"),
            SQLITE_OK)
      << raw.message();
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM sessions"), "0");
}

TEST_F(SqliteStoreTest, AGuardianAccountKeepsNoPlaintextEmail) {
  auto store = open_with_district();
  Minimized guardian = teacher("g1");
  guardian.account.role = AccountRole::guardian;
  guardian.account.email.reset();
  auto stored = store->upsert_from_sign_in(guardian, "facebook", kNow);
  ASSERT_TRUE(stored.ok()) << stored.error().detail;
  EXPECT_EQ(stored->account.role, AccountRole::guardian);

  RawDb raw(db_path());
  EXPECT_NE(raw.exec("UPDATE accounts SET email = 'parent@example.org' WHERE role = 'guardian'"),
            SQLITE_OK);
}

TEST_F(SqliteStoreTest, RefusesADatabaseFromANewerBuild) {
  open().reset();
  {
    RawDb raw(db_path());
    ASSERT_EQ(raw.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                       std::to_string(sqlite_latest_schema_version() + 1) + ", 0)"),
              SQLITE_OK)
        << raw.message();
  }
  for (bool migrate : {true, false}) {
    auto store = open_sqlite_store({db_path().string(), migrate, 5'000});
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, sdk::ErrorCode::internal);
    EXPECT_THAT(store.error().detail, HasSubstr("newer than this build"));
  }
}

TEST_F(SqliteStoreTest, WithoutMigrateRefusesADatabaseThatNeedsMigration) {
  {
    RawDb raw(db_path());  // creates an empty database file
    ASSERT_EQ(raw.exec("CREATE TABLE unrelated (x)"), SQLITE_OK);
  }
  auto refused = open_sqlite_store({db_path().string(), false, 5'000});
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().detail, HasSubstr("run lmsgwctl migrate"));
  {
    RawDb raw(db_path());
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'accounts'"), "0");
  }

  ASSERT_NE(open(true), nullptr);
  EXPECT_NE(open(false), nullptr);
}

TEST_F(SqliteStoreTest, WithoutMigrateDoesNotCreateAMissingDatabase) {
  auto refused = open_sqlite_store({db_path().string(), false, 5'000});
  EXPECT_FALSE(refused.ok());
  EXPECT_FALSE(fs::exists(db_path()));
}

// ---------------------------------------------------------------------------------------
// Accounts and identities

TEST_F(SqliteStoreTest, UpsertCreatesThenUpdatesTheSameAccount) {
  auto store = open_with_district();
  auto created = store->upsert_from_sign_in(student("s1", "Maya"), "clever", kNow);
  ASSERT_TRUE(created.ok()) << created.error().detail;
  EXPECT_THAT(created->id, ::testing::StartsWith("acct_"));
  EXPECT_EQ(created->account, student("s1", "Maya").account);
  EXPECT_EQ(created->created_at, kNow);
  EXPECT_EQ(created->last_sign_in_at, kNow);

  Minimized renamed = student("s1", "Mia");
  renamed.account.age = AgeRecord{12, {2025, 9, 3}};
  const TimePoint later = kNow + 24 * kHour;
  auto updated = store->upsert_from_sign_in(renamed, "clever", later);
  ASSERT_TRUE(updated.ok()) << updated.error().detail;
  EXPECT_EQ(updated->id, created->id);
  EXPECT_EQ(updated->account.display_name, "Mia");
  EXPECT_EQ(updated->account.age, (AgeRecord{12, {2025, 9, 3}}));
  EXPECT_EQ(updated->created_at, kNow);
  EXPECT_EQ(updated->last_sign_in_at, later);

  auto found = store->find_account(created->id);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, *updated);

  RawDb raw(db_path());
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM accounts"), "1");
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM identities"), "1");
}

TEST_F(SqliteStoreTest, StoredTimesHaveWholeSecondsAndReadBackEqual) {
  auto store = open_with_district();
  const TimePoint fractional = kNow + std::chrono::milliseconds(750);
  auto created = store->upsert_from_sign_in(student("s1"), "clever", fractional);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->created_at, kNow);
  EXPECT_EQ(**store->find_account(created->id), *created);
}

TEST_F(SqliteStoreTest, IdentityIsLinkedBySubjectHash) {
  auto store = open_with_district();
  const Minimized first = student("s1");
  auto a = store->upsert_from_sign_in(first, "clever", kNow);
  auto b = store->upsert_from_sign_in(student("s2"), "google", kNow);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->id, b->id);

  std::string expected_hex = crypto::hex_encode(first.key.subject_hash);
  for (char& c : expected_hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  RawDb raw(db_path());
  EXPECT_EQ(
      raw.scalar("SELECT hex(subject_hash) FROM identities WHERE account_key = (SELECT key FROM "
                 "accounts WHERE id = '" +
                 a->id + "')"),
      expected_hex);
  EXPECT_EQ(raw.scalar("SELECT connection_id FROM identities WHERE account_key = (SELECT key FROM "
                       "accounts WHERE id = '" +
                       a->id + "')"),
            "clever");
}

TEST_F(SqliteStoreTest, AccountIdsAreRandomNotDerived) {
  TempDir other_dir;
  auto first_store = open_with_district();
  auto second_store = open_sqlite_store({(other_dir.path() / "other.db").string(), true, 5'000});
  ASSERT_TRUE(second_store.ok());
  ASSERT_TRUE((*second_store)->ensure_district("d1", kNow).ok());

  auto a = first_store->upsert_from_sign_in(student("same-subject"), "clever", kNow);
  auto b = (*second_store)->upsert_from_sign_in(student("same-subject"), "clever", kNow);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->id, b->id);
  EXPECT_GE(a->id.size(), std::string("acct_").size() + 20);
}

TEST_F(SqliteStoreTest, UnregisteredDistrictIsRefused) {
  auto store = open();
  Minimized identity = student("s1");
  identity.account.district_id = "district-not-configured";
  auto result = store->upsert_from_sign_in(identity, "clever", kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().detail, HasSubstr("district is not registered"));
  EXPECT_THAT(result.error().detail, Not(HasSubstr("district-not-configured")));

  RawDb raw(db_path());
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM accounts"), "0");
}

TEST_F(SqliteStoreTest, AccountWithoutDistrictNeedsNoRegistration) {
  auto store = open();
  Minimized identity = student("s1");
  identity.account.district_id.reset();
  auto result = store->upsert_from_sign_in(identity, "facebook", kNow);
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_FALSE(result->account.district_id.has_value());
}

TEST_F(SqliteStoreTest, EnsureDistrictIsIdempotent) {
  auto store = open();
  EXPECT_TRUE(store->ensure_district("d1", kNow).ok());
  EXPECT_TRUE(store->ensure_district("d1", kNow + kHour).ok());
  RawDb raw(db_path());
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM districts"), "1");
  EXPECT_EQ(raw.scalar("SELECT created_at FROM districts"), std::to_string(1'725'350'400));
}

TEST_F(SqliteStoreTest, TeacherEmailAndStudentAgeRoundTrip) {
  auto store = open_with_district();
  auto t = store->upsert_from_sign_in(teacher("t1"), "clever", kNow);
  auto s = store->upsert_from_sign_in(student("s1"), "clever", kNow);
  ASSERT_TRUE(t.ok()) << t.error().detail;
  ASSERT_TRUE(s.ok()) << s.error().detail;
  EXPECT_EQ((*store->find_account(t->id))->account, teacher("t1").account);
  EXPECT_EQ((*store->find_account(s->id))->account, student("s1").account);

  auto missing = store->find_account("acct_missing");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(SqliteStoreTest, SchemaRejectsPlaintextStudentEmail) {
  open_with_district().reset();
  RawDb raw(db_path());
  EXPECT_EQ(raw.exec("INSERT INTO accounts (id, role, display_name, email, created_at, "
                     "last_sign_in_at) VALUES ('acct_x', 'student', 'Maya', "
                     "'kid@example.org', 0, 0)"),
            SQLITE_CONSTRAINT)
      << raw.message();
  EXPECT_EQ(raw.exec("INSERT INTO accounts (id, role, display_name, email, created_at, "
                     "last_sign_in_at) VALUES ('acct_y', 'teacher', 'Dana', "
                     "'dana@example.org', 0, 0)"),
            SQLITE_OK)
      << raw.message();
  EXPECT_EQ(raw.exec("UPDATE accounts SET role = 'student' WHERE id = 'acct_y'"),
            SQLITE_CONSTRAINT);
  EXPECT_EQ(raw.exec("INSERT INTO accounts (id, role, display_name, created_at, "
                     "last_sign_in_at) VALUES ('acct_z', 'janitor', 'Pat', 0, 0)"),
            SQLITE_CONSTRAINT);
}

TEST_F(SqliteStoreTest, StoreRefusesPlaintextStudentEmailWithoutEchoingIt) {
  auto store = open_with_district();
  Minimized bad = student("s1");
  bad.account.email = "kid.secret@example.org";
  auto result = store->upsert_from_sign_in(bad, "clever", kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().detail, ::testing::StartsWith("sqlite: "));
  EXPECT_THAT(result.error().detail, Not(HasSubstr("kid.secret")));

  RawDb raw(db_path());
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM accounts"), "0");
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM identities"), "0");
}

TEST_F(SqliteStoreTest, AgeWithAnImpossibleDateIsRefused) {
  auto store = open_with_district();
  Minimized bad = student("s1");
  bad.account.age = AgeRecord{11, {2024, 2, 30}};
  EXPECT_FALSE(store->upsert_from_sign_in(bad, "clever", kNow).ok());
  bad.account.age = AgeRecord{11, {12024, 1, 1}};
  EXPECT_FALSE(store->upsert_from_sign_in(bad, "clever", kNow).ok());
}

// ---------------------------------------------------------------------------------------
// Sessions

TEST_F(SqliteStoreTest, SessionsInsertListDeleteAndExpire) {
  auto store = open_with_district();
  auto account = store->upsert_from_sign_in(student("s1"), "clever", kNow);
  ASSERT_TRUE(account.ok());

  const SessionRecord live_a = session_for(account->id, "a", kNow + kHour);
  const SessionRecord live_b = session_for(account->id, "b", kNow + 2 * kHour);
  const SessionRecord expired = session_for(account->id, "c", kNow - kHour);
  const SessionRecord expires_now = session_for(account->id, "d", kNow);
  for (const SessionRecord& s : {live_a, live_b, expired, expires_now}) {
    ASSERT_TRUE(store->insert_session(s).ok());
  }
  EXPECT_FALSE(store->insert_session(live_a).ok()) << "duplicate id hash";

  auto live = store->live_sessions(kNow);
  ASSERT_TRUE(live.ok()) << live.error().detail;
  ASSERT_EQ(live->size(), 2u);
  EXPECT_EQ((*live)[0].session, live_a);
  EXPECT_EQ((*live)[1].session, live_b);
  EXPECT_EQ((*live)[0].account, *account);

  auto deleted = store->delete_session(live_a.id_hash);
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE(*deleted);
  deleted = store->delete_session(live_a.id_hash);
  ASSERT_TRUE(deleted.ok());
  EXPECT_FALSE(*deleted);

  auto removed = store->delete_expired_sessions(kNow);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 2u);

  live = store->live_sessions(kNow);
  ASSERT_TRUE(live.ok());
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].session, live_b);

  RawDb raw(db_path());
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM sessions"), "1");
}

TEST_F(SqliteStoreTest, SessionForUnknownAccountIsRefused) {
  auto store = open();
  auto result = store->insert_session(session_for("acct_nobody", "a", kNow + kHour));
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().detail, HasSubstr("sqlite: insert session: "));
  EXPECT_THAT(result.error().detail, Not(HasSubstr("acct_nobody")));
}

TEST_F(SqliteStoreTest, DeletingAnAccountCascadesToItsLinksAndSessions) {
  std::string id;
  {
    auto store = open_with_district();
    auto account = store->upsert_from_sign_in(student("s1"), "clever", kNow);
    ASSERT_TRUE(account.ok());
    id = account->id;
    ASSERT_TRUE(store->insert_session(session_for(id, "a", kNow + kHour)).ok());
  }
  RawDb raw(db_path());
  ASSERT_EQ(raw.exec("PRAGMA foreign_keys = ON"), SQLITE_OK);
  ASSERT_EQ(raw.exec("DELETE FROM accounts WHERE id = '" + id + "'"), SQLITE_OK);
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM identities"), "0");
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM sessions"), "0");
}

// secure_delete: a deleted row's bytes are overwritten, not left in a free page.
TEST_F(SqliteStoreTest, DeletedSessionLeavesNoBytesBehind) {
  const crypto::Digest marker = crypto::sha256("session-marker");
  {
    auto store = open_with_district();
    auto account = store->upsert_from_sign_in(student("s1"), "clever", kNow);
    ASSERT_TRUE(account.ok());
    ASSERT_TRUE(store->insert_session({marker, account->id, kNow, kNow + kHour}).ok());
    ASSERT_TRUE(store->insert_session(session_for(account->id, "other", kNow + kHour)).ok());
    ASSERT_TRUE(*store->delete_session(marker));
  }
  EXPECT_EQ(all_database_bytes(db_path()).find(crypto::as_view(marker)), std::string::npos);
}

TEST_F(SqliteStoreTest, CheckpointClearsReplacedValuesFromTheWriteAheadLogWhileOpen) {
  auto store = open_with_district();
  ASSERT_TRUE(store->upsert_from_sign_in(teacher("t1"), "clever", kNow).ok());
  Minimized moved = teacher("t1");
  moved.account.email = "dana.new@example.net";
  ASSERT_TRUE(store->upsert_from_sign_in(moved, "clever", kNow + kHour).ok());
  // Read while the store is open: closing it would checkpoint and hide the problem.
  ASSERT_NE(all_database_bytes(db_path()).find("dana@example.net"), std::string::npos)
      << "the old value should still be in the WAL before a checkpoint";
  ASSERT_TRUE(store->checkpoint().ok());
  const std::string bytes = all_database_bytes(db_path());
  EXPECT_EQ(bytes.find("dana@example.net"), std::string::npos);
  EXPECT_NE(bytes.find("dana.new@example.net"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// Concurrency

TEST_F(SqliteStoreTest, ConcurrentUpsertsFromSeveralThreadsSucceed) {
  auto store = open_with_district();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string subject = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!store->upsert_from_sign_in(student(subject), "clever", kNow).ok()) ++failures;
        // Every thread also signs in one shared person: one account, not four.
        if (!store->upsert_from_sign_in(student("shared"), "clever", kNow).ok()) ++failures;
        auto account = store->upsert_from_sign_in(student(subject), "clever", kNow);
        if (!account.ok() ||
            !store->insert_session(session_for(account->id, subject, kNow + kHour)).ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);

  RawDb raw(db_path());
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM accounts"), std::to_string(kThreads * kPerThread + 1));
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM sessions"), std::to_string(kThreads * kPerThread));
}

TEST_F(SqliteStoreTest, TwoStoresOnOneFileWaitForEachOther) {
  auto first = open_with_district();
  auto second = open();
  ASSERT_NE(second, nullptr);
  std::atomic<int> failures{0};
  auto sign_in_many = [&](AccountStore& store, std::string prefix) {
    for (int i = 0; i < 30; ++i) {
      if (!store.upsert_from_sign_in(student(prefix + std::to_string(i)), "clever", kNow).ok()) {
        ++failures;
      }
    }
  };
  std::thread a(sign_in_many, std::ref(*first), "a");
  std::thread b(sign_in_many, std::ref(*second), "b");
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  RawDb raw(db_path());
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM accounts"), "60");
}

// ---------------------------------------------------------------------------------------
// The privacy contract, end to end: nothing but the minimal account reaches the disk.

TEST_F(SqliteStoreTest, CanaryIdentityLeavesNoTraceInTheDatabaseFiles) {
  auto minimizer = identity::Minimizer::create(sdk::Secret(std::string(32, 'p')));
  ASSERT_TRUE(minimizer.ok());

  sdk::ExternalIdentity identity;
  identity.subject = "Zzcanarysubject-559102";
  identity.role = sdk::Role::student;
  identity.provider_district = "Zzcanaryproviderdistrict";
  identity.given_name = "Alexandra";
  identity.middle_name = "Zzcanarymiddle";
  identity.family_name = "Zzcanaryfamily";
  identity.full_name = "Alexandra Zzcanarymiddle Zzcanaryfamily";
  identity.email = "canary.student@example.org";
  identity.email_verified = true;
  identity.birthdate = sdk::CivilDate{2011, 4, 17};
  identity.provider_sections = {"Zzcanarysection"};
  identity.extra = {{"gender", "Zzcanarygender"},
                    {"race", "Zzcanaryrace"},
                    {"sis_id", "Zzcanarysis-77123"},
                    {"phone", "+1-555-0199-canary"}};

  auto minimized = minimizer->minimize(identity, "clever", std::string("d1"), {}, {2024, 9, 3});
  ASSERT_TRUE(minimized.ok()) << minimized.error().detail;

  const std::vector<std::string> canaries = {
      "anary",
      "Zzcanary",
      "canary.student",
      "example.org",
      "2011-04-17",
      "559102",
      "77123",
      "555-0199",
      std::string(crypto::as_view(crypto::sha256("canary.student@example.org"))),
  };
  auto expect_clean = [&](const std::string& bytes, const char* when) {
    EXPECT_NE(bytes.find("Alexandra"), std::string::npos) << when;
    for (const std::string& canary : canaries) {
      EXPECT_EQ(bytes.find(canary), std::string::npos) << when << ": found a canary";
    }
  };

  {
    auto store = open_with_district();
    auto account = store->upsert_from_sign_in(*minimized, "clever", kNow);
    ASSERT_TRUE(account.ok()) << account.error().detail;
    ASSERT_TRUE(store->insert_session(session_for(account->id, "sid", kNow + kHour)).ok());
    expect_clean(all_database_bytes(db_path()), "while open");
  }
  expect_clean(all_database_bytes(db_path()), "after close");
}

}  // namespace
}  // namespace lmsgw::store

namespace lmsgw::store {
namespace {

class SqliteRevocationTest : public ::testing::Test {
 protected:
  lmsgw::testing::TempDir dir_;
};

TEST_F(SqliteRevocationTest, RecordingARevocationDeletesTheSessionsItCoversInOneTransaction) {
  auto store = std::move(*open_sqlite_store({.path = (dir_.path() / "db").string()}));
  const TimePoint now{std::chrono::seconds(1'725'350'400)};
  ASSERT_TRUE(store->ensure_district("d1", now).ok());
  ASSERT_TRUE(store->ensure_district("d2", now).ok());
  auto in_d1 = [&](std::string_view subject, std::string district) {
    identity::Minimized minimized;
    minimized.key.subject_hash = crypto::sha256(subject);
    minimized.account.role = identity::AccountRole::teacher;
    minimized.account.district_id = std::move(district);
    minimized.account.display_name = "T";
    return *store->upsert_from_sign_in(minimized, "clever", now);
  };
  const StoredAccount a = in_d1("a", "d1");
  const StoredAccount b = in_d1("b", "d1");
  const StoredAccount c = in_d1("c", "d2");
  for (const StoredAccount* account : {&a, &b, &c}) {
    ASSERT_TRUE(store
                    ->insert_session({crypto::sha256(account->id), account->id, now,
                                      now + std::chrono::hours(1)})
                    .ok());
  }

  auto first = store->record_revocation(RevocationScope::account, a.id, now);
  ASSERT_TRUE(first.ok()) << first.error().detail;
  EXPECT_EQ(store->live_sessions(now)->size(), 2u);
  auto second =
      store->record_revocation(RevocationScope::district, "d1", now + std::chrono::microseconds(1));
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(store->live_sessions(now)->size(), 1u);
  EXPECT_EQ(store->live_sessions(now)->front().account.id, c.id);

  auto all = store->revocations_after(0, 10);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0], *first);
  EXPECT_EQ((*all)[1].scope, RevocationScope::district);
  EXPECT_EQ((*all)[1].revoked_through, now + std::chrono::microseconds(1));
  EXPECT_EQ(store->revocations_after(first->id, 10)->size(), 1u);
  EXPECT_EQ(store->revocations_after(second->id, 10)->size(), 0u);
  EXPECT_EQ(store->revocations_after(0, 1)->size(), 1u);
}

TEST_F(SqliteRevocationTest, WithdrawingADistrictKeepsTheFirstTimeUntilReinstated) {
  const std::string path = (dir_.path() / "db").string();
  auto store = std::move(*open_sqlite_store({.path = path}));
  const TimePoint now{std::chrono::seconds(1'725'350'400)};
  ASSERT_TRUE(store->ensure_district("d1", now).ok());
  identity::Minimized minimized;
  minimized.key.subject_hash = crypto::sha256("t");
  minimized.account.role = identity::AccountRole::teacher;
  minimized.account.district_id = "d1";
  minimized.account.display_name = "T";
  const StoredAccount teacher = *store->upsert_from_sign_in(minimized, "clever", now);
  ASSERT_TRUE(
      store->insert_session({crypto::sha256("s"), teacher.id, now, now + std::chrono::hours(1)})
          .ok());

  EXPECT_FALSE(store->withdraw_district("d9", now, "test").ok()) << "unknown district";
  EXPECT_EQ(*store->district_withdrawal("d1"), std::nullopt);

  auto withdrawn = store->withdraw_district("d1", now, "lmsgwctl");
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.error().detail;
  EXPECT_EQ(withdrawn->scope, RevocationScope::district);
  EXPECT_EQ(store->live_sessions(now)->size(), 0u);
  ASSERT_TRUE(store->withdraw_district("d1", now + std::chrono::hours(2), "sync:clever").ok());
  EXPECT_EQ(*store->district_withdrawal("d1"), (DistrictWithdrawal{now, "lmsgwctl"}))
      << "the after-revocation clock starts at the first withdrawal";
  EXPECT_EQ(store->revocations_after(0, 10)->size(), 2u) << "each withdrawal ends sessions again";

  // A roster source that stopped reading the district reads it again once reinstated.
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(raw,
                           "INSERT INTO sync_district_stops (connection_id, district_id, "
                           "stopped_at) VALUES ('clever-sync', 'd1', 0)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
  }
  EXPECT_TRUE(*store->reinstate_district("d1"));
  EXPECT_EQ(*store->district_withdrawal("d1"), std::nullopt);
  EXPECT_FALSE(*store->reinstate_district("d1")) << "nothing to reinstate";
  RawDb db(path);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM sync_district_stops"), "0");
}

}  // namespace
}  // namespace lmsgw::store
