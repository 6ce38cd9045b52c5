#include <sqlite3.h>

#include <mutex>
#include <utility>

#include "admin/admin_tokens.h"
#include "store/sqlite/sqlite_support.h"

namespace lmsgw::admin {
namespace {

using store::sqlite::Connection;
using store::sqlite::from_unix;
using store::sqlite::Statement;
using store::sqlite::to_unix;

constexpr std::string_view kColumns =
    "id, role, district_id, label, created_at, last_used_at, revoked_at";

sdk::Result<AdminToken> read_token(const Statement& row) {
  AdminToken token;
  token.id = row.text(0);
  const std::string role = row.text(1);
  if (role == to_string(AdminRole::operator_)) {
    token.role = AdminRole::operator_;
  } else if (role == to_string(AdminRole::district_admin)) {
    token.role = AdminRole::district_admin;
  } else {
    return store::sqlite::sqlite_error("read admin token", "unknown role");
  }
  token.district_id = row.optional_text(2);
  token.label = row.text(3);
  token.created_at = from_unix(row.int64(4));
  if (!row.is_null(5)) token.last_used_at = from_unix(row.int64(5));
  if (!row.is_null(6)) token.revoked_at = from_unix(row.int64(6));
  return token;
}

class SqliteAdminTokenStore final : public AdminTokenStore {
 public:
  explicit SqliteAdminTokenStore(Connection db) : db_(std::move(db)) {}

  sdk::Result<void> insert(const AdminToken& token, const crypto::Digest& token_hash) override {
    const std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(
        db_.get(),
        "INSERT INTO admin_tokens (id, token_hash, role, district_id, label, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        "insert admin token");
    if (!stmt) return stmt.error();
    return stmt->bind(1, token.id)
        .bind(2, token_hash)
        .bind(3, to_string(token.role))
        .bind(4, token.district_id)
        .bind(5, token.label)
        .bind(6, to_unix(token.created_at))
        .run();
  }

  sdk::Result<std::optional<AdminToken>> find_by_hash(const crypto::Digest& token_hash) override {
    const std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(
        db_.get(), "SELECT " + std::string(kColumns) + " FROM admin_tokens WHERE token_hash = ?1",
        "find admin token");
    if (!stmt) return stmt.error();
    stmt->bind(1, token_hash);
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) return std::optional<AdminToken>();
    auto token = read_token(*stmt);
    if (!token) return token.error();
    return std::optional<AdminToken>(std::move(*token));
  }

  sdk::Result<std::vector<AdminToken>> list() override {
    const std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(
        db_.get(), "SELECT " + std::string(kColumns) + " FROM admin_tokens ORDER BY rowid",
        "list admin tokens");
    if (!stmt) return stmt.error();
    return stmt->rows(read_token);
  }

  sdk::Result<bool> revoke(std::string_view id, TimePoint now) override {
    const std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(
        db_.get(), "UPDATE admin_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        "revoke admin token");
    if (!stmt) return stmt.error();
    if (auto done = stmt->bind(1, id).bind(2, to_unix(now)).run(); !done) return done.error();
    return sqlite3_changes(db_.get()) > 0;
  }

  sdk::Result<void> mark_used(std::string_view id, TimePoint now) override {
    const std::lock_guard lock(mutex_);
    auto stmt =
        Statement::prepare(db_.get(), "UPDATE admin_tokens SET last_used_at = ?2 WHERE id = ?1",
                           "mark admin token used");
    if (!stmt) return stmt.error();
    return stmt->bind(1, id).bind(2, to_unix(now)).run();
  }

 private:
  std::mutex mutex_;
  Connection db_;
};

}  // namespace

sdk::Result<std::unique_ptr<AdminTokenStore>> open_sqlite_admin_token_store(
    const std::string& path) {
  auto db = store::sqlite::open_database(store::SqliteOptions{.path = path, .migrate = false});
  if (!db) return db.error();
  return std::unique_ptr<AdminTokenStore>(std::make_unique<SqliteAdminTokenStore>(std::move(*db)));
}

}  // namespace lmsgw::admin
