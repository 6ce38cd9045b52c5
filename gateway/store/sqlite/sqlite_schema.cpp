#include <sqlite3.h>

#include <array>
#include <optional>
#include <string>

#include "store/sqlite/sqlite_support.h"

namespace lmsgw::store::sqlite {
namespace {

sdk::Result<bool> table_exists(sqlite3* db, std::string_view table);

}  // namespace

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

namespace {

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
    Migration{4, R"sql(
CREATE TABLE sync_connections (
  key            INTEGER PRIMARY KEY,
  id             TEXT NOT NULL UNIQUE,
  -- The plugin's cursor after the last applied batch: where the next read starts.
  cursor         TEXT NOT NULL DEFAULT '' CHECK (length(cursor) <= 4096),
  -- A read that has not finished (its run failed or was interrupted part-way): its mode and
  -- its first run, whose id bounds the snapshot sweep. NULL once the read finishes.
  open_mode      TEXT NULL CHECK (open_mode IN ('snapshot', 'delta')),
  open_since_run INTEGER NULL,
  CHECK ((open_mode IS NULL) = (open_since_run IS NULL))
) STRICT;

-- Rebuilt for an integer key (enrollments refer to it), a last sign-in that a rostered
-- account may not have yet, and the roster fields (PRIVACY.md A: last seen on roster).
CREATE TABLE accounts_rebuilt (
  key                 INTEGER PRIMARY KEY,
  id                  TEXT NOT NULL UNIQUE,
  role                TEXT NOT NULL
                      CHECK (role IN ('student', 'teacher', 'district_admin', 'guardian')),
  district_id         TEXT NULL REFERENCES districts (id),
  display_name        TEXT NOT NULL,
  age_years           INTEGER NULL CHECK (age_years IS NULL OR age_years >= 0),
  age_computed_on     TEXT NULL,
  email_hash          BLOB NULL CHECK (email_hash IS NULL OR length(email_hash) = 32),
  email               TEXT NULL,
  created_at          INTEGER NOT NULL,
  last_sign_in_at     INTEGER NULL,
  -- The sync connection (sync_connections.key) that last rostered the account, the run that
  -- last mentioned it and that run's date; the date it left that roster, while it is off it.
  roster_connection   INTEGER NULL,
  roster_seen_run     INTEGER NULL,
  last_seen_on_roster TEXT NULL,
  left_roster_on      TEXT NULL,
  CHECK (role NOT IN ('student', 'guardian') OR email IS NULL),
  CHECK (role = 'student' OR age_years IS NULL),
  CHECK ((age_years IS NULL) = (age_computed_on IS NULL)),
  CHECK ((roster_connection IS NULL) = (roster_seen_run IS NULL)),
  CHECK (last_sign_in_at IS NOT NULL OR roster_connection IS NOT NULL)
) STRICT;
INSERT INTO accounts_rebuilt (id, role, district_id, display_name, age_years, age_computed_on,
  email_hash, email, created_at, last_sign_in_at)
  SELECT id, role, district_id, display_name, age_years, age_computed_on, email_hash, email,
  created_at, last_sign_in_at FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_rebuilt RENAME TO accounts;
CREATE INDEX accounts_by_district ON accounts (district_id);
CREATE INDEX accounts_by_email_hash ON accounts (email_hash) WHERE email_hash IS NOT NULL;

-- Without a rowid (the subject hash is the only way in: one B-tree, not two), and pointing at
-- the account's integer key: a bulk import appends to its account index instead of inserting
-- at random places in an index of random text ids.
CREATE TABLE identities_rebuilt (
  subject_hash  BLOB PRIMARY KEY NOT NULL CHECK (length(subject_hash) = 32),
  account_key   INTEGER NOT NULL REFERENCES accounts (key) ON DELETE CASCADE,
  connection_id TEXT NOT NULL,
  created_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO identities_rebuilt SELECT i.subject_hash, a.key, i.connection_id, i.created_at
  FROM identities i JOIN accounts a ON a.id = i.account_id;
DROP TABLE identities;
ALTER TABLE identities_rebuilt RENAME TO identities;
CREATE INDEX identities_by_account ON identities (account_key);

-- A class. The provider's id is kept only as a keyed hash of (namespace, id).
CREATE TABLE sections (
  key            INTEGER PRIMARY KEY,
  id             TEXT NOT NULL UNIQUE,
  provider_hash  BLOB NOT NULL UNIQUE CHECK (length(provider_hash) = 32),
  district_id    TEXT NOT NULL REFERENCES districts (id),
  connection_key INTEGER NOT NULL REFERENCES sync_connections (key),
  seen_run       INTEGER NOT NULL,
  created_at     INTEGER NOT NULL,
  last_seen_on   TEXT NOT NULL,
  left_roster_on TEXT NULL
) STRICT;
CREATE INDEX sections_by_connection ON sections (connection_key);

-- role: the membership's role as the roster gave it (lmsgw::sdk::Role).
CREATE TABLE enrollments (
  section_key INTEGER NOT NULL REFERENCES sections (key) ON DELETE CASCADE,
  account_key INTEGER NOT NULL REFERENCES accounts (key) ON DELETE CASCADE,
  role        INTEGER NOT NULL CHECK (role BETWEEN 0 AND 5),
  seen_run    INTEGER NOT NULL,
  PRIMARY KEY (section_key, account_key)
) STRICT, WITHOUT ROWID;
CREATE INDEX enrollments_by_account ON enrollments (account_key);

CREATE TABLE sync_runs (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  connection_id TEXT NOT NULL,
  districts     TEXT NOT NULL,
  trigger       TEXT NOT NULL CHECK (trigger IN ('manual', 'schedule')),
  mode          TEXT NULL CHECK (mode IN ('snapshot', 'delta')),
  full_read     INTEGER NOT NULL CHECK (full_read IN (0, 1)),
  resumes_run   INTEGER NULL,
  started_at    INTEGER NOT NULL,
  finished_at   INTEGER NULL,
  outcome       TEXT NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed')),
  batches       INTEGER NOT NULL DEFAULT 0,
  cursor_bytes  INTEGER NOT NULL DEFAULT 0,
  rejections_stored INTEGER NOT NULL DEFAULT 0,
  error         TEXT NULL
) STRICT;
CREATE INDEX sync_runs_by_connection ON sync_runs (connection_id, id);

CREATE TABLE sync_run_counts (
  run_id  INTEGER NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
  kind    TEXT NOT NULL,
  outcome TEXT NOT NULL,
  count   INTEGER NOT NULL,
  PRIMARY KEY (run_id, kind, outcome)
) STRICT, WITHOUT ROWID;

-- Where and why, never a value from the record.
CREATE TABLE sync_rejections (
  run_id   INTEGER NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
  seq      INTEGER NOT NULL,
  location TEXT NOT NULL,
  reason   TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) STRICT, WITHOUT ROWID;

-- A district this sync connection no longer reads (it was revoked through the roster).
CREATE TABLE sync_district_stops (
  connection_id TEXT NOT NULL,
  district_id   TEXT NOT NULL REFERENCES districts (id),
  stopped_at    INTEGER NOT NULL,
  run_id        INTEGER NULL,
  PRIMARY KEY (connection_id, district_id)
) STRICT, WITHOUT ROWID;
)sql",
              true},
    Migration{5, R"sql(
-- PRIVACY.md C.1: a district whose access is withdrawn gets no new sign-in and no roster sync
-- until it is reinstated; the time also starts its directive's after-revocation clock.
ALTER TABLE districts ADD COLUMN access_revoked_at INTEGER NULL;
ALTER TABLE districts ADD COLUMN access_revoked_by TEXT NULL;

-- PRIVACY.md F: who did what, when and how many; never a value that names a person.
-- counts: a JSON object of name -> integer.
CREATE TABLE audit_events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          INTEGER NOT NULL,
  district_id TEXT NULL,
  actor       TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
  action      TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
  object      TEXT NOT NULL DEFAULT '' CHECK (length(object) <= 200),
  counts      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(counts))
) STRICT;
CREATE INDEX audit_events_by_district ON audit_events (district_id, id);

-- Retention directives, disposal jobs and disposal certificates (gateway/directives).
-- Every version of a district's directive: a change writes the next version, the highest is in
-- force. document: the validated directive as canonical JSON (docs/directives.md).
CREATE TABLE retention_directives (
  district_id TEXT NOT NULL REFERENCES districts (id),
  version     INTEGER NOT NULL CHECK (version >= 1),
  document    TEXT NOT NULL CHECK (json_valid(document)),
  set_at      INTEGER NOT NULL,
  set_by      TEXT NOT NULL,
  PRIMARY KEY (district_id, version)
) STRICT, WITHOUT ROWID;

-- A legal hold suspends every deletion of its account; a released hold stays as the record.
-- No foreign key: nothing may cascade into a hold.
CREATE TABLE legal_holds (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id  TEXT NOT NULL,
  district_id TEXT NOT NULL,
  reason      TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  placed_at   INTEGER NOT NULL,
  placed_by   TEXT NOT NULL,
  released_at INTEGER NULL,
  released_by TEXT NULL,
  CHECK ((released_at IS NULL) = (released_by IS NULL))
) STRICT;
CREATE UNIQUE INDEX legal_holds_in_force ON legal_holds (account_id) WHERE released_at IS NULL;
CREATE INDEX legal_holds_by_district ON legal_holds (district_id, id);

-- A disposal: its scope, fixed when it starts, and its progress, which each batch advances in
-- the transaction that deletes the batch. One running job per district, rule and entry.
CREATE TABLE disposal_jobs (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  district_id       TEXT NOT NULL,
  rule              TEXT NOT NULL CHECK (rule IN ('after_leaving_roster', 'inactive',
                      'delete_all_by', 'after_revocation', 'partial')),
  categories        TEXT NOT NULL CHECK (json_valid(categories)),
  directive_version INTEGER NULL,
  partial_entry     INTEGER NULL,
  left_on_or_before TEXT NULL,
  inactive_since    INTEGER NULL,
  started_at        INTEGER NOT NULL,
  finished_at       INTEGER NULL,
  batches           INTEGER NOT NULL DEFAULT 0,
  counts            TEXT NOT NULL CHECK (json_valid(counts)),
  held_accounts     INTEGER NOT NULL DEFAULT 0,
  certificate_id    TEXT NULL,
  -- Its "disposal.completed" audit event was appended (the audit log follows the commit).
  audited           INTEGER NOT NULL DEFAULT 0 CHECK (audited IN (0, 1)),
  CHECK ((finished_at IS NULL) = (certificate_id IS NULL))
) STRICT;
CREATE INDEX disposal_jobs_by_district ON disposal_jobs (district_id, id);
CREATE UNIQUE INDEX disposal_jobs_running ON disposal_jobs
  (district_id, rule, COALESCE(partial_entry, -1)) WHERE finished_at IS NULL;

-- Issued in the transaction of its job's last batch: exactly one per completed job.
CREATE TABLE disposal_certificates (
  id          TEXT PRIMARY KEY NOT NULL,
  job_id      INTEGER NOT NULL UNIQUE REFERENCES disposal_jobs (id),
  district_id TEXT NOT NULL,
  issued_at   INTEGER NOT NULL,
  jws         TEXT NOT NULL
) STRICT;
CREATE INDEX disposal_certificates_by_district ON disposal_certificates (district_id);

-- Admin API tokens (gateway/admin).
-- Only the SHA-256 of a token is kept, looked up by that hash. A revoked token stays listed.
CREATE TABLE admin_tokens (
  id           TEXT PRIMARY KEY NOT NULL,
  token_hash   BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  role         TEXT NOT NULL CHECK (role IN ('operator', 'district_admin')),
  district_id  TEXT NULL,
  label        TEXT NOT NULL DEFAULT '' CHECK (length(label) <= 100),
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER NULL,
  revoked_at   INTEGER NULL,
  CHECK ((role = 'operator') = (district_id IS NULL))
) STRICT;

-- Provider signals: replay guard and deletion requests (gateway/signals).
-- A provider signal applied (or being applied) on a connection, by the SHA-256 of its id, for
-- as long as the provider may deliver it again.
CREATE TABLE signal_receipts (
  connection_id TEXT NOT NULL,
  signal_hash   BLOB NOT NULL CHECK (length(signal_hash) = 32),
  received_at   INTEGER NOT NULL,
  PRIMARY KEY (connection_id, signal_hash)
) STRICT, WITHOUT ROWID;
CREATE INDEX signal_receipts_by_age ON signal_receipts (received_at);
-- A data-deletion request a provider relayed, by the SHA-256 of the confirmation code given out
-- for it (a replayed request gets a further code); its status only, nothing about the person.
CREATE TABLE deletion_requests (
  code_hash     BLOB PRIMARY KEY NOT NULL CHECK (length(code_hash) = 32),
  connection_id TEXT NOT NULL,
  signal_hash   BLOB NOT NULL CHECK (length(signal_hash) = 32),
  status        TEXT NOT NULL CHECK (status IN ('received', 'completed', 'held', 'no_data')),
  requested_at  INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX deletion_requests_by_signal ON deletion_requests (connection_id, signal_hash);
CREATE INDEX deletion_requests_by_age ON deletion_requests (requested_at);
-- Set when the identity's provider disabled it (Google account-disabled): no sign-in through
-- it until the provider enables it again.
ALTER TABLE identities ADD COLUMN disabled_at INTEGER NULL;
)sql"},
    Migration{6, R"sql(
-- The platform scope (docs/directives.md "Accounts of no district"): the platform's inactivity
-- policy disposes of accounts of no district, and its jobs and certificates have no district
-- (NULL). The running-job index keys NULL as '' (no district id is empty), so the platform
-- scope too has at most one running job per rule.
CREATE TABLE disposal_jobs_rebuilt (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  district_id       TEXT NULL CHECK (district_id IS NULL OR length(district_id) > 0),
  rule              TEXT NOT NULL CHECK (rule IN ('after_leaving_roster', 'inactive',
                      'delete_all_by', 'after_revocation', 'partial')),
  categories        TEXT NOT NULL CHECK (json_valid(categories)),
  directive_version INTEGER NULL,
  partial_entry     INTEGER NULL,
  left_on_or_before TEXT NULL,
  inactive_since    INTEGER NULL,
  started_at        INTEGER NOT NULL,
  finished_at       INTEGER NULL,
  batches           INTEGER NOT NULL DEFAULT 0,
  counts            TEXT NOT NULL CHECK (json_valid(counts)),
  held_accounts     INTEGER NOT NULL DEFAULT 0,
  certificate_id    TEXT NULL,
  audited           INTEGER NOT NULL DEFAULT 0 CHECK (audited IN (0, 1)),
  CHECK ((finished_at IS NULL) = (certificate_id IS NULL)),
  -- The platform scope follows the platform's policy only: no directive, one rule.
  CHECK (district_id IS NOT NULL OR (rule = 'inactive' AND directive_version IS NULL))
) STRICT;
INSERT INTO disposal_jobs_rebuilt (id, district_id, rule, categories, directive_version,
  partial_entry, left_on_or_before, inactive_since, started_at, finished_at, batches, counts,
  held_accounts, certificate_id, audited)
  SELECT id, district_id, rule, categories, directive_version, partial_entry,
  left_on_or_before, inactive_since, started_at, finished_at, batches, counts, held_accounts,
  certificate_id, audited FROM disposal_jobs;
DROP TABLE disposal_jobs;
ALTER TABLE disposal_jobs_rebuilt RENAME TO disposal_jobs;
CREATE INDEX disposal_jobs_by_district ON disposal_jobs (district_id, id);
CREATE UNIQUE INDEX disposal_jobs_running ON disposal_jobs
  (COALESCE(district_id, ''), rule, COALESCE(partial_entry, -1)) WHERE finished_at IS NULL;

CREATE TABLE disposal_certificates_rebuilt (
  id          TEXT PRIMARY KEY NOT NULL,
  job_id      INTEGER NOT NULL UNIQUE REFERENCES disposal_jobs (id),
  district_id TEXT NULL CHECK (district_id IS NULL OR length(district_id) > 0),
  issued_at   INTEGER NOT NULL,
  jws         TEXT NOT NULL
) STRICT;
INSERT INTO disposal_certificates_rebuilt (id, job_id, district_id, issued_at, jws)
  SELECT id, job_id, district_id, issued_at, jws FROM disposal_certificates;
DROP TABLE disposal_certificates;
ALTER TABLE disposal_certificates_rebuilt RENAME TO disposal_certificates;
CREATE INDEX disposal_certificates_by_district ON disposal_certificates (district_id);
)sql",
              true},
};

