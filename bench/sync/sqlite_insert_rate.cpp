// sqlite_insert_rate DB USERS SECTIONS ENROLLMENTS [ROWS_PER_TRANSACTION]: the raw rate at which
// this machine's SQLite takes rows shaped like the roster's (accounts with an identity each,
// sections, enrollments; random opaque ids and 32-byte keyed hashes, as the gateway writes
// them), with prepared statements in big transactions and the gateway's pragmas (WAL,
// synchronous NORMAL). The yardstick for the roster import: the gateway cannot beat it.
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

void exec(sqlite3* db, const char* sql) { check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), db, sql); }

sqlite3_stmt* prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  check(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), db, sql);
  return stmt;
}

void step(sqlite3* db, sqlite3_stmt* stmt) {
  check(sqlite3_step(stmt), db, "step");
  sqlite3_reset(stmt);
}

std::string random_id(std::mt19937_64& rng) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string id(22, 'A');
  std::uint64_t bits = rng();
  for (int i = 0; i < 22; ++i) {
    if (i == 10) bits = rng();
    id[static_cast<std::size_t>(i)] = kAlphabet[bits & 63];
    bits >>= 6;
  }
  return id;
}

void random_hash(std::mt19937_64& rng, unsigned char* out) {
  for (int i = 0; i < 4; ++i) {
    const std::uint64_t word = rng();
    for (int k = 0; k < 8; ++k) out[i * 8 + k] = static_cast<unsigned char>(word >> (k * 8));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: sqlite_insert_rate DB USERS SECTIONS ENROLLMENTS [ROWS_PER_TX]\n");
    return 2;
  }
  const std::uint64_t users = std::strtoull(argv[2], nullptr, 10);
  const std::uint64_t sections = std::strtoull(argv[3], nullptr, 10);
  const std::uint64_t enrollments = std::strtoull(argv[4], nullptr, 10);
  const std::uint64_t per_tx = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 5000;

  sqlite3* db = nullptr;
  std::remove(argv[1]);
  check(sqlite3_open(argv[1], &db), db, "open");
  exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
           "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;");
  exec(db, R"sql(
CREATE TABLE districts (id TEXT PRIMARY KEY NOT NULL) STRICT;
CREATE TABLE accounts (
  key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
  district_id TEXT NULL REFERENCES districts (id), display_name TEXT NOT NULL,
  email_hash BLOB NULL, created_at INTEGER NOT NULL, roster_connection INTEGER NULL,
  roster_seen_run INTEGER NULL, last_seen_on_roster TEXT NULL) STRICT;
CREATE INDEX accounts_by_district ON accounts (district_id);
CREATE INDEX accounts_by_email_hash ON accounts (email_hash) WHERE email_hash IS NOT NULL;
CREATE TABLE identities (
  subject_hash BLOB PRIMARY KEY NOT NULL, account_id TEXT NOT NULL REFERENCES accounts (id),
  connection_id TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT, WITHOUT ROWID;
CREATE INDEX identities_by_account ON identities (account_id);
CREATE TABLE sections (
  key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, provider_hash BLOB NOT NULL UNIQUE,
  district_id TEXT NOT NULL REFERENCES districts (id), seen_run INTEGER NOT NULL,
  created_at INTEGER NOT NULL, last_seen_on TEXT NOT NULL) STRICT;
CREATE TABLE enrollments (
  section_key INTEGER NOT NULL REFERENCES sections (key),
  account_key INTEGER NOT NULL REFERENCES accounts (key), role INTEGER NOT NULL,
  seen_run INTEGER NOT NULL, PRIMARY KEY (section_key, account_key)) STRICT, WITHOUT ROWID;
CREATE INDEX enrollments_by_account ON enrollments (account_key);
INSERT INTO districts VALUES ('d1');
)sql");

  sqlite3_stmt* account = prepare(
      db, "INSERT INTO accounts (id, role, district_id, display_name, email_hash, created_at,"
          " roster_connection, roster_seen_run, last_seen_on_roster)"
          " VALUES (?, 'student', 'd1', 'Ana', NULL, 1700000000, 1, 1, '2024-09-01')");
  sqlite3_stmt* identity =
      prepare(db, "INSERT INTO identities VALUES (?, ?, 'roster', 1700000000)");
  sqlite3_stmt* section = prepare(
      db, "INSERT INTO sections (id, provider_hash, district_id, seen_run, created_at,"
          " last_seen_on) VALUES (?, ?, 'd1', 1, 1700000000, '2024-09-01')");
  sqlite3_stmt* enrollment = prepare(db, "INSERT OR IGNORE INTO enrollments VALUES (?, ?, 1, 1)");

  std::mt19937_64 rng(42);
  unsigned char hash[32];
  std::uint64_t in_tx = 0;
  const auto row_done = [&] {
    if (++in_tx == per_tx) {
      exec(db, "COMMIT; BEGIN");
      in_tx = 0;
    }
  };
  const auto start = std::chrono::steady_clock::now();
  exec(db, "BEGIN");
  for (std::uint64_t i = 0; i < users; ++i) {
    const std::string id = random_id(rng);
    random_hash(rng, hash);
    sqlite3_bind_text(account, 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
    step(db, account);
    sqlite3_bind_blob(identity, 1, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(identity, 2, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
    step(db, identity);
    row_done();
  }
  const auto after_users = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < sections; ++i) {
    const std::string id = random_id(rng);
    random_hash(rng, hash);
    sqlite3_bind_text(section, 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(section, 2, hash, 32, SQLITE_TRANSIENT);
    step(db, section);
    row_done();
  }
  for (std::uint64_t i = 0; i < enrollments; ++i) {
    sqlite3_bind_int64(enrollment, 1, static_cast<sqlite3_int64>(1 + rng() % sections));
    sqlite3_bind_int64(enrollment, 2, static_cast<sqlite3_int64>(1 + i / 4 % users));
    step(db, enrollment);
    row_done();
  }
  exec(db, "COMMIT");
  const auto end = std::chrono::steady_clock::now();
  for (sqlite3_stmt* stmt : {account, identity, section, enrollment}) sqlite3_finalize(stmt);
  sqlite3_close(db);

  const double user_seconds = std::chrono::duration<double>(after_users - start).count();
  const double rest_seconds = std::chrono::duration<double>(end - after_users).count();
  const double total = user_seconds + rest_seconds;
  const std::uint64_t rows = users + sections + enrollments;
  std::printf(
      "raw sqlite: %llu users (account+identity) in %.2f s, %llu sections + %llu enrollments in "
      "%.2f s; %llu roster rows in %.2f s = %.0f rows/s (%llu rows a transaction)\n",
      static_cast<unsigned long long>(users), user_seconds,
      static_cast<unsigned long long>(sections), static_cast<unsigned long long>(enrollments),
      rest_seconds, static_cast<unsigned long long>(rows), total,
      static_cast<double>(rows) / total, static_cast<unsigned long long>(per_tx));
  return 0;
}
