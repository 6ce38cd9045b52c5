#include "store/sqlite/sqlite_account_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "common/crypto.h"

namespace lmsgw::store {
namespace {

using identity::AccountRole;
using identity::AgeRecord;
using identity::MinimalAccount;

sdk::Error sqlite_error(std::string_view step, std::string_view message) {
  return sdk::Error{sdk::ErrorCode::internal,
                    "sqlite: " + std::string(step) + ": " + std::string(message)};
}

sdk::Error sqlite_error(sqlite3* db, std::string_view step) {
  return sqlite_error(step, db != nullptr ? sqlite3_errmsg(db) : "out of memory");
}

std::int64_t to_unix(TimePoint time) noexcept {
  return std::chrono::floor<std::chrono::seconds>(time.time_since_epoch()).count();
}

TimePoint from_unix(std::int64_t seconds) noexcept {
  return TimePoint(std::chrono::seconds(seconds));
}

TimePoint from_micros(std::int64_t micros) noexcept {
  return TimePoint(
      std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(micros)));
}

std::string date_to_text(sdk::CivilDate date) {
  std::array<char, 48> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%04d-%02u-%02u", date.year, date.month, date.day);
  return std::string(buffer.data());
}

std::optional<sdk::CivilDate> date_from_text(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  sdk::CivilDate date;
  const auto parse = [&](std::size_t at, std::size_t length, auto& out) {
    const char* end = text.data() + at + length;
    const auto [ptr, ec] = std::from_chars(text.data() + at, end, out);
    return ec == std::errc{} && ptr == end;
  };
  if (!parse(0, 4, date.year) || !parse(5, 2, date.month) || !parse(8, 2, date.day)) {
    return std::nullopt;
  }
  return date;
}

// A prepared statement. Binding errors are kept and reported by the first step, so call
// sites read as one chain; every error names the step, never a bound value.
class Statement {
 public:
  static sdk::Result<Statement> prepare(sqlite3* db, std::string_view sql, std::string_view step) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) !=
        SQLITE_OK) {
      return sqlite_error(db, step);
    }
    return Statement(db, raw, step);
  }

  Statement(Statement&& other) noexcept
      : db_(other.db_),
        stmt_(std::exchange(other.stmt_, nullptr)),
        step_(other.step_),
        bind_failed_(other.bind_failed_) {}
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  Statement& bind(int index, std::int64_t value) {
    return check_bind(sqlite3_bind_int64(stmt_, index, value));
  }
  Statement& bind(int index, std::string_view text) {
    return check_bind(sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                                        SQLITE_TRANSIENT));
  }
  Statement& bind(int index, const crypto::Digest& digest) {
    return check_bind(sqlite3_bind_blob(stmt_, index, digest.data(),
                                        static_cast<int>(digest.size()), SQLITE_TRANSIENT));
  }
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    if (!value) return check_bind(sqlite3_bind_null(stmt_, index));
    return bind(index, *value);
  }

  // True when a row is available, false when the statement is done.
  sdk::Result<bool> step() {
    if (bind_failed_) return sqlite_error(db_, step_);
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sqlite_error(db_, step_);
  }

  // Runs a statement that returns no rows.
  sdk::Result<void> run() {
    sdk::Result<bool> row = step();
    if (!row) return row.error();
    return {};
  }

  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string text(int column) const {
    const auto* data = sqlite3_column_text(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);
    return data != nullptr
               ? std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size))
               : std::string();
  }
  std::optional<std::string> optional_text(int column) const {
    if (is_null(column)) return std::nullopt;
    return text(column);
  }
  // nullopt for NULL or for a blob that is not a digest.
  std::optional<crypto::Digest> digest(int column) const {
    const void* data = sqlite3_column_blob(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);
    if (data == nullptr || size != static_cast<int>(crypto::Digest{}.size())) return std::nullopt;
    crypto::Digest out{};
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    std::copy(bytes, bytes + out.size(), out.begin());
    return out;
  }

 private:
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string_view step)
      : db_(db), stmt_(stmt), step_(step) {}

  Statement& check_bind(int rc) {
    if (rc != SQLITE_OK) bind_failed_ = true;
    return *this;
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  std::string_view step_;  // always a string literal
  bool bind_failed_ = false;
};