constexpr int kLatestVersion = kMigrations.back().version;

sdk::Result<bool> table_exists(sqlite3* db, std::string_view table) {
  auto stmt = Statement::prepare(
      db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", "read schema");
  if (!stmt) return stmt.error();
  return stmt->bind(1, table).step();
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

}  // namespace

int latest_schema_version() noexcept { return kLatestVersion; }

sdk::Result<Connection> open_database(const SqliteOptions& options) {
  // SQLite's allocation statistics take a global mutex on every malloc and free, and nothing
  // here reads them: a tenth of a bulk roster import went to that mutex. Must precede SQLite's
  // initialisation, which the first open does; if something initialised it first, the
  // statistics stay on and only speed differs.
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  static_cast<void>(memstatus_off);
  // Without migrate, a missing file is an error rather than a new empty database.
  const int flags = SQLITE_OPEN_READWRITE |
                    (options.serialized ? SQLITE_OPEN_FULLMUTEX : SQLITE_OPEN_NOMUTEX) |
                    (options.migrate ? SQLITE_OPEN_CREATE : 0);
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(options.path.c_str(), &raw, flags, nullptr);
  Connection db(raw);
  if (rc != SQLITE_OK) return sqlite_error(db.get(), "open");

  if (auto configured = configure_connection(db.get(), options); !configured) {
    return configured.error();
  }
  auto version = read_schema_version(db.get());
  if (!version) return version.error();
  if (*version == 0 && options.migrate) {
    // A new database gets 16 KiB pages (SQLite's default is 4 KiB), set before WAL mode fixes
    // the size. Measured on the 1M-user roster import and the 100,000-student disposal: B-trees
    // a level shallower, fewer page headers and WAL frames to write, about a tenth less time
    // for both. A database created with smaller pages keeps them.
    if (auto sized = exec(db.get(), "PRAGMA page_size = 16384", "page size"); !sized) {
      return sized.error();
    }
  }
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
  return db;
}

}  // namespace lmsgw::store::sqlite
