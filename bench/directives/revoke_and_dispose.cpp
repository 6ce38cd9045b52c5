// Revoking a district of N students with live sessions, then disposing of it (issue 6's
// benchmark): how long until every session is refused, and how long the complete disposal
// takes, on SQLite. Prints its figures; asserts nothing about them.
//
//   revoke_and_dispose DIRECTORY [STUDENTS]     (default 100000; DIRECTORY must not exist)
#include <sqlite3.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "common/time.h"
#include "directives/certificate.h"
#include "directives/retention_engine.h"
#include "jose/jws.h"
#include "jose/keys.h"
#include "session/revocation.h"
#include "session/session_cache.h"
#include "session/session_service.h"
#include "store/audit_log.h"
#include "store/directive_store.h"
#include "store/sqlite/sqlite_account_store.h"

namespace {

using namespace lmsgw;
using Clock = std::chrono::steady_clock;
constexpr std::string_view kDistrict = "bench";
constexpr int kSections = 4000;

[[noreturn]] void die(const std::string& what) {
  std::cerr << "revoke_and_dispose: " << what << "\n";
  std::exit(1);
}

template <class T>
T take(sdk::Result<T> result, const char* what) {
  if (!result) die(std::string(what) + ": " + result.error().detail);
  return std::move(*result);
}

void exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    die(sql.substr(0, 60) + ": " + (message != nullptr ? message : "?"));
  }
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

long peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

