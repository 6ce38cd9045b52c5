#include "store/sqlite/sqlite_account_store.h"

#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "common/crypto.h"
#include "store/sqlite/sqlite_support.h"

namespace lmsgw::store {
namespace {

using identity::AccountRole;
using identity::AgeRecord;
using identity::MinimalAccount;
using namespace sqlite;  // NOLINT(google-build-using-namespace): the backend's own helpers

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
  if (!row.is_null(first + 9)) out.last_sign_in_at = from_unix(row.int64(first + 9));
  return out;
}

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

    auto linked = Statement::prepare(db_.get(),
                                     "SELECT a.id, i.disabled_at FROM identities i JOIN accounts a"
                                     " ON a.key = i.account_key WHERE i.subject_hash = ?1",
                                     "upsert account: find identity");
    if (!linked) return linked.error();
    auto found = linked->bind(1, minimized.key.subject_hash).step();
    if (!found) return found.error();

    std::string account_id;
    if (*found) {
      // The provider disabled this identity (Google account-disabled): no sign-in through it
      // until it says the account is enabled again.
      if (!linked->is_null(1)) {
        return sdk::Error{sdk::ErrorCode::not_permitted, "the provider has disabled this identity"};
      }
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
      if (auto linked_now = insert_identity(minimized.key, sqlite3_last_insert_rowid(db_.get()),
                                            connection_id, now);
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

  sdk::Result<std::optional<IdentityLink>> find_identity(
      const crypto::Digest& subject_hash) override {
    const std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(db_.get(),
                                   "SELECT a.id, i.connection_id, i.disabled_at FROM identities i"
                                   " JOIN accounts a ON a.key = i.account_key"
                                   " WHERE i.subject_hash = ?1",
                                   "find identity");
    if (!stmt) return stmt.error();
    auto row = stmt->bind(1, subject_hash).step();
    if (!row) return row.error();
    if (!*row) return std::optional<IdentityLink>{};
    return std::optional<IdentityLink>(
        IdentityLink{stmt->text(0), stmt->text(1), !stmt->is_null(2)});
  }

  sdk::Result<bool> unlink_identity(const crypto::Digest& subject_hash) override {
    const std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(db_.get(), "DELETE FROM identities WHERE subject_hash = ?1",
                                   "unlink identity");
    if (!stmt) return stmt.error();
    if (auto done = stmt->bind(1, subject_hash).run(); !done) return done.error();
    return sqlite3_changes(db_.get()) > 0;
  }

  sdk::Result<bool> set_identity_disabled(const crypto::Digest& subject_hash, bool disabled,
                                          TimePoint now) override {
    const std::lock_guard lock(mutex_);
    // A repeated disable keeps the first time.
    auto stmt = Statement::prepare(db_.get(),
                                   "UPDATE identities SET disabled_at = CASE WHEN ?2 THEN"
                                   " coalesce(disabled_at, ?3) END WHERE subject_hash = ?1",
                                   "set identity disabled");
    if (!stmt) return stmt.error();
    stmt->bind(1, subject_hash).bind(2, disabled ? 1 : 0).bind(3, to_unix(now));
    if (auto done = stmt->run(); !done) return done.error();
    return sqlite3_changes(db_.get()) > 0;
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
    auto record = insert_revocation(scope, subject_id, revoked_through);
    if (!record) return record.error();
    if (auto committed = transaction->commit(); !committed) return committed.error();
    return record;
  }

  sdk::Result<RevocationRecord> withdraw_district(std::string_view district_id,
                                                  TimePoint revoked_through,
                                                  std::string_view actor) override {
    const std::lock_guard lock(mutex_);
    auto transaction = Transaction::begin(db_.get());
    if (!transaction) return transaction.error();
    auto marked = mark_district_withdrawn(db_.get(), district_id, revoked_through, actor);
    if (!marked) return marked.error();
    if (!*marked) {
      return sdk::Error{sdk::ErrorCode::invalid_request, "withdraw district: unknown district"};
    }
    auto record = insert_revocation(RevocationScope::district, district_id, revoked_through);
    if (!record) return record.error();
    if (auto committed = transaction->commit(); !committed) return committed.error();
    return record;
  }

  sdk::Result<bool> reinstate_district(std::string_view district_id) override {
    const std::lock_guard lock(mutex_);
    auto transaction = Transaction::begin(db_.get());
    if (!transaction) return transaction.error();
    auto clear = Statement::prepare(db_.get(),
                                    "UPDATE districts SET access_revoked_at = NULL, "
                                    "access_revoked_by = NULL WHERE id = ?1 AND "
                                    "access_revoked_at IS NOT NULL",
                                    "reinstate district");
    if (!clear) return clear.error();
    if (auto done = clear->bind(1, district_id).run(); !done) return done.error();
    const bool reinstated = sqlite3_changes(db_.get()) > 0;
    // Its roster sources read it again.
    auto resume = Statement::prepare(
        db_.get(), "DELETE FROM sync_district_stops WHERE district_id = ?1", "reinstate district");
    if (!resume) return resume.error();
    if (auto done = resume->bind(1, district_id).run(); !done) return done.error();
    if (auto committed = transaction->commit(); !committed) return committed.error();
    return reinstated;
  }

  sdk::Result<std::optional<DistrictWithdrawal>> district_withdrawal(
      std::string_view district_id) override {
    const std::lock_guard lock(mutex_);
    auto select = Statement::prepare(db_.get(),
                                     "SELECT access_revoked_at, access_revoked_by FROM districts "
                                     "WHERE id = ?1 AND access_revoked_at IS NOT NULL",
                                     "read district withdrawal");
    if (!select) return select.error();
    auto row = select->bind(1, district_id).step();
    if (!row) return row.error();
    if (!*row) return std::optional<DistrictWithdrawal>{};
    return std::optional<DistrictWithdrawal>{
        DistrictWithdrawal{from_unix(select->int64(0)), select->text(1)}};
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
  // Records the revocation and deletes every session it covers; the caller holds the lock
  // and the transaction.
  sdk::Result<RevocationRecord> insert_revocation(RevocationScope scope,
                                                  std::string_view subject_id,
                                                  TimePoint revoked_through) {
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
    return record;
  }

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

  sdk::Result<void> insert_identity(const identity::IdentityKey& key, std::int64_t account_key,
                                    std::string_view connection_id, TimePoint now) {
    auto stmt = Statement::prepare(db_.get(),
                                   "INSERT INTO identities (subject_hash, account_key, "
                                   "connection_id, created_at) VALUES (?1, ?2, ?3, ?4)",
                                   "upsert account: link identity");
    if (!stmt) return stmt.error();
    return stmt->bind(1, key.subject_hash)
        .bind(2, account_key)
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

int sqlite_latest_schema_version() noexcept { return sqlite::latest_schema_version(); }

sdk::Result<std::unique_ptr<AccountStore>> open_sqlite_store(const SqliteOptions& options) {
  auto db = sqlite::open_database(options);
  if (!db) return db.error();
  return std::unique_ptr<AccountStore>(std::make_unique<SqliteAccountStore>(std::move(*db)));
}

}  // namespace lmsgw::store