sdk::Result<void> exec(sqlite3* db, const char* sql, std::string_view step) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    sdk::Error error = sqlite_error(step, message != nullptr ? message : sqlite3_errmsg(db));
    sqlite3_free(message);
    return error;
  }
  return {};
}

// BEGIN IMMEDIATE takes the write lock up front, so a transaction never fails half-way
// with SQLITE_BUSY on its first write; rolls back unless committed.
class Transaction {
 public:
  static sdk::Result<Transaction> begin(sqlite3* db) {
    if (auto started = exec(db, "BEGIN IMMEDIATE", "begin"); !started) return started.error();
    return Transaction(db);
  }
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (db_ != nullptr) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  sdk::Result<void> commit() {
    auto committed = exec(db_, "COMMIT", "commit");
    if (committed) db_ = nullptr;
    return committed;
  }

 private:
  explicit Transaction(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

struct Migration {
  int version;
  const char* sql;
  // SQLite cannot alter a CHECK constraint, so such a migration rebuilds the table; foreign
  // keys are off meanwhile (or dropping the old table would cascade into its children) and
  // checked before commit.
  bool rebuilds_tables = false;
};

// Append only: a released migration never changes, a new one gets the next version.
constexpr std::array kMigrations = {
    Migration{1, R"sql(
CREATE TABLE districts (
  id         TEXT PRIMARY KEY NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE accounts (
  id              TEXT PRIMARY KEY NOT NULL,
  role            TEXT NOT NULL CHECK (role IN ('student', 'teacher', 'district_admin')),
  district_id     TEXT NULL REFERENCES districts (id),
  display_name    TEXT NOT NULL,
  age_years       INTEGER NULL CHECK (age_years IS NULL OR age_years >= 0),
  age_computed_on TEXT NULL,
  email_hash      BLOB NULL CHECK (email_hash IS NULL OR length(email_hash) = 32),
  email           TEXT NULL,
  created_at      INTEGER NOT NULL,
  last_sign_in_at INTEGER NOT NULL,
  -- PRIVACY.md A: a student's email is only ever kept as a keyed hash; staff have no age.
  CHECK (role <> 'student' OR email IS NULL),
  CHECK (role = 'student' OR age_years IS NULL),
  CHECK ((age_years IS NULL) = (age_computed_on IS NULL))
) STRICT;
CREATE INDEX accounts_by_district ON accounts (district_id);
CREATE INDEX accounts_by_email_hash ON accounts (email_hash);

CREATE TABLE identities (
  subject_hash  BLOB PRIMARY KEY NOT NULL CHECK (length(subject_hash) = 32),
  account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  connection_id TEXT NOT NULL,
  created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX identities_by_account ON identities (account_id);

CREATE TABLE sessions (
  id_hash    BLOB PRIMARY KEY NOT NULL CHECK (length(id_hash) = 32),
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_account ON sessions (account_id);
)sql"},
    Migration{2, R"sql(
CREATE TABLE revocations (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  scope           TEXT NOT NULL CHECK (scope IN ('account', 'district')),
  subject_id      TEXT NOT NULL,
  -- Unix microseconds: sessions created in the same second as a revocation stay apart.
  revoked_through INTEGER NOT NULL
) STRICT;
)sql"},
    Migration{3, R"sql(
CREATE TABLE accounts_rebuilt (
  id              TEXT PRIMARY KEY NOT NULL,
  role            TEXT NOT NULL
                  CHECK (role IN ('student', 'teacher', 'district_admin', 'guardian')),
  district_id     TEXT NULL REFERENCES districts (id),
  display_name    TEXT NOT NULL,
  age_years       INTEGER NULL CHECK (age_years IS NULL OR age_years >= 0),
  age_computed_on TEXT NULL,
  email_hash      BLOB NULL CHECK (email_hash IS NULL OR length(email_hash) = 32),
  email           TEXT NULL,
  created_at      INTEGER NOT NULL,
  last_sign_in_at INTEGER NOT NULL,
  -- PRIVACY.md A: a student's or a guardian's email is only ever kept as a keyed hash (the
  -- plaintext is allowed only to reach staff); only students have an age.
  CHECK (role NOT IN ('student', 'guardian') OR email IS NULL),
  CHECK (role = 'student' OR age_years IS NULL),
  CHECK ((age_years IS NULL) = (age_computed_on IS NULL))
) STRICT;
INSERT INTO accounts_rebuilt SELECT id, role, district_id, display_name, age_years,
  age_computed_on, email_hash, email, created_at, last_sign_in_at FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_rebuilt RENAME TO accounts;
CREATE INDEX accounts_by_district ON accounts (district_id);
CREATE INDEX accounts_by_email_hash ON accounts (email_hash);
)sql",
              true},
};

constexpr int kLatestVersion = kMigrations.back().version;

// The columns read_account() expects, in order, from `accounts`.
constexpr std::string_view kAccountColumns =
    "a.id, a.role, a.district_id, a.display_name, a.age_years, a.age_computed_on, "
    "a.email_hash, a.email, a.created_at, a.last_sign_in_at";

sdk::Result<StoredAccount> read_account(const Statement& row, int first) {
  StoredAccount out;
  out.id = row.text(first);
  const std::optional<AccountRole> role = identity::account_role_from_string(row.text(first + 1));
  if (!role) return sqlite_error("read account", "unknown role in database");
  MinimalAccount& account = out.account;
  account.role = *role;
  account.district_id = row.optional_text(first + 2);
  account.display_name = row.text(first + 3);
  if (!row.is_null(first + 4)) {
    const std::optional<sdk::CivilDate> computed_on = date_from_text(row.text(first + 5));
    if (!computed_on) return sqlite_error("read account", "malformed age date in database");
    account.age = AgeRecord{static_cast<int>(row.int64(first + 4)), *computed_on};
  }
  account.email_hash = row.digest(first + 6);
  account.email = row.optional_text(first + 7);
  out.created_at = from_unix(row.int64(first + 8));
  out.last_sign_in_at = from_unix(row.int64(first + 9));
  return out;
}

sdk::Result<bool> table_exists(sqlite3* db, std::string_view table) {
  auto stmt = Statement::prepare(
      db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", "read schema");
  if (!stmt) return stmt.error();
  return stmt->bind(1, table).step();
}

// 0 for a database no migration has touched.
sdk::Result<int> read_schema_version(sqlite3* db) {
  auto exists = table_exists(db, "schema_migrations");
  if (!exists) return exists.error();
  if (!*exists) return 0;
  auto stmt = Statement::prepare(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                                 "read schema version");
  if (!stmt) return stmt.error();
  auto row = stmt->step();
  if (!row) return row.error();
  return static_cast<int>(stmt->int64(0));
}

sdk::Error newer_schema_error(int found) {
  return sdk::Error{sdk::ErrorCode::internal,
                    "sqlite: database schema version " + std::to_string(found) +
                        " is newer than this build supports (" + std::to_string(kLatestVersion) +
                        "); upgrade lms-gateway"};
}

// Foreign-key enforcement can only change outside a transaction; restored on every exit.
class ForeignKeysSuspended {
 public:
  explicit ForeignKeysSuspended(sqlite3* db) : db_(db) {
    sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_FKEY, 0, nullptr);
  }
  ~ForeignKeysSuspended() { sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_FKEY, 1, nullptr); }
  ForeignKeysSuspended(const ForeignKeysSuspended&) = delete;
  ForeignKeysSuspended& operator=(const ForeignKeysSuspended&) = delete;

 private:
  sqlite3* db_;
};

sdk::Result<void> check_foreign_keys(sqlite3* db) {
  auto stmt = Statement::prepare(db, "PRAGMA foreign_key_check", "migrate: foreign key check");
  if (!stmt) return stmt.error();
  auto row = stmt->step();
  if (!row) return row.error();
  if (*row) return sqlite_error("migrate", "a rebuilt table broke a foreign key");
  return {};
}

sdk::Result<void> migrate(sqlite3* db) {
  for (const Migration& migration : kMigrations) {
    std::optional<ForeignKeysSuspended> suspended;
    if (migration.rebuilds_tables) suspended.emplace(db);
    auto tx = Transaction::begin(db);
    if (!tx) return tx.error();
    // Read inside the write lock: another process may have migrated since we looked.
    auto version = read_schema_version(db);
    if (!version) return version.error();
    if (*version > kLatestVersion) return newer_schema_error(*version);
    if (*version >= migration.version) continue;

    if (auto made = exec(db,
                         "CREATE TABLE IF NOT EXISTS schema_migrations ("
                         "version INTEGER PRIMARY KEY NOT NULL, "
                         "applied_at INTEGER NOT NULL) STRICT",
                         "migrate: schema_migrations");
        !made) {
      return made.error();
    }
    if (auto applied = exec(db, migration.sql, "migrate"); !applied) return applied.error();
    if (migration.rebuilds_tables) {
      if (auto intact = check_foreign_keys(db); !intact) return intact.error();
    }
    auto record = Statement::prepare(
        db, "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, unixepoch())",
        "migrate: record version");
    if (!record) return record.error();
    if (auto recorded = record->bind(1, std::int64_t{migration.version}).run(); !recorded) {
      return recorded.error();
    }
    if (auto committed = tx->commit(); !committed) return committed.error();
  }
  return {};
}

sdk::Result<void> configure_connection(sqlite3* db, const SqliteOptions& options) {
  if (sqlite3_busy_timeout(db, options.busy_timeout_ms) != SQLITE_OK) {
    return sqlite_error(db, "busy timeout");
  }
  if (sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, 1, nullptr) != SQLITE_OK) {
    return sqlite_error(db, "foreign keys");
  }
  // Deleted personal data must not linger in free pages: overwrite it with zeros. (Frames
  // already in the write-ahead log are cleared by checkpoint().)
  if (auto secure = exec(db, "PRAGMA secure_delete = ON", "secure_delete"); !secure) {
    return secure.error();
  }
  return {};
}

sdk::Result<void> enable_wal(sqlite3* db) {
  auto stmt = Statement::prepare(db, "PRAGMA journal_mode = WAL", "journal mode");
  if (!stmt) return stmt.error();
  auto row = stmt->step();
  if (!row) return row.error();
  if (!*row || stmt->text(0) != "wal") return sqlite_error("journal mode", "WAL not available");
  return {};
}

struct ConnectionCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

class SqliteAccountStore final : public AccountStore {
 public:
  explicit SqliteAccountStore(Connection db) : db_(std::move(db)) {}

  // AccountStore
  sdk::Result<StoredAccount> upsert_from_sign_in(const identity::Minimized& minimized,
                                                 std::string_view connection_id,
                                                 TimePoint now) override {
    const MinimalAccount& account = minimized.account;
    // A date that is not a real calendar date could be written but never read back.
    if (account.age &&
        !identity::whole_years_between(account.age->computed_on, account.age->computed_on)) {
      return sdk::Error{sdk::ErrorCode::internal, "sqlite: upsert account: invalid age date"};
    }

    const std::lock_guard lock(mutex_);
    auto tx = Transaction::begin(db_.get());
    if (!tx) return tx.error();

    if (account.district_id) {
      auto known = district_exists(*account.district_id);
      if (!known) return known.error();
      if (!*known) {
        return sdk::Error{sdk::ErrorCode::internal,
                          "sqlite: upsert account: district is not registered "
                          "(ensure_district must run for every configured district)"};
      }
    }

    auto linked =
        Statement::prepare(db_.get(), "SELECT account_id FROM identities WHERE subject_hash = ?1",
                           "upsert account: find identity");
    if (!linked) return linked.error();
    auto found = linked->bind(1, minimized.key.subject_hash).step();
    if (!found) return found.error();

    std::string account_id;
    if (*found) {
      account_id = linked->text(0);
      if (auto updated = update_account(account_id, account, now); !updated) {
        return updated.error();
      }
    } else {
      // Random, never derived from the provider's id: the account id travels to the platform.
      account_id = "acct_" + crypto::random_token(16);
      if (auto inserted = insert_account(account_id, account, now); !inserted) {
        return inserted.error();
      }
      if (auto linked_now = insert_identity(minimized.key, account_id, connection_id, now);
          !linked_now) {
        return linked_now.error();
      }
    }

    auto stored = load_account(account_id);
    if (!stored) return stored.error();
    if (!*stored) return sqlite_error("upsert account", "account vanished in transaction");
    if (auto committed = tx->commit(); !committed) return committed.error();
    return std::move(**stored);
  }

  sdk::Result<void> ensure_district(std::string_view district_id, TimePoint now) override {
    const std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(
        db_.get(), "INSERT OR IGNORE INTO districts (id, created_at) VALUES (?1, ?2)",
        "ensure district");
    if (!stmt) return stmt.error();
    return stmt->bind(1, district_id).bind(2, to_unix(now)).run();
  }

  sdk::Result<std::optional<StoredAccount>> find_account(std::string_view account_id) override {
    const std::lock_guard lock(mutex_);
    return load_account(account_id);
  }

  sdk::Result<void> insert_session(const SessionRecord& session) override {
    const std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(db_.get(),
                                   "INSERT INTO sessions (id_hash, account_id, created_at, "
                                   "expires_at) VALUES (?1, ?2, ?3, ?4)",
                                   "insert session");
    if (!stmt) return stmt.error();
    return stmt->bind(1, session.id_hash)
        .bind(2, session.account_id)
        .bind(3, to_unix(session.created_at))
        .bind(4, to_unix(session.expires_at))
        .run();
  }

  sdk::Result<bool> delete_session(const crypto::Digest& id_hash) override {
    const std::lock_guard lock(mutex_);
    auto stmt =
        Statement::prepare(db_.get(), "DELETE FROM sessions WHERE id_hash = ?1", "delete session");
    if (!stmt) return stmt.error();
    if (auto done = stmt->bind(1, id_hash).run(); !done) return done.error();
    return sqlite3_changes(db_.get()) > 0;
  }

  sdk::Result<std::vector<LiveSession>> live_sessions(TimePoint now) override {
    const std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(db_.get(),
                                   "SELECT s.id_hash, s.account_id, s.created_at, s.expires_at, " +
                                       std::string(kAccountColumns) +
                                       " FROM sessions s JOIN accounts a ON a.id = s.account_id"
                                       " WHERE s.expires_at > ?1 ORDER BY s.expires_at",
                                   "live sessions");
    if (!stmt) return stmt.error();
    stmt->bind(1, to_unix(now));

    std::vector<LiveSession> out;
    while (true) {
      auto row = stmt->step();
      if (!row) return row.error();
      if (!*row) break;
      LiveSession live;
      const std::optional<crypto::Digest> id_hash = stmt->digest(0);
      if (!id_hash) return sqlite_error("live sessions", "malformed session hash in database");
      live.session.id_hash = *id_hash;
      live.session.account_id = stmt->text(1);
      live.session.created_at = from_unix(stmt->int64(2));
      live.session.expires_at = from_unix(stmt->int64(3));
      auto account = read_account(*stmt, 4);
      if (!account) return account.error();
      live.account = std::move(*account);
      out.push_back(std::move(live));
    }
    return out;
  }

  sdk::Result<std::size_t> delete_expired_sessions(TimePoint now) override {
    const std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(db_.get(), "DELETE FROM sessions WHERE expires_at <= ?1",
                                   "delete expired sessions");
    if (!stmt) return stmt.error();
    if (auto done = stmt->bind(1, to_unix(now)).run(); !done) return done.error();
    return static_cast<std::size_t>(sqlite3_changes(db_.get()));
  }

  sdk::Result<int> schema_version() override {
    const std::lock_guard lock(mutex_);
    return read_schema_version(db_.get());
  }

  sdk::Result<RevocationRecord> record_revocation(RevocationScope scope,
                                                  std::string_view subject_id,
                                                  TimePoint revoked_through) override {
    const std::lock_guard lock(mutex_);
    auto transaction = Transaction::begin(db_.get());
    if (!transaction) return transaction.error();
    const std::string_view scope_name = scope == RevocationScope::account ? "account" : "district";
    auto insert = Statement::prepare(
        db_.get(),
        "INSERT INTO revocations (scope, subject_id, revoked_through) VALUES (?1, ?2, ?3)",
        "record revocation");
    if (!insert) return insert.error();
    const std::int64_t micros =
        std::chrono::floor<std::chrono::microseconds>(revoked_through.time_since_epoch()).count();
    if (auto done = insert->bind(1, scope_name).bind(2, subject_id).bind(3, micros).run(); !done) {
      return done.error();
    }
    RevocationRecord record{sqlite3_last_insert_rowid(db_.get()), scope, std::string(subject_id),
                            from_micros(micros)};
    auto remove = Statement::prepare(
        db_.get(),
        scope == RevocationScope::account
            ? "DELETE FROM sessions WHERE account_id = ?1"
            : "DELETE FROM sessions WHERE account_id IN (SELECT id FROM accounts WHERE "
              "district_id = ?1)",
        "record revocation: delete sessions");
    if (!remove) return remove.error();
    if (auto done = remove->bind(1, subject_id).run(); !done) return done.error();
    if (auto committed = transaction->commit(); !committed) return committed.error();
    return record;
  }

  sdk::Result<std::vector<RevocationRecord>> revocations_after(std::int64_t after_id,
                                                               std::size_t limit) override {
    const std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(
        db_.get(),
        "SELECT id, scope, subject_id, revoked_through FROM revocations WHERE id > ?1 "
        "ORDER BY id LIMIT ?2",
        "read revocations");
    if (!stmt) return stmt.error();
    stmt->bind(1, after_id).bind(2, static_cast<std::int64_t>(limit));
    std::vector<RevocationRecord> records;
    for (;;) {
      auto row = stmt->step();
      if (!row) return row.error();
      if (!*row) break;
      records.push_back(RevocationRecord{
          stmt->int64(0),
          stmt->text(1) == "account" ? RevocationScope::account : RevocationScope::district,
          stmt->text(2), from_micros(stmt->int64(3))});
    }
    return records;
  }

  sdk::Result<void> checkpoint() override {
    const std::lock_guard lock(mutex_);
    return exec(db_.get(), "PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint");
  }

 private:
  sdk::Result<bool> district_exists(std::string_view district_id) {
    auto stmt = Statement::prepare(db_.get(), "SELECT 1 FROM districts WHERE id = ?1",
                                   "upsert account: find district");
    if (!stmt) return stmt.error();
    return stmt->bind(1, district_id).step();
  }

  sdk::Result<std::optional<StoredAccount>> load_account(std::string_view account_id) {
    auto stmt = Statement::prepare(
        db_.get(), "SELECT " + std::string(kAccountColumns) + " FROM accounts a WHERE a.id = ?1",
        "find account");
    if (!stmt) return stmt.error();
    auto row = stmt->bind(1, account_id).step();
    if (!row) return row.error();
    if (!*row) return std::optional<StoredAccount>{};
    auto account = read_account(*stmt, 0);
    if (!account) return account.error();
    return std::optional<StoredAccount>(std::move(*account));
  }

  // Binds the minimal fields as ?2..?8, shared by insert and update.
  static Statement& bind_minimal_fields(Statement& stmt, const MinimalAccount& account) {
    std::optional<std::int64_t> age_years;
    std::optional<std::string> age_computed_on;
    if (account.age) {
      age_years = account.age->years;
      age_computed_on = date_to_text(account.age->computed_on);
    }
    return stmt.bind(2, identity::to_string(account.role))
        .bind(3, account.district_id)
        .bind(4, std::string_view(account.display_name))
        .bind(5, age_years)
        .bind(6, age_computed_on)
        .bind(7, account.email_hash)
        .bind(8, account.email);
  }

  sdk::Result<void> insert_account(const std::string& account_id, const MinimalAccount& account,
                                   TimePoint now) {
    auto stmt = Statement::prepare(
        db_.get(),
        "INSERT INTO accounts (id, role, district_id, display_name, age_years, age_computed_on,"
        " email_hash, email, created_at, last_sign_in_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        "upsert account: insert account");
    if (!stmt) return stmt.error();
    stmt->bind(1, std::string_view(account_id));
    return bind_minimal_fields(*stmt, account).bind(9, to_unix(now)).run();
  }

  sdk::Result<void> update_account(const std::string& account_id, const MinimalAccount& account,
                                   TimePoint now) {
    auto stmt = Statement::prepare(
        db_.get(),
        "UPDATE accounts SET role = ?2, district_id = ?3, display_name = ?4, age_years = ?5,"
        " age_computed_on = ?6, email_hash = ?7, email = ?8, last_sign_in_at = ?9"
        " WHERE id = ?1",
        "upsert account: update account");
    if (!stmt) return stmt.error();
    stmt->bind(1, std::string_view(account_id));
    return bind_minimal_fields(*stmt, account).bind(9, to_unix(now)).run();
  }

  sdk::Result<void> insert_identity(const identity::IdentityKey& key, const std::string& account_id,
                                    std::string_view connection_id, TimePoint now) {
    auto stmt = Statement::prepare(db_.get(),
                                   "INSERT INTO identities (subject_hash, account_id, "
                                   "connection_id, created_at) VALUES (?1, ?2, ?3, ?4)",
                                   "upsert account: link identity");
    if (!stmt) return stmt.error();
    return stmt->bind(1, key.subject_hash)
        .bind(2, std::string_view(account_id))
        .bind(3, connection_id)
        .bind(4, to_unix(now))
        .run();
  }

  // One connection for the process; SQLite serialises writers anyway, and a single
  // connection keeps transactions from interleaving on it.
  std::mutex mutex_;
  Connection db_;
};

}  // namespace

int sqlite_latest_schema_version() noexcept { return kLatestVersion; }

sdk::Result<std::unique_ptr<AccountStore>> open_sqlite_store(const SqliteOptions& options) {
  // Without migrate, a missing file is an error rather than a new empty database.
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (options.migrate ? SQLITE_OPEN_CREATE : 0);
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(options.path.c_str(), &raw, flags, nullptr);
  Connection db(raw);
  if (rc != SQLITE_OK) return sqlite_error(db.get(), "open");

  if (auto configured = configure_connection(db.get(), options); !configured) {
    return configured.error();
  }
  auto version = read_schema_version(db.get());
  if (!version) return version.error();
  if (*version > kLatestVersion) return newer_schema_error(*version);
  if (*version < kLatestVersion && !options.migrate) {
    return sdk::Error{sdk::ErrorCode::internal,
                      "sqlite: database schema version " + std::to_string(*version) +
                          " needs migration to " + std::to_string(kLatestVersion) +
                          ": run lmsgwctl migrate"};
  }
  if (auto wal = enable_wal(db.get()); !wal) return wal.error();
  if (*version < kLatestVersion) {
    if (auto migrated = migrate(db.get()); !migrated) return migrated.error();
  }
  return std::unique_ptr<AccountStore>(std::make_unique<SqliteAccountStore>(std::move(db)));
}

}  // namespace lmsgw::store
