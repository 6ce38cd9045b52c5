#include <sqlite3.h>

#include <boost/json.hpp>
#include <mutex>
#include <string>
#include <utility>

#include "common/time.h"
#include "store/audit_log.h"
#include "store/sqlite/sqlite_account_store.h"
#include "store/sqlite/sqlite_support.h"

namespace lmsgw::store {
namespace {

using namespace sqlite;  // NOLINT(google-build-using-namespace): the backend's own helpers

sdk::Error invalid_event(std::string_view reason) {
  return sdk::Error{sdk::ErrorCode::invalid_request, "audit event: " + std::string(reason)};
}

// Printable ASCII only: the fields are ids and verbs the gateway chose, and an export read in
// a terminal must not carry control sequences.
bool printable(std::string_view text) {
  for (const char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

sdk::Result<void> check_event(const AuditEvent& event) {
  auto field = [](std::string_view value, std::size_t max, bool required,
                  std::string_view name) -> sdk::Result<void> {
    if (required && value.empty()) return invalid_event(std::string(name) + " is empty");
    if (value.size() > max) return invalid_event(std::string(name) + " is too long");
    if (!printable(value)) return invalid_event(std::string(name) + " is not printable ASCII");
    return {};
  };
  if (auto ok = field(event.actor, kMaxAuditActor, true, "actor"); !ok) return ok;
  if (auto ok = field(event.action, kMaxAuditAction, true, "action"); !ok) return ok;
  if (auto ok = field(event.object, kMaxAuditObject, false, "object"); !ok) return ok;
  if (event.district_id) {
    if (auto ok = field(*event.district_id, kMaxAuditObject, true, "district"); !ok) return ok;
  }
  if (event.counts.size() > kMaxAuditCounts) return invalid_event("too many counts");
  for (const auto& [name, count] : event.counts) {
    if (auto ok = field(name, kMaxAuditAction, true, "count name"); !ok) return ok;
  }
  return {};
}

std::string counts_json(const AuditEvent& event) {
  boost::json::object counts;
  for (const auto& [name, count] : event.counts) counts[name] = count;
  return boost::json::serialize(counts);
}

sdk::Result<std::vector<std::pair<std::string, std::int64_t>>> parse_counts(
    std::string_view text) {
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) return sqlite_error("read audit event", "malformed counts");
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (const auto& [name, count] : value.as_object()) {
    if (!count.is_int64()) return sqlite_error("read audit event", "malformed counts");
    out.emplace_back(std::string(name), count.as_int64());
  }
  return out;
}

class SqliteAuditLog final : public AuditLog {
 public:
  explicit SqliteAuditLog(Connection db) : db_(std::move(db)) {}

  sdk::Result<std::int64_t> append(const AuditEvent& event) override {
    if (auto valid = check_event(event); !valid) return valid.error();
    const std::lock_guard lock(mutex_);
    auto insert = Statement::prepare(db_.get(),
                                     "INSERT INTO audit_events (at, district_id, actor, action, "
                                     "object, counts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                     "append audit event");
    if (!insert) return insert.error();
    auto done = insert->bind(1, to_unix(event.at))
                    .bind(2, event.district_id)
                    .bind(3, event.actor)
                    .bind(4, event.action)
                    .bind(5, event.object)
                    .bind(6, counts_json(event))
                    .run();
    if (!done) return done.error();
    return sqlite3_last_insert_rowid(db_.get());
  }

  sdk::Result<std::vector<AuditEvent>> list(const AuditQuery& query) override {
    const std::lock_guard lock(mutex_);
    auto select = Statement::prepare(
        db_.get(),
        std::string("SELECT id, at, district_id, actor, action, object, counts FROM audit_events "
                    "WHERE ") +
            (query.district_id.empty() ? "district_id IS NULL" : "district_id = ?1") +
            " AND id > ?2 AND at >= ?3 ORDER BY id LIMIT ?4",
        "list audit events");
    if (!select) return select.error();
    std::optional<std::string_view> district;
    if (!query.district_id.empty()) district = query.district_id;
    select->bind(1, district)
        .bind(2, query.after_id)
        .bind(3, to_unix(query.since))
        .bind(4, static_cast<std::int64_t>(query.limit));
    std::vector<AuditEvent> out;
    for (;;) {
      auto row = select->step();
      if (!row) return row.error();
      if (!*row) return out;
      AuditEvent event;
      event.id = select->int64(0);
      event.at = from_unix(select->int64(1));
      event.district_id = select->optional_text(2);
      event.actor = select->text(3);
      event.action = select->text(4);
      event.object = select->text(5);
      auto counts = parse_counts(select->text(6));
      if (!counts) return counts.error();
      event.counts = std::move(*counts);
      out.push_back(std::move(event));
    }
  }

 private:
  std::mutex mutex_;
  Connection db_;
};

}  // namespace

std::string audit_event_json(const AuditEvent& event) {
  boost::json::object out;
  out["id"] = event.id;
  out["at"] = time::to_rfc3339_utc(event.at);
  if (event.district_id) {
    out["district"] = *event.district_id;
  } else {
    out["district"] = nullptr;
  }
  out["actor"] = event.actor;
  out["action"] = event.action;
  out["object"] = event.object;
  boost::json::object counts;
  for (const auto& [name, count] : event.counts) counts[name] = count;
  out["counts"] = std::move(counts);
  return boost::json::serialize(out);
}

sdk::Result<std::unique_ptr<AuditLog>> open_sqlite_audit_log(const std::string& path) {
  auto db = open_database(SqliteOptions{.path = path, .migrate = false});
  if (!db) return db.error();
  return std::unique_ptr<AuditLog>(std::make_unique<SqliteAuditLog>(std::move(*db)));
}

}  // namespace lmsgw::store
