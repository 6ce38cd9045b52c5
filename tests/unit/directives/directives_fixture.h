// A real gateway database in a temporary directory, with the stores, the audit log, the
// revocation service and a signing key the directives module works with, a fixed clock, and
// raw SQL access to create and count rows.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "directives/certificate.h"
#include "jose/jws.h"
#include "jose/keys.h"
#include "lmsgw/sdk/testing/mocks.h"
#include "session/revocation.h"
#include "store/audit_log.h"
#include "store/directive_store.h"
#include "store/sqlite/sqlite_account_store.h"
#include "tests/support/temp_dir.h"

namespace lmsgw::directives::testing {

using std::chrono::system_clock;

// 2026-03-10T12:00:00Z
inline const system_clock::time_point kStart{std::chrono::seconds(1'773'144'000)};
inline constexpr auto kDay = std::chrono::days(1);

inline std::int64_t unix_of(system_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

// A disposal count by kind; -1 when the kind is missing.
inline std::int64_t count_of(const store::DisposalCounts& counts, std::string_view kind) {
  for (const auto& [name, n] : counts) {
    if (name == kind) return n;
  }
  return -1;
}

class TestSigner final : public CertificateSigner {
 public:
  TestSigner() : key_(*jose::SigningKey::generate(jose::Algorithm::es256, "test-key")) {
    EXPECT_TRUE(keys_.add(key_.public_key()).ok());
  }
  sdk::Result<std::string> sign(std::string_view payload) override {
    return jose::sign(key_, payload, jose::HeaderExtras{std::string(kCertificateType)});
  }
  const jose::KeySet& keys() const { return keys_; }

 private:
  jose::SigningKey key_;
  jose::KeySet keys_;
};

struct AccountSpec {
  std::string role = "student";
  std::optional<system_clock::time_point> last_sign_in = kStart;
  system_clock::time_point created = kStart - 400 * kDay;
  std::optional<std::string> left_roster_on;  // "YYYY-MM-DD"
  bool email_hash = true;
};

inline AccountSpec signed_in(system_clock::time_point at) {
  AccountSpec spec;
  spec.last_sign_in = at;
  return spec;
}
inline AccountSpec never_signed_in(system_clock::time_point created) {
  AccountSpec spec;
  spec.last_sign_in = std::nullopt;
  spec.created = created;
  return spec;
}
inline AccountSpec left_roster(std::string on, system_clock::time_point last_sign_in = kStart) {
  AccountSpec spec;
  spec.left_roster_on = std::move(on);
  spec.last_sign_in = last_sign_in;
  return spec;
}
inline AccountSpec teacher() {
  AccountSpec spec;
  spec.role = "teacher";
  return spec;
}

class DirectivesFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (dir_.path() / "gateway.db").string();
    auto accounts = store::open_sqlite_store(store::SqliteOptions{.path = path_});
    ASSERT_TRUE(accounts.ok()) << accounts.error().detail;
    accounts_ = std::move(*accounts);
    auto audit = store::open_sqlite_audit_log(path_);
    ASSERT_TRUE(audit.ok()) << audit.error().detail;
    audit_ = std::move(*audit);
    auto directives = store::open_sqlite_directive_store(path_);
    ASSERT_TRUE(directives.ok()) << directives.error().detail;
    store_ = std::move(*directives);
    revocations_ =
        std::make_unique<session::RevocationService>(*accounts_, *audit_, epochs_, clock_);
    ASSERT_EQ(sqlite3_open(path_.c_str(), &raw_), SQLITE_OK);
    sqlite3_busy_timeout(raw_, 5'000);
    exec("INSERT INTO sync_connections (key, id) VALUES (1, 'roster')");
  }
  void TearDown() override { sqlite3_close(raw_); }

  void exec(const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(raw_, sql.c_str(), nullptr, nullptr, &message);
    EXPECT_EQ(rc, SQLITE_OK) << (message != nullptr ? message : "") << " in " << sql;
    sqlite3_free(message);
  }
  std::int64_t count(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(raw_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(raw_);
    std::int64_t out = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) out = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return out;
  }

  void add_district(const std::string& id) {
    ASSERT_TRUE(accounts_->ensure_district(id, kStart - 1000 * kDay).ok());
  }

  // An account with one identity link and one session; of no district when `district` is empty.
  void add_account(const std::string& id, const std::string& district, const AccountSpec& spec = {}) {
    const bool rostered = spec.left_roster_on.has_value() || !spec.last_sign_in;
    exec("INSERT INTO accounts (id, role, district_id, display_name, email_hash, created_at, "
         "last_sign_in_at, roster_connection, roster_seen_run, left_roster_on) VALUES ('" +
         id + "', '" + spec.role + "', " + (district.empty() ? "NULL" : "'" + district + "'") +
         ", 'Name', " +
         (spec.email_hash ? "randomblob(32)" : "NULL") + ", " +
         std::to_string(unix_of(spec.created)) + ", " +
         (spec.last_sign_in ? std::to_string(unix_of(*spec.last_sign_in)) : "NULL") + ", " +
         (rostered ? "1, 1" : "NULL, NULL") + ", " +
         (spec.left_roster_on ? "'" + *spec.left_roster_on + "'" : "NULL") + ")");
    exec("INSERT INTO identities (subject_hash, account_key, connection_id, created_at) SELECT "
         "randomblob(32), key, 'clever', 0 FROM accounts WHERE id = '" + id + "'");
    exec("INSERT INTO sessions (id_hash, account_id, created_at, expires_at) VALUES "
         "(randomblob(32), '" + id + "', " + std::to_string(unix_of(clock_.now()) - 60) + ", " +
         std::to_string(unix_of(clock_.now()) + 3600) + ")");
  }

  void add_section(const std::string& id, const std::string& district) {
    exec("INSERT INTO sections (id, provider_hash, district_id, connection_key, seen_run, "
         "created_at, last_seen_on) VALUES ('" + id + "', randomblob(32), '" + district +
         "', 1, 1, 0, '2026-01-01')");
  }
  void enroll(const std::string& account, const std::string& section) {
    exec("INSERT INTO enrollments (section_key, account_key, role, seen_run) SELECT s.key, "
         "a.key, 1, 1 FROM sections s, accounts a WHERE s.id = '" + section + "' AND a.id = '" +
         account + "'");
  }

  bool account_exists(const std::string& id) {
    return count("SELECT COUNT(*) FROM accounts WHERE id = '" + id + "'") == 1;
  }
  // Rows of the account anywhere: its row, identity links, sessions, memberships.
  std::int64_t rows_of(const std::string& id) {
    return count("SELECT (SELECT COUNT(*) FROM accounts WHERE id = '" + id +
                 "') + (SELECT COUNT(*) FROM identities i JOIN accounts a ON a.key = "
                 "i.account_key WHERE a.id = '" + id +
                 "') + (SELECT COUNT(*) FROM sessions WHERE account_id = '" + id +
                 "') + (SELECT COUNT(*) FROM enrollments e JOIN accounts a ON a.key = "
                 "e.account_key WHERE a.id = '" + id + "')");
  }

  std::vector<store::AuditEvent> audit_events(const std::string& district) {
    auto events = audit_->list(store::AuditQuery{district, {}, 0, 1000});
    EXPECT_TRUE(events.ok());
    return events ? *events : std::vector<store::AuditEvent>{};
  }

  lmsgw::testing::TempDir dir_;
  std::string path_;
  sdk::testing::FixedClock clock_{kStart};
  std::unique_ptr<store::AccountStore> accounts_;
  std::unique_ptr<store::AuditLog> audit_;
  std::unique_ptr<store::DirectiveStore> store_;
  session::RevocationEpochs epochs_;
  std::unique_ptr<session::RevocationService> revocations_;
  TestSigner signer_;
  sqlite3* raw_ = nullptr;
};

}  // namespace lmsgw::directives::testing
