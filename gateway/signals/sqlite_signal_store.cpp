#include <sqlite3.h>

#include <mutex>
#include <utility>

#include "signals/signal_store.h"
#include "store/sqlite/sqlite_support.h"

namespace lmsgw::signals {
namespace {

using namespace store::sqlite;  // NOLINT(google-build-using-namespace): the backend's helpers

std::optional<DeletionStatus> status_from_text(std::string_view text) {
  for (DeletionStatus status : {DeletionStatus::received, DeletionStatus::completed,
                                DeletionStatus::held, DeletionStatus::no_data}) {
    if (to_string(status) == text) return status;
  }
  return std::nullopt;
}

sdk::Result<std::optional<DeletionStatus>> read_status(Statement& stmt) {
  auto row = stmt.step();
  if (!row) return row.error();
  if (!*row) return std::optional<DeletionStatus>{};
  const std::optional<DeletionStatus> status = status_from_text(stmt.text(0));
  if (!status) return sqlite_error("read deletion request", "unknown status in database");
  return status;
}

class SqliteSignalStore final : public SignalStore {
 public:
  explicit SqliteSignalStore(Connection db) : db_(std::move(db)) {}

  sdk::Result<bool> claim_signal(std::string_view connection_id, const crypto::Digest& signal_hash,
                                 TimePoint now) override {
    const std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(db_.get(),
                                   "INSERT OR IGNORE INTO signal_receipts (connection_id,"
                                   " signal_hash, received_at) VALUES (?1, ?2, ?3)",
                                   "claim signal");
    if (!stmt) return stmt.error();
    if (auto done = stmt->bind(1, connection_id).bind(2, signal_hash).bind(3, to_unix(now)).run();
        !done) {
      return done.error();
    }
    return sqlite3_changes(db_.get()) > 0;
  }

  sdk::Result<void> release_signal(std::string_view connection_id,
                                   const crypto::Digest& signal_hash) override {
    const std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(
        db_.get(), "DELETE FROM signal_receipts WHERE connection_id = ?1 AND signal_hash = ?2",
        "release signal");
    if (!stmt) return stmt.error();
    return stmt->bind(1, connection_id).bind(2, signal_hash).run();
  }

  sdk::Result<void> add_deletion_request(const crypto::Digest& code_hash,
                                         std::string_view connection_id,
                                         const crypto::Digest& signal_hash, DeletionStatus status,
                                         TimePoint now) override {
    const std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(db_.get(),
                                   "INSERT INTO deletion_requests (code_hash, connection_id,"
                                   " signal_hash, status, requested_at, updated_at)"
                                   " VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                                   "add deletion request");
    if (!stmt) return stmt.error();
    return stmt->bind(1, code_hash)
        .bind(2, connection_id)
        .bind(3, signal_hash)
        .bind(4, to_string(status))
        .bind(5, to_unix(now))
        .run();
  }

  sdk::Result<void> set_deletion_status(std::string_view connection_id,
                                        const crypto::Digest& signal_hash, DeletionStatus status,
                                        TimePoint now) override {
    const std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(db_.get(),
                                   "UPDATE deletion_requests SET status = ?3, updated_at = ?4"
                                   " WHERE connection_id = ?1 AND signal_hash = ?2",
                                   "set deletion status");
    if (!stmt) return stmt.error();
    return stmt->bind(1, connection_id)
        .bind(2, signal_hash)
        .bind(3, to_string(status))
        .bind(4, to_unix(now))
        .run();
  }

  sdk::Result<std::optional<DeletionStatus>> deletion_status_of_signal(
      std::string_view connection_id, const crypto::Digest& signal_hash) override {
    const std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(db_.get(),
                                   "SELECT status FROM deletion_requests"
                                   " WHERE connection_id = ?1 AND signal_hash = ?2 LIMIT 1",
                                   "read deletion request");
    if (!stmt) return stmt.error();
    stmt->bind(1, connection_id).bind(2, signal_hash);
    return read_status(*stmt);
  }

  sdk::Result<std::optional<DeletionStatus>> deletion_status(
      const crypto::Digest& code_hash) override {
    const std::lock_guard lock(mutex_);
    auto stmt =
        Statement::prepare(db_.get(), "SELECT status FROM deletion_requests WHERE code_hash = ?1",
                           "read deletion request");
    if (!stmt) return stmt.error();
    stmt->bind(1, code_hash);
    return read_status(*stmt);
  }

  sdk::Result<std::size_t> forget(TimePoint receipts_before, TimePoint requests_before) override {
    const std::lock_guard lock(mutex_);
    auto tx = Transaction::begin(db_.get());
    if (!tx) return tx.error();
    std::size_t removed = 0;
    for (auto [sql, before] :
         {std::pair<std::string_view, TimePoint>{
              "DELETE FROM signal_receipts WHERE received_at < ?1", receipts_before},
          {"DELETE FROM deletion_requests WHERE requested_at < ?1", requests_before}}) {
      auto stmt = Statement::prepare(db_.get(), sql, "forget signals");
      if (!stmt) return stmt.error();
      if (auto done = stmt->bind(1, to_unix(before)).run(); !done) return done.error();
      removed += static_cast<std::size_t>(sqlite3_changes(db_.get()));
    }
    if (auto committed = tx->commit(); !committed) return committed.error();
    return removed;
  }

 private:
  std::mutex mutex_;
  Connection db_;
};

}  // namespace

std::string_view to_string(DeletionStatus status) noexcept {
  switch (status) {
    case DeletionStatus::received:
      return "received";
    case DeletionStatus::completed:
      return "completed";
    case DeletionStatus::held:
      return "held";
    case DeletionStatus::no_data:
      return "no_data";
  }
  return "received";
}

sdk::Result<std::unique_ptr<SignalStore>> open_sqlite_signal_store(
    const store::SqliteOptions& options) {
  auto db = open_database(options);
  if (!db) return db.error();
  return std::unique_ptr<SignalStore>(std::make_unique<SqliteSignalStore>(std::move(*db)));
}

}  // namespace lmsgw::signals
