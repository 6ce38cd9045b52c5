// Internal to the SQLite backend: the statement, transaction and connection helpers its stores
// share, and the opening of a database (configuration, WAL, migrations).
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/crypto.h"
#include "lmsgw/sdk/identity.h"
#include "lmsgw/sdk/result.h"
#include "store/account_store.h"
#include "store/sqlite/sqlite_account_store.h"

namespace lmsgw::store::sqlite {

inline sdk::Error sqlite_error(std::string_view step, std::string_view message) {
  return sdk::Error{sdk::ErrorCode::internal,
                    "sqlite: " + std::string(step) + ": " + std::string(message)};
}

inline sdk::Error sqlite_error(sqlite3* db, std::string_view step) {
  return sqlite_error(step, db != nullptr ? sqlite3_errmsg(db) : "out of memory");
}

inline std::int64_t to_unix(TimePoint time) noexcept {
  return std::chrono::floor<std::chrono::seconds>(time.time_since_epoch()).count();
}

inline TimePoint from_unix(std::int64_t seconds) noexcept {
  return TimePoint(std::chrono::seconds(seconds));
}

inline TimePoint from_micros(std::int64_t micros) noexcept {
  return TimePoint(
      std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(micros)));
}

inline std::string date_to_text(sdk::CivilDate date) {
  std::array<char, 48> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%04d-%02u-%02u", date.year, date.month, date.day);
  return std::string(buffer.data());
}

inline std::optional<sdk::CivilDate> date_from_text(std::string_view text) {
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
  Statement& bind(int index, int value) { return bind(index, std::int64_t{value}); }
  Statement& bind(int index, const crypto::Digest& digest) {
    return check_bind(sqlite3_bind_blob(stmt_, index, digest.data(),
                                        static_cast<int>(digest.size()), SQLITE_TRANSIENT));
  }
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    if (!value) return check_bind(sqlite3_bind_null(stmt_, index));
    return bind(index, *value);
  }

  // Makes the statement ready to bind and run again (prepared once, run many times).
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    bind_failed_ = false;
  }

  int parameter_count() const { return sqlite3_bind_parameter_count(stmt_); }

  Statement& bind_null(int index) { return check_bind(sqlite3_bind_null(stmt_, index)); }

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

  // What a row reader gives: a value, or an sdk::Result of one.
  template <class R>
  struct RowValue {
    using type = R;
    static constexpr bool fallible = false;
  };
  template <class R>
  struct RowValue<sdk::Result<R>> {
    using type = R;
    static constexpr bool fallible = true;
  };

  // Steps through every row, each read by `read` (a value, or an sdk::Result of one whose
  // error ends the walk).
  template <class Read>
  auto rows(Read read) -> sdk::Result<
      std::vector<typename RowValue<std::invoke_result_t<Read&, const Statement&>>::type>> {
    using Value = std::invoke_result_t<Read&, const Statement&>;
    std::vector<typename RowValue<Value>::type> out;
    for (;;) {
      auto row = step();
      if (!row) return row.error();
      if (!*row) return out;
      if constexpr (RowValue<Value>::fallible) {
        auto value = read(static_cast<const Statement&>(*this));
        if (!value) return value.error();
        out.push_back(std::move(*value));
      } else {
        out.push_back(read(static_cast<const Statement&>(*this)));
      }
    }
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

inline sdk::Result<void> exec(sqlite3* db, const char* sql, std::string_view step) {
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

// Marks the district's access withdrawn (PRIVACY.md C.1), keeping the first withdrawal when it
// already is: the directive's after-revocation clock starts there. False for an unknown
// district. Every withdrawal path (the revocation service, a roster source) goes through this.
inline sdk::Result<bool> mark_district_withdrawn(sqlite3* db, std::string_view district_id,
                                                 TimePoint at, std::string_view actor) {
  auto mark = Statement::prepare(
      db,
      "UPDATE districts SET access_revoked_at = COALESCE(access_revoked_at, ?2), "
      "access_revoked_by = COALESCE(access_revoked_by, ?3) WHERE id = ?1",
      "withdraw district");
  if (!mark) return mark.error();
  if (auto done = mark->bind(1, district_id).bind(2, to_unix(at)).bind(3, actor).run(); !done) {
    return done.error();
  }
  return sqlite3_changes(db) > 0;
}

struct ConnectionCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

// Opens and configures a connection (busy timeout, foreign keys, secure_delete, WAL) and
// brings the schema up to date as `options` allow; see open_sqlite_store().
sdk::Result<Connection> open_database(const SqliteOptions& options);

int latest_schema_version() noexcept;
sdk::Result<int> read_schema_version(sqlite3* db);

}  // namespace lmsgw::store::sqlite