// Students with an identity link and a section membership each, and one live session each
// whose cookie value this returns (the store keeps only its hash, as the gateway does).
std::vector<std::string> populate(const std::string& path, int students,
                                  std::chrono::system_clock::time_point now) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) die("open " + path);
  exec(db, "BEGIN");
  exec(db, "INSERT INTO sync_connections (key, id) VALUES (1, 'roster')");
  exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
               std::to_string(kSections) +
               ") INSERT INTO sections (key, id, provider_hash, district_id, connection_key, "
               "seen_run, created_at, last_seen_on) SELECT i, 'sect_' || i, randomblob(32), '" +
               std::string(kDistrict) + "', 1, 1, 0, '2026-11-24' FROM n");
  const std::string signed_in = std::to_string(time::to_unix_seconds(now) - 3600);
  exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
               std::to_string(students) +
               ") INSERT INTO accounts (id, role, district_id, display_name, age_years, "
               "age_computed_on, email_hash, created_at, last_sign_in_at) SELECT "
               "'acct_' || printf('%08d', i), 'student', '" +
               std::string(kDistrict) + "', 'Ana', 10, '2026-09-01', randomblob(32), " +
               signed_in + ", " + signed_in + " FROM n");
  exec(db, "INSERT INTO identities (subject_hash, account_key, connection_id, created_at) "
           "SELECT randomblob(32), key, 'clever', 0 FROM accounts");
  exec(db, "INSERT INTO enrollments (section_key, account_key, role, seen_run) SELECT 1 + key % " +
               std::to_string(kSections) + ", key, 1, 1 FROM accounts");

  std::vector<std::string> cookies;
  cookies.reserve(static_cast<std::size_t>(students));
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO sessions (id_hash, account_id, created_at, expires_at) "
                     "VALUES (?1, 'acct_' || printf('%08d', ?2), ?3, ?4)",
                     -1, &insert, nullptr);
  for (int i = 1; i <= students; ++i) {
    cookies.push_back(crypto::random_token(32));
    const crypto::Digest hash = crypto::sha256(cookies.back());
    sqlite3_bind_blob(insert, 1, hash.data(), static_cast<int>(hash.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int(insert, 2, i);
    sqlite3_bind_int64(insert, 3, time::to_unix_seconds(now) - 60);
    sqlite3_bind_int64(insert, 4, time::to_unix_seconds(now) + 8 * 3600);
    if (sqlite3_step(insert) != SQLITE_DONE) die("insert session");
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  exec(db, "COMMIT");
  sqlite3_close(db);
  return cookies;
}

class BenchSigner final : public directives::CertificateSigner {
 public:
  BenchSigner() : key_(take(jose::SigningKey::generate(jose::Algorithm::es256, "bench"), "key")) {}
  sdk::Result<std::string> sign(std::string_view payload) override {
    return jose::sign(key_, payload, jose::HeaderExtras{std::string(directives::kCertificateType)});
  }

 private:
  jose::SigningKey key_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) die("usage: revoke_and_dispose DIRECTORY [STUDENTS]");
  const std::filesystem::path directory = argv[1];
  const int students = argc == 3 ? std::atoi(argv[2]) : 100'000;
  if (students <= 0) die("STUDENTS must be a positive number");
  if (!std::filesystem::create_directory(directory)) die("DIRECTORY must not exist");
  const std::string path = (directory / "gateway.db").string();
  const time::SystemClock clock;

  auto accounts = take(store::open_sqlite_store({.path = path}), "open store");
  if (auto ensured = accounts->ensure_district(kDistrict, clock.now()); !ensured) {
    die("district: " + ensured.error().detail);
  }
  auto audit = take(store::open_sqlite_audit_log(path), "open audit log");
  auto directive_store = take(store::open_sqlite_directive_store(path), "open directive store");

  Clock::time_point started = Clock::now();
  const std::vector<std::string> cookies = populate(path, students, clock.now());
  const double populated = seconds_since(started);

  session::RevocationEpochs epochs;
  session::SessionCache cache;
  session::SessionService sessions(*accounts, cache, epochs, clock, std::chrono::hours(8));
  const std::size_t loaded = take(sessions.load_from_store(), "load sessions");
  std::size_t live = 0;
  for (const std::string& cookie : cookies) live += sessions.find(cookie) != nullptr ? 1 : 0;
  if (live != cookies.size()) die("not every session is live before the revocation");

  session::RevocationService revocations(*accounts, *audit, epochs, clock);
  started = Clock::now();
  if (auto revoked = revocations.revoke_district(kDistrict, "bench"); !revoked) {
    die("revoke: " + revoked.error().detail);
  }
  const double revoke_call = seconds_since(started);
  const Clock::time_point check_start = Clock::now();
  for (const std::string& cookie : cookies) {
    if (sessions.find(cookie) != nullptr) die("a session outlived the revocation");
  }
  const double check_pass = seconds_since(check_start);
  const double until_refused = seconds_since(started);

  BenchSigner signer;
  directives::RetentionSettings settings;
  settings.instance = "bench";
  directives::RetentionEngine engine(*directive_store, *accounts, revocations, *audit, signer,
                                     settings, clock);
  started = Clock::now();
  const directives::RetentionReport report = take(engine.run(clock.now(), kDistrict), "dispose");
  const double disposal = seconds_since(started);

  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  auto remaining = [&](const char* table) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, (std::string("SELECT count(*) FROM ") + table).c_str(), -1, &stmt,
                       nullptr);
    sqlite3_step(stmt);
    const long long n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
  };

  std::printf("students                      %d (live sessions loaded: %zu)\n", students, loaded);
  std::printf("setup (bulk insert)           %.2f s\n", populated);
  std::printf("revoke_district call          %.3f s (in-memory refusal first, then the store)\n",
              revoke_call);
  std::printf("check of every session        %.3f s\n", check_pass);
  std::printf("until every session refused   %.3f s (target <= 1 s)\n", until_refused);
  std::printf("complete disposal             %.2f s (target <= 10 s), %zu job(s), batch %zu\n",
              disposal, report.completed.size(), settings.batch_size);
  std::printf("left: accounts %lld, identities %lld, enrollments %lld, sections %lld, "
              "sessions %lld\n",
              remaining("accounts"), remaining("identities"), remaining("enrollments"),
              remaining("sections"), remaining("sessions"));
  std::printf("peak RSS                      %ld MiB\n", peak_rss_mib());
  sqlite3_close(db);
  return 0;
}
