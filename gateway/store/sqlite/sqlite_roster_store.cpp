#include <sqlite3.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "common/crypto.h"
#include "identity/minimal_account.h"
#include "store/roster_store.h"
#include "store/sqlite/sqlite_support.h"

namespace lmsgw::store {

std::string_view to_string(SyncTrigger trigger) noexcept {
  return trigger == SyncTrigger::manual ? "manual" : "schedule";
}

std::string_view to_string(SyncMode mode) noexcept {
  return mode == SyncMode::snapshot ? "snapshot" : "delta";
}

std::string_view to_string(SyncOutcome outcome) noexcept {
  switch (outcome) {
    case SyncOutcome::running:
      return "running";
    case SyncOutcome::succeeded:
      return "succeeded";
    case SyncOutcome::failed:
      return "failed";
  }
  return "failed";
}

std::string_view to_string(RecordOutcome outcome) noexcept {
  switch (outcome) {
    case RecordOutcome::created:
      return "created";
    case RecordOutcome::updated:
      return "updated";
    case RecordOutcome::unchanged:
      return "unchanged";
    case RecordOutcome::restored:
      return "restored";
    case RecordOutcome::removed:
      return "removed";
    case RecordOutcome::rejected:
      return "rejected";
    case RecordOutcome::discarded:
      return "discarded";
  }
  return "rejected";
}

namespace {

using namespace sqlite;  // NOLINT(google-build-using-namespace): the backend's own helpers
using identity::MinimalAccount;

constexpr std::string_view kInterrupted = "interrupted: the process running it ended";

std::int64_t to_micros(TimePoint time) noexcept {
  return std::chrono::floor<std::chrono::microseconds>(time.time_since_epoch()).count();
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

// UTF-8 safe enough for a message we wrote or a plugin's error: cut on a character boundary.
std::string cut(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

std::optional<SyncMode> mode_from(std::optional<std::string> text) {
  if (!text) return std::nullopt;
  return *text == "snapshot" ? SyncMode::snapshot : SyncMode::delta;
}

// Prepared once per store, reset after each use: a bulk import runs the same few statements
// millions of times.
class Cached {
 public:
  Cached(sqlite3* db, std::string sql, std::string_view step)
      : db_(db), sql_(std::move(sql)), step_(step) {}

  // Ends the statement's read of the database; a statement left mid-rows would pin an old
  // snapshot and make the connection's next write transaction fail.
  void release() {
    if (stmt_) stmt_->reset();
  }

  sdk::Result<Statement*> get() {
    if (!stmt_) {
      auto prepared = Statement::prepare(db_, sql_, step_);
      if (!prepared) return prepared.error();
      stmt_.emplace(std::move(*prepared));
    } else {
      stmt_->reset();
    }
    return &*stmt_;
  }

 private:
  sqlite3* db_;
  std::string sql_;
  std::string_view step_;
  std::optional<Statement> stmt_;
};

struct Statements {
  explicit Statements(sqlite3* db)
      : load_user(db,
                  "SELECT a.key, a.role, a.district_id, a.display_name, a.age_years,"
                  " a.age_computed_on, a.email_hash, a.email, a.roster_connection,"
                  " a.roster_seen_run, a.left_roster_on"
                  " FROM identities i JOIN accounts a ON a.key = i.account_key"
                  " WHERE i.subject_hash = ?1",
                  "roster: find account"),
        insert_account(db,
                       "INSERT INTO accounts (id, role, district_id, display_name, age_years,"
                       " age_computed_on, email_hash, email, created_at, roster_connection,"
                       " roster_seen_run, last_seen_on_roster)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                       "roster: insert account"),
        insert_identity(db,
                        "INSERT INTO identities (subject_hash, account_key, connection_id,"
                        " created_at) VALUES (?1, ?2, ?3, ?4)",
                        "roster: link identity"),
        update_account(db,
                       "UPDATE accounts SET role = ?2, district_id = ?3, display_name = ?4,"
                       " age_years = ?5, age_computed_on = ?6, email_hash = ?7, email = ?8,"
                       " roster_connection = ?9, roster_seen_run = ?10,"
                       " last_seen_on_roster = ?11, left_roster_on = NULL WHERE key = ?1",
                       "roster: update account"),
        mark_account_seen(db,
                          "UPDATE accounts SET roster_connection = ?2, roster_seen_run = ?3,"
                          " last_seen_on_roster = ?4, left_roster_on = NULL WHERE key = ?1",
                          "roster: mark account seen"),
        account_roster(db,
                       "SELECT id, roster_connection, left_roster_on FROM accounts"
                       " WHERE key = ?1",
                       "roster: read account"),
        account_left(db, "UPDATE accounts SET left_roster_on = ?2 WHERE key = ?1",
                     "roster: account left"),
        account_enrollments_delete(db, "DELETE FROM enrollments WHERE account_key = ?1",
                                   "roster: delete account enrollments"),
        revoke(db,
               "INSERT INTO revocations (scope, subject_id, revoked_through) VALUES (?1, ?2, ?3)",
               "roster: record revocation"),
        account_sessions_delete(db, "DELETE FROM sessions WHERE account_id = ?1",
                                "roster: end sessions"),
        find_section(db, "SELECT key FROM sections WHERE provider_hash = ?1",
                     "roster: find section"),
        load_section(db,
                     "SELECT key, district_id, connection_key, seen_run, left_roster_on"
                     " FROM sections WHERE provider_hash = ?1",
                     "roster: find section"),
        insert_section(db,
                       "INSERT INTO sections (id, provider_hash, district_id, connection_key,"
                       " seen_run, created_at, last_seen_on) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                       "roster: insert section"),
        update_section(db,
                       "UPDATE sections SET connection_key = ?2, seen_run = ?3, last_seen_on = ?4,"
                       " district_id = ?5, left_roster_on = NULL WHERE key = ?1",
                       "roster: update section"),
        section_roster(db, "SELECT connection_key, left_roster_on FROM sections WHERE key = ?1",
                       "roster: read section"),
        section_left(db, "UPDATE sections SET left_roster_on = ?2 WHERE key = ?1",
                     "roster: section left"),
        section_enrollments_delete(db, "DELETE FROM enrollments WHERE section_key = ?1",
                                   "roster: delete section enrollments"),
        insert_enrollment(db,
                          "INSERT OR IGNORE INTO enrollments (section_key, account_key, role,"
                          " seen_run) VALUES (?1, ?2, ?3, ?4)",
                          "roster: insert enrollment"),
        load_enrollment(db,
                        "SELECT role, seen_run FROM enrollments"
                        " WHERE section_key = ?1 AND account_key = ?2",
                        "roster: read enrollment"),
        update_enrollment(db,
                          "UPDATE enrollments SET role = ?3, seen_run = ?4"
                          " WHERE section_key = ?1 AND account_key = ?2",
                          "roster: update enrollment"),
        delete_enrollment(db, "DELETE FROM enrollments WHERE section_key = ?1 AND account_key = ?2",
                          "roster: delete enrollment"),
        add_count(db,
                  "INSERT INTO sync_run_counts (run_id, kind, outcome, count) VALUES (?1, ?2, ?3,"
                  " ?4) ON CONFLICT (run_id, kind, outcome) DO UPDATE SET"
                  " count = count + excluded.count",
                  "roster: count"),
        add_rejection(db,
                      "INSERT INTO sync_rejections (run_id, seq, location, reason)"
                      " VALUES (?1, ?2, ?3, ?4)",
                      "roster: record rejection"),
        run_progress(db, "SELECT rejections_stored FROM sync_runs WHERE id = ?1",
                     "roster: read run"),
        update_run(db,
                   "UPDATE sync_runs SET batches = batches + 1, mode = ?2, rejections_stored = ?3,"
                   " cursor_bytes = ?4, outcome = ?5, finished_at = ?6 WHERE id = ?1",
                   "roster: update run"),
        update_cursor(db,
                      "UPDATE sync_connections SET cursor = ?2, open_mode = ?3,"
                      " open_since_run = ?4 WHERE key = ?1",
                      "roster: save cursor") {}

  void release_all() {
    for (Cached* cached : {&load_user,
                           &insert_account,
                           &insert_identity,
                           &update_account,
                           &mark_account_seen,
                           &account_roster,
                           &account_left,
                           &account_enrollments_delete,
                           &revoke,
                           &account_sessions_delete,
                           &find_section,
                           &load_section,
                           &insert_section,
                           &update_section,
                           &section_roster,
                           &section_left,
                           &section_enrollments_delete,
                           &insert_enrollment,
                           &load_enrollment,
                           &update_enrollment,
                           &delete_enrollment,
                           &add_count,
                           &add_rejection,
                           &run_progress,
                           &update_run,
                           &update_cursor}) {
      cached->release();
    }
  }

  Cached load_user, insert_account, insert_identity, update_account, mark_account_seen;
  Cached account_roster, account_left, account_enrollments_delete, revoke, account_sessions_delete;
  Cached find_section, load_section, insert_section, update_section, section_roster, section_left,
      section_enrollments_delete;
  Cached insert_enrollment, load_enrollment, update_enrollment, delete_enrollment;
  Cached add_count, add_rejection, run_progress, update_run, update_cursor;
};

// Ids for new accounts and sections: the time they were minted, then 16 bytes from the CSPRNG
// (drawn 8 KiB at a time: a bulk import mints a million of them). The random part alone makes
// an id unguessable (PRIVACY.md A: a random opaque id, never derived from a provider id). The
// time prefix sorts in minting order, so a bulk import appends to the ids' UNIQUE index instead
// of writing at random places in it: with wholly random ids that index outgrows the page cache
// and every commit rewrites most of its pages. It tells the platform only when the account
// appeared, which it sees anyway.
class OrderedIds {
 public:
  std::string next(std::string_view prefix, TimePoint now) {
    if (used_ + kIdBytes > pool_.size()) {
      pool_ = crypto::random_bytes(kPoolBytes);
      used_ = 0;
    }
    const std::string_view bytes(reinterpret_cast<const char*>(pool_.data() + used_), kIdBytes);
    std::string id(prefix);
    id += time_prefix(now);
    id += crypto::base64url_encode(bytes);
    // Each byte is handed out once, and none stays in memory longer than the next refill.
    std::fill_n(pool_.begin() + static_cast<std::ptrdiff_t>(used_), kIdBytes, std::uint8_t{0});
    used_ += kIdBytes;
    return id;
  }

 private:
  static constexpr std::size_t kIdBytes = 16;  // as crypto::random_token(16)
  static constexpr std::size_t kPoolBytes = 8192;
  // The base64url characters in ASCII order, so that the text sorts as the number does.
  static constexpr std::string_view kSortedDigits =
      "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
  static constexpr int kTimeDigits = 9;  // 54 bits of microseconds: until the year 2540

  static std::string time_prefix(TimePoint now) {
    auto micros = static_cast<std::uint64_t>(std::max<std::int64_t>(to_micros(now), 0));
    std::string out(kTimeDigits, '-');
    for (int i = kTimeDigits - 1; i >= 0; --i) {
      out[static_cast<std::size_t>(i)] = kSortedDigits[micros % kSortedDigits.size()];
      micros /= kSortedDigits.size();
    }
    return out;
  }

  std::vector<std::uint8_t> pool_;
  std::size_t used_ = 0;
};

// The stored age still says what a fresh computation says: same whole years once the time
// since it was computed is added. (Ages are recomputed daily; a mere date change is no update.)
bool same_age(const std::optional<identity::AgeRecord>& stored,
              const std::optional<identity::AgeRecord>& fresh) {
  if (!stored || !fresh) return stored.has_value() == fresh.has_value();
  const std::optional<int> elapsed =
      identity::whole_years_between(stored->computed_on, fresh->computed_on);
  return elapsed && stored->years + *elapsed == fresh->years;
}

class SqliteRosterBatch final : public RosterBatch {
 public:
  SqliteRosterBatch(sqlite3* db, Statements& statements, OrderedIds& ids,
                    std::unique_lock<std::mutex> lock, Transaction tx, RunScope scope)
      : db_(db),
        s_(statements),
        ids_(ids),
        lock_(std::move(lock)),
        tx_(std::move(tx)),
        scope_(std::move(scope)),
        today_(date_to_text(scope_.today)) {}
  ~SqliteRosterBatch() override { s_.release_all(); }
  SqliteRosterBatch(const SqliteRosterBatch&) = delete;
  SqliteRosterBatch& operator=(const SqliteRosterBatch&) = delete;

  sdk::Result<std::optional<std::int64_t>> find_account(
      const crypto::Digest& subject_hash) override {
    auto stmt = s_.load_user.get();
    if (!stmt) return stmt.error();
    auto row = (*stmt)->bind(1, subject_hash).step();
    if (!row) return row.error();
    if (!*row) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>((*stmt)->int64(0));
  }

  sdk::Result<UserWrite> upsert_user(const identity::Minimized& user) override {
    const MinimalAccount& account = user.account;
    if (account.age &&
        !identity::whole_years_between(account.age->computed_on, account.age->computed_on)) {
      return sdk::Error{sdk::ErrorCode::internal, "sqlite: roster: invalid age date"};
    }
    auto load = s_.load_user.get();
    if (!load) return load.error();
    Statement& row = **load;
    auto found = row.bind(1, user.key.subject_hash).step();
    if (!found) return found.error();
    if (!*found) return insert_user(user);

    UserWrite out;
    out.account_key = row.int64(0);
    MinimalAccount stored;
    const auto role = identity::account_role_from_string(row.text(1));
    if (!role) return sqlite_error("roster", "unknown role in database");
    stored.role = *role;
    stored.district_id = row.optional_text(2);
    stored.display_name = row.text(3);
    if (!row.is_null(4)) {
      const auto on = date_from_text(row.text(5));
      if (!on) return sqlite_error("roster", "malformed age date in database");
      stored.age = identity::AgeRecord{static_cast<int>(row.int64(4)), *on};
    }
    stored.email_hash = row.digest(6);
    stored.email = row.optional_text(7);
    const bool rostered_here = !row.is_null(8) && row.int64(8) == scope_.connection_key;
    const bool seen_by_read = rostered_here && row.int64(9) >= scope_.read_since_run;
    const bool had_left = !row.is_null(10);

    MinimalAccount compared = account;
    const bool age_same = same_age(stored.age, account.age);
    if (age_same) compared.age = stored.age;
    const bool changed = !(compared == stored);
    if (changed) {
      auto update = s_.update_account.get();
      if (!update) return update.error();
      (*update)->bind(1, out.account_key);
      bind_minimal(**update, account);
      if (auto done = (*update)
                          ->bind(9, scope_.connection_key)
                          .bind(10, scope_.run_id)
                          .bind(11, std::string_view(today_))
                          .run();
          !done) {
        return done.error();
      }
    } else if (!seen_by_read || had_left) {
      auto mark = seen_write(s_.mark_account_seen, out.account_key);
      if (!mark) return mark.error();
      if (auto done = (*mark)->run(); !done) return done.error();
    }
    out.outcome = upsert_outcome(had_left, changed);
    return out;
  }

  sdk::Result<RemoveWrite> remove_user(std::int64_t account_key) override {
    auto read = s_.account_roster.get();
    if (!read) return read.error();
    auto found = (*read)->bind(1, account_key).step();
    if (!found) return found.error();
    if (!*found || (*read)->is_null(1) || (*read)->int64(1) != scope_.connection_key ||
        !(*read)->is_null(2)) {
      return RemoveWrite{};
    }
    const std::string account_id = (*read)->text(0);
    auto left = leave_roster(s_.account_left, s_.account_enrollments_delete, account_key);
    if (!left) return left.error();
    if (auto ended = end_sessions(account_id); !ended) return ended.error();
    return left;
  }

  sdk::Result<std::optional<std::int64_t>> find_section(
      const crypto::Digest& provider_hash) override {
    auto stmt = s_.find_section.get();
    if (!stmt) return stmt.error();
    auto row = (*stmt)->bind(1, provider_hash).step();
    if (!row) return row.error();
    if (!*row) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>((*stmt)->int64(0));
  }

  sdk::Result<SectionWrite> upsert_section(const crypto::Digest& provider_hash,
                                           std::string_view district_id) override {
    auto load = s_.load_section.get();
    if (!load) return load.error();
    Statement& row = **load;
    auto found = row.bind(1, provider_hash).step();
    if (!found) return found.error();
    SectionWrite out;
    if (!*found) {
      auto insert = s_.insert_section.get();
      if (!insert) return insert.error();
      const std::string id = ids_.next("sect_", scope_.now);
      if (auto done = (*insert)
                          ->bind(1, std::string_view(id))
                          .bind(2, provider_hash)
                          .bind(3, district_id)
                          .bind(4, scope_.connection_key)
                          .bind(5, scope_.run_id)
                          .bind(6, to_unix(scope_.now))
                          .bind(7, std::string_view(today_))
                          .run();
          !done) {
        return done.error();
      }
      out.section_key = sqlite3_last_insert_rowid(db_);
      out.outcome = RecordOutcome::created;
      return out;
    }
    out.section_key = row.int64(0);
    const bool changed = row.text(1) != district_id || row.int64(2) != scope_.connection_key;
    const bool seen_by_read =
        row.int64(2) == scope_.connection_key && row.int64(3) >= scope_.read_since_run;
    const bool had_left = !row.is_null(4);
    if (changed || had_left || !seen_by_read) {
      auto update = seen_write(s_.update_section, out.section_key);
      if (!update) return update.error();
      if (auto done = (*update)->bind(5, district_id).run(); !done) return done.error();
    }
    out.outcome = upsert_outcome(had_left, changed);
    return out;
  }

  sdk::Result<RemoveWrite> remove_section(std::int64_t section_key) override {
    auto read = s_.section_roster.get();
    if (!read) return read.error();
    auto found = (*read)->bind(1, section_key).step();
    if (!found) return found.error();
    if (!*found || (*read)->int64(0) != scope_.connection_key || !(*read)->is_null(1)) {
      return RemoveWrite{};
    }
    return leave_roster(s_.section_left, s_.section_enrollments_delete, section_key);
  }

  sdk::Result<RecordOutcome> upsert_enrollment(std::int64_t section_key, std::int64_t account_key,
                                               sdk::Role role) override {
    const auto role_number = static_cast<std::int64_t>(role);
    auto insert = s_.insert_enrollment.get();
    if (!insert) return insert.error();
    if (auto done = (*insert)
                        ->bind(1, section_key)
                        .bind(2, account_key)
                        .bind(3, role_number)
                        .bind(4, scope_.run_id)
                        .run();
        !done) {
      return done.error();
    }
    if (sqlite3_changes(db_) > 0) return RecordOutcome::created;
    auto load = s_.load_enrollment.get();
    if (!load) return load.error();
    auto found = (*load)->bind(1, section_key).bind(2, account_key).step();
    if (!found) return found.error();
    if (!*found) return sqlite_error("roster", "enrollment vanished in transaction");
    const bool changed = (*load)->int64(0) != role_number;
    if (changed || (*load)->int64(1) < scope_.read_since_run) {
      auto update = s_.update_enrollment.get();
      if (!update) return update.error();
      if (auto done = (*update)
                          ->bind(1, section_key)
                          .bind(2, account_key)
                          .bind(3, role_number)
                          .bind(4, scope_.run_id)
                          .run();
          !done) {
        return done.error();
      }
    }
    return changed ? RecordOutcome::updated : RecordOutcome::unchanged;
  }

  sdk::Result<RecordOutcome> remove_enrollment(std::int64_t section_key,
                                               std::int64_t account_key) override {
    auto remove = s_.delete_enrollment.get();
    if (!remove) return remove.error();
    if (auto done = (*remove)->bind(1, section_key).bind(2, account_key).run(); !done) {
      return done.error();
    }
    return sqlite3_changes(db_) > 0 ? RecordOutcome::removed : RecordOutcome::unchanged;
  }

  sdk::Result<void> revoke_district(std::string_view district_id) override {
    auto stop = Statement::prepare(
        db_,
        "INSERT INTO sync_district_stops (connection_id, district_id, stopped_at, run_id)"
        " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (connection_id, district_id) DO NOTHING",
        "roster: stop district");
    if (!stop) return stop.error();
    if (auto done = stop->bind(1, std::string_view(scope_.connection_id))
                        .bind(2, district_id)
                        .bind(3, to_unix(scope_.now))
                        .bind(4, scope_.run_id)
                        .run();
        !done) {
      return done.error();
    }
    // PRIVACY.md C.1: withdrawn for every source, not only this connection (no new sign-in).
    auto withdrawn = mark_district_withdrawn(db_, district_id, scope_.now,
                                             "sync:" + scope_.connection_id);
    if (!withdrawn) return withdrawn.error();
    if (auto recorded = record_revocation("district", district_id); !recorded) {
      return recorded.error();
    }
    auto sessions = Statement::prepare(
        db_,
        "DELETE FROM sessions WHERE account_id IN (SELECT id FROM accounts WHERE district_id = ?1)",
        "roster: end district sessions");
    if (!sessions) return sessions.error();
    return sessions->bind(1, district_id).run();
  }

  sdk::Result<SweepResult> sweep() override {
    SweepResult out;
    // Districts this connection stopped reading or that were revoked keep their records as
    // they are: their disposition directive decides, not the absence from a read.
    const std::string kept_districts =
        "(SELECT district_id FROM sync_district_stops WHERE connection_id = ?1"
        " UNION SELECT id FROM districts WHERE access_revoked_at IS NOT NULL)";
    const std::string steps[] = {
        "CREATE TEMP TABLE IF NOT EXISTS swept_accounts (key INTEGER PRIMARY KEY)",
        "DELETE FROM temp.swept_accounts",
    };
    for (const std::string& sql : steps) {
      if (auto done = exec(db_, sql.c_str(), "roster: sweep"); !done) return done.error();
    }
    struct Step {
      std::string sql;
      std::uint64_t* count;
    };
    const Step plan[] = {
        {"DELETE FROM enrollments WHERE seen_run < ?3 AND section_key IN (SELECT key FROM "
         "sections WHERE connection_key = ?2 AND district_id NOT IN " +
             kept_districts + ")",
         &out.enrollments},
        {"INSERT INTO temp.swept_accounts (key) SELECT key FROM accounts WHERE"
         " roster_connection = ?2 AND roster_seen_run < ?3 AND left_roster_on IS NULL AND"
         " district_id NOT IN " +
             kept_districts,
         &out.users},
        {"DELETE FROM enrollments WHERE account_key IN (SELECT key FROM temp.swept_accounts)",
         &out.enrollments},
        {"INSERT INTO revocations (scope, subject_id, revoked_through) SELECT 'account', a.id,"
         " ?5 FROM accounts a WHERE a.key IN (SELECT key FROM temp.swept_accounts) ORDER BY a.key",
         nullptr},
        {"DELETE FROM sessions WHERE account_id IN (SELECT a.id FROM accounts a WHERE a.key IN"
         " (SELECT key FROM temp.swept_accounts))",
         nullptr},
        {"UPDATE accounts SET left_roster_on = ?4 WHERE key IN (SELECT key FROM"
         " temp.swept_accounts)",
         nullptr},
        {"DELETE FROM enrollments WHERE section_key IN (SELECT key FROM sections WHERE"
         " connection_key = ?2 AND seen_run < ?3 AND left_roster_on IS NULL AND district_id"
         " NOT IN " +
             kept_districts + ")",
         &out.enrollments},
        {"UPDATE sections SET left_roster_on = ?4 WHERE connection_key = ?2 AND seen_run < ?3"
         " AND left_roster_on IS NULL AND district_id NOT IN " +
             kept_districts,
         &out.sections},
    };
    for (const Step& step : plan) {
      auto stmt = Statement::prepare(db_, step.sql, "roster: sweep");
      if (!stmt) return stmt.error();
      // Each statement names only some of the parameters (SQLite refuses binding others).
      const auto bind_if = [&](int index, auto value) {
        if (stmt->parameter_count() >= index) stmt->bind(index, value);
      };
      bind_if(1, std::string_view(scope_.connection_id));
      bind_if(2, scope_.connection_key);
      bind_if(3, scope_.read_since_run);
      bind_if(4, std::string_view(today_));
      bind_if(5, to_micros(scope_.now));
      if (auto done = stmt->run(); !done) return done.error();
      if (step.count != nullptr) *step.count += static_cast<std::uint64_t>(sqlite3_changes(db_));
    }
    return out;
  }

  sdk::Result<void> commit() override {
    s_.release_all();
    return tx_.commit();
  }

  sdk::Result<void> record(const BatchCommit& commit) override {
    if (commit.next_cursor.size() > RosterStore::kMaxCursorBytes) {
      return sdk::Error{
          sdk::ErrorCode::invalid_request,
          "the plugin's cursor exceeds " + std::to_string(RosterStore::kMaxCursorBytes) + " bytes"};
    }
    for (const auto& [key, count] : commit.counts) {
      if (count == 0) continue;
      auto add = s_.add_count.get();
      if (!add) return add.error();
      if (auto done = (*add)
                          ->bind(1, scope_.run_id)
                          .bind(2, std::string_view(key.first))
                          .bind(3, std::string_view(key.second))
                          .bind(4, static_cast<std::int64_t>(count))
                          .run();
          !done) {
        return done.error();
      }
    }
    auto progress = s_.run_progress.get();
    if (!progress) return progress.error();
    auto run_row = (*progress)->bind(1, scope_.run_id).step();
    if (!run_row) return run_row.error();
    if (!*run_row) return sqlite_error("roster", "run record missing");
    std::int64_t stored = (*progress)->int64(0);
    for (const sdk::RejectedRecord& rejected : commit.rejections) {
      if (stored >= static_cast<std::int64_t>(RosterStore::kMaxStoredRejections)) break;
      auto add = s_.add_rejection.get();
      if (!add) return add.error();
      if (auto done = (*add)
                          ->bind(1, scope_.run_id)
                          .bind(2, stored)
                          .bind(3, std::string_view(cut(rejected.location, 128)))
                          .bind(4, std::string_view(cut(rejected.reason, 256)))
                          .run();
          !done) {
        return done.error();
      }
      ++stored;
    }
    auto run = s_.update_run.get();
    if (!run) return run.error();
    (*run)
        ->bind(1, scope_.run_id)
        .bind(2, to_string(commit.mode))
        .bind(3, stored)
        .bind(4, static_cast<std::int64_t>(commit.next_cursor.size()))
        .bind(5, commit.finished ? std::string_view("succeeded") : std::string_view("running"));
    if (commit.finished) {
      (*run)->bind(6, to_unix(scope_.now));
    } else {
      (*run)->bind_null(6);
    }
    if (auto done = (*run)->run(); !done) return done.error();

    auto cursor = s_.update_cursor.get();
    if (!cursor) return cursor.error();
    (*cursor)->bind(1, scope_.connection_key).bind(2, std::string_view(commit.next_cursor));
    if (commit.finished) {
      (*cursor)->bind_null(3).bind_null(4);
    } else {
      (*cursor)->bind(3, to_string(commit.mode)).bind(4, scope_.read_since_run);
    }
    return (*cursor)->run();
  }

 private:
  static RecordOutcome upsert_outcome(bool had_left, bool changed) {
    return had_left  ? RecordOutcome::restored
           : changed ? RecordOutcome::updated
                     : RecordOutcome::unchanged;
  }

  // A write marking a record seen by this read, with what every such write binds: ?1 the
  // record's key, ?2 this connection, ?3 this run, ?4 today. The caller binds the rest.
  sdk::Result<Statement*> seen_write(Cached& cached, std::int64_t key) {
    auto stmt = cached.get();
    if (!stmt) return stmt.error();
    (*stmt)
        ->bind(1, key)
        .bind(2, scope_.connection_key)
        .bind(3, scope_.run_id)
        .bind(4, std::string_view(today_));
    return stmt;
  }

  // Marks a user or section off the roster today (`left`: ?1 key, ?2 date) and deletes its
  // enrollments (`enrollments`: ?1 key).
  sdk::Result<RemoveWrite> leave_roster(Cached& left, Cached& enrollments, std::int64_t key) {
    auto mark = left.get();
    if (!mark) return mark.error();
    if (auto done = (*mark)->bind(1, key).bind(2, std::string_view(today_)).run(); !done) {
      return done.error();
    }
    auto remove = enrollments.get();
    if (!remove) return remove.error();
    if (auto done = (*remove)->bind(1, key).run(); !done) return done.error();
    return RemoveWrite{RecordOutcome::removed, static_cast<std::uint64_t>(sqlite3_changes(db_))};
  }

  sdk::Result<UserWrite> insert_user(const identity::Minimized& user) {
    // Random, never derived from the provider's id: the account id travels to the platform.
    const std::string account_id = ids_.next("acct_", scope_.now);
    auto insert = s_.insert_account.get();
    if (!insert) return insert.error();
    (*insert)->bind(1, std::string_view(account_id));
    bind_minimal(**insert, user.account);
    if (auto done = (*insert)
                        ->bind(9, to_unix(scope_.now))
                        .bind(10, scope_.connection_key)
                        .bind(11, scope_.run_id)
                        .bind(12, std::string_view(today_))
                        .run();
        !done) {
      return done.error();
    }
    UserWrite out{sqlite3_last_insert_rowid(db_), RecordOutcome::created};
    auto link = s_.insert_identity.get();
    if (!link) return link.error();
    if (auto done = (*link)
                        ->bind(1, user.key.subject_hash)
                        .bind(2, out.account_key)
                        .bind(3, std::string_view(scope_.connection_id))
                        .bind(4, to_unix(scope_.now))
                        .run();
        !done) {
      return done.error();
    }
    return out;
  }

  // Binds the minimal fields as ?2..?8, shared by insert and update.
  static void bind_minimal(Statement& stmt, const MinimalAccount& account) {
    std::optional<std::int64_t> age_years;
    std::optional<std::string> age_computed_on;
    if (account.age) {
      age_years = account.age->years;
      age_computed_on = date_to_text(account.age->computed_on);
    }
    stmt.bind(2, identity::to_string(account.role))
        .bind(3, account.district_id)
        .bind(4, std::string_view(account.display_name))
        .bind(5, age_years)
        .bind(6, age_computed_on)
        .bind(7, account.email_hash)
        .bind(8, account.email);
  }

  sdk::Result<void> record_revocation(std::string_view scope, std::string_view subject_id) {
    auto revoke = s_.revoke.get();
    if (!revoke) return revoke.error();
    return (*revoke)->bind(1, scope).bind(2, subject_id).bind(3, to_micros(scope_.now)).run();
  }

  sdk::Result<void> end_sessions(const std::string& account_id) {
    if (auto recorded = record_revocation("account", account_id); !recorded) {
      return recorded.error();
    }
    auto sessions = s_.account_sessions_delete.get();
    if (!sessions) return sessions.error();
    return (*sessions)->bind(1, std::string_view(account_id)).run();
  }

  sqlite3* db_;
  Statements& s_;
  OrderedIds& ids_;
  std::unique_lock<std::mutex> lock_;
  Transaction tx_;
  RunScope scope_;
  std::string today_;
};

class SqliteRosterStore final : public RosterStore {
 public:
  explicit SqliteRosterStore(Connection db) : db_(std::move(db)), statements_(db_.get()) {}

  sdk::Result<StartedRun> start_run(std::string_view connection_id,
                                    const std::vector<std::string>& districts, SyncTrigger trigger,
                                    bool full, TimePoint now) override {
    std::lock_guard lock(mutex_);
    auto tx = Transaction::begin(db_.get());
    if (!tx) return tx.error();
    sqlite3* db = db_.get();

    auto add_connection = Statement::prepare(
        db, "INSERT OR IGNORE INTO sync_connections (id) VALUES (?1)", "sync: add connection");
    if (!add_connection) return add_connection.error();
    if (auto done = add_connection->bind(1, connection_id).run(); !done) return done.error();
    for (const std::string& district : districts) {
      auto add =
          Statement::prepare(db, "INSERT OR IGNORE INTO districts (id, created_at) VALUES (?1, ?2)",
                             "sync: add district");
      if (!add) return add.error();
      if (auto done = add->bind(1, std::string_view(district)).bind(2, to_unix(now)).run(); !done) {
        return done.error();
      }
    }
    auto interrupted =
        Statement::prepare(db,
                           "UPDATE sync_runs SET outcome = 'failed', finished_at = ?2, error = ?3"
                           " WHERE connection_id = ?1 AND outcome = 'running'",
                           "sync: close interrupted run");
    if (!interrupted) return interrupted.error();
    if (auto done =
            interrupted->bind(1, connection_id).bind(2, to_unix(now)).bind(3, kInterrupted).run();
        !done) {
      return done.error();
    }

    StartedRun out;
    auto state = Statement::prepare(
        db, "SELECT key, cursor, open_mode, open_since_run FROM sync_connections WHERE id = ?1",
        "sync: read state");
    if (!state) return state.error();
    auto row = state->bind(1, connection_id).step();
    if (!row) return row.error();
    if (!*row) return sqlite_error("sync", "connection vanished in transaction");
    out.state.connection_key = state->int64(0);
    out.state.cursor = state->text(1);
    out.state.open_mode = mode_from(state->optional_text(2));
    if (!state->is_null(3)) out.state.open_since_run = state->int64(3);

    auto stops =
        Statement::prepare(db,
                           "SELECT district_id FROM sync_district_stops WHERE connection_id = ?1"
                           " UNION SELECT id FROM districts WHERE access_revoked_at IS NOT NULL",
                           "sync: read stopped districts");
    if (!stops) return stops.error();
    stops->bind(1, connection_id);
    for (;;) {
      auto stop = stops->step();
      if (!stop) return stop.error();
      if (!*stop) break;
      out.state.stopped_districts.insert(stops->text(0));
    }

    SyncRunRecord& run = out.run;
    run.connection_id = std::string(connection_id);
    run.districts = districts;
    run.trigger = trigger;
    run.full = full;
    run.started_at = from_unix(to_unix(now));
    if (out.state.open_mode && !full) {
      auto previous = Statement::prepare(
          db, "SELECT max(id) FROM sync_runs WHERE connection_id = ?1", "sync: previous run");
      if (!previous) return previous.error();
      auto found = previous->bind(1, connection_id).step();
      if (!found) return found.error();
      if (*found && !previous->is_null(0)) run.resumes_run = previous->int64(0);
    }
    auto insert = Statement::prepare(
        db,
        "INSERT INTO sync_runs (connection_id, districts, trigger, full_read, resumes_run,"
        " started_at, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running')",
        "sync: record run");
    if (!insert) return insert.error();
    if (auto done = insert->bind(1, connection_id)
                        .bind(2, std::string_view(join(districts)))
                        .bind(3, to_string(trigger))
                        .bind(4, std::int64_t{full ? 1 : 0})
                        .bind(5, run.resumes_run)
                        .bind(6, to_unix(now))
                        .run();
        !done) {
      return done.error();
    }
    run.id = sqlite3_last_insert_rowid(db);
    if (auto committed = tx->commit(); !committed) return committed.error();
    return out;
  }

  sdk::Result<std::unique_ptr<RosterBatch>> begin_batch(const RunScope& scope) override {
    std::unique_lock lock(mutex_);
    auto tx = Transaction::begin(db_.get());
    if (!tx) return tx.error();
    return std::unique_ptr<RosterBatch>(std::make_unique<SqliteRosterBatch>(
        db_.get(), statements_, ids_, std::move(lock), std::move(*tx), scope));
  }

  sdk::Result<void> fail_run(std::int64_t run_id, std::string_view error, TimePoint now) override {
    std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(db_.get(),
                                   "UPDATE sync_runs SET outcome = 'failed', finished_at = ?2,"
                                   " error = ?3 WHERE id = ?1 AND outcome = 'running'",
                                   "sync: record failure");
    if (!stmt) return stmt.error();
    return stmt->bind(1, run_id)
        .bind(2, to_unix(now))
        .bind(3, std::string_view(cut(error, kMaxErrorBytes)))
        .run();
  }

  sdk::Result<std::optional<SyncRunRecord>> find_run(std::int64_t run_id) override {
    std::lock_guard lock(mutex_);
    auto runs = read_runs(" WHERE id = ?1", [&](Statement& stmt) { stmt.bind(1, run_id); });
    if (!runs) return runs.error();
    if (runs->empty()) return std::optional<SyncRunRecord>{};
    SyncRunRecord& run = runs->front();
    auto rejections = Statement::prepare(
        db_.get(), "SELECT location, reason FROM sync_rejections WHERE run_id = ?1 ORDER BY seq",
        "sync: read rejections");
    if (!rejections) return rejections.error();
    rejections->bind(1, run_id);
    for (;;) {
      auto row = rejections->step();
      if (!row) return row.error();
      if (!*row) break;
      run.rejections.push_back(sdk::RejectedRecord{rejections->text(0), rejections->text(1)});
    }
    return std::optional<SyncRunRecord>(std::move(run));
  }

  sdk::Result<std::vector<SyncRunRecord>> recent_runs(std::optional<std::string> district,
                                                      std::size_t limit) override {
    std::lock_guard lock(mutex_);
    const auto max = static_cast<std::int64_t>(limit);
    if (district) {
      return read_runs(
          " WHERE instr(',' || districts || ',', ',' || ?1 || ',') > 0 ORDER BY id DESC LIMIT ?2",
          [&](Statement& stmt) { stmt.bind(1, std::string_view(*district)).bind(2, max); });
    }
    return read_runs(" ORDER BY id DESC LIMIT ?1", [&](Statement& stmt) { stmt.bind(1, max); });
  }

  sdk::Result<std::optional<TimePoint>> last_run_started(std::string_view connection_id) override {
    std::lock_guard lock(mutex_);
    auto stmt = Statement::prepare(
        db_.get(),
        "SELECT started_at FROM sync_runs WHERE connection_id = ?1 ORDER BY id DESC LIMIT 1",
        "sync: last run");
    if (!stmt) return stmt.error();
    auto row = stmt->bind(1, connection_id).step();
    if (!row) return row.error();
    if (!*row) return std::optional<TimePoint>{};
    return std::optional<TimePoint>(from_unix(stmt->int64(0)));
  }

 private:
  template <class Bind>
  sdk::Result<std::vector<SyncRunRecord>> read_runs(const std::string& where, Bind bind) {
    auto stmt = Statement::prepare(
        db_.get(),
        "SELECT id, connection_id, districts, trigger, mode, full_read, resumes_run, started_at,"
        " finished_at, outcome, batches, error FROM sync_runs" +
            where,
        "sync: read runs");
    if (!stmt) return stmt.error();
    bind(*stmt);
    std::vector<SyncRunRecord> runs;
    for (;;) {
      auto row = stmt->step();
      if (!row) return row.error();
      if (!*row) break;
      SyncRunRecord run;
      run.id = stmt->int64(0);
      run.connection_id = stmt->text(1);
      run.districts = split(stmt->text(2));
      run.trigger = stmt->text(3) == "schedule" ? SyncTrigger::schedule : SyncTrigger::manual;
      run.mode = mode_from(stmt->optional_text(4));
      run.full = stmt->int64(5) != 0;
      if (!stmt->is_null(6)) run.resumes_run = stmt->int64(6);
      run.started_at = from_unix(stmt->int64(7));
      if (!stmt->is_null(8)) run.finished_at = from_unix(stmt->int64(8));
      const std::string outcome = stmt->text(9);
      run.outcome = outcome == "running"     ? SyncOutcome::running
                    : outcome == "succeeded" ? SyncOutcome::succeeded
                                             : SyncOutcome::failed;
      run.batches = stmt->int64(10);
      run.error = stmt->text(11);
      runs.push_back(std::move(run));
    }
    auto counts = Statement::prepare(
        db_.get(), "SELECT kind, outcome, count FROM sync_run_counts WHERE run_id = ?1",
        "sync: read counts");
    if (!counts) return counts.error();
    for (SyncRunRecord& run : runs) {
      counts->reset();
      counts->bind(1, run.id);
      for (;;) {
        auto row = counts->step();
        if (!row) return row.error();
        if (!*row) break;
        run.counts[{counts->text(0), counts->text(1)}] =
            static_cast<std::uint64_t>(counts->int64(2));
      }
    }
    return runs;
  }

  std::mutex mutex_;
  Connection db_;
  Statements statements_;
  OrderedIds ids_;
};

}  // namespace

sdk::Result<std::unique_ptr<RosterStore>> open_sqlite_roster_store(
    const SqliteRosterOptions& options) {
  auto db = open_database(SqliteOptions{
      .path = options.path, .migrate = false, .busy_timeout_ms = options.busy_timeout_ms});
  if (!db) return db.error();
  // A roster batch is one commit; in WAL mode NORMAL loses no committed batch on a process
  // crash (only, on a power loss, the last ones, which the cursor then reads again).
  if (auto sync = exec(db->get(), "PRAGMA synchronous = NORMAL", "synchronous"); !sync) {
    return sync.error();
  }
  const std::string cache =
      "PRAGMA cache_size = -" + std::to_string(options.cache_mebibytes * 1024);
  if (auto sized = exec(db->get(), cache.c_str(), "cache size"); !sized) return sized.error();
  // The engine writes only keys it resolved in the same transaction and configured districts,
  // and this connection never deletes a parent row, so enforcing foreign keys here would only
  // add two lookups to each of millions of enrollment inserts. (Every other connection keeps
  // them on, so deleting an account still cascades to its enrollments.)
  if (sqlite3_db_config(db->get(), SQLITE_DBCONFIG_ENABLE_FKEY, 0, nullptr) != SQLITE_OK) {
    return sqlite_error(db->get(), "foreign keys");
  }
  // Each checkpoint syncs the file; at the default (every 1000 pages, about one batch) a bulk
  // import would spend most of its time waiting for the disk.
  auto page_size = Statement::prepare(db->get(), "PRAGMA page_size", "page size");
  if (!page_size) return page_size.error();
  auto page_row = page_size->step();
  if (!page_row) return page_row.error();
  if (!*page_row || page_size->int64(0) <= 0) return sqlite_error("roster", "no page size");
  const auto checkpoint_pages = static_cast<int>(
      std::max<std::int64_t>(1, options.checkpoint_mebibytes * 1024 * 1024 / page_size->int64(0)));
  if (sqlite3_wal_autocheckpoint(db->get(), checkpoint_pages) != SQLITE_OK) {
    return sqlite_error(db->get(), "wal autocheckpoint");
  }
  if (auto temp = exec(db->get(), "PRAGMA temp_store = MEMORY", "temp store"); !temp) {
    return temp.error();
  }
  return std::unique_ptr<RosterStore>(std::make_unique<SqliteRosterStore>(std::move(*db)));
}

}  // namespace lmsgw::store
