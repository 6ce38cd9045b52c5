// The disposal of a withdrawn district survives kill -9: the gateway's scheduler starts the
// complete disposal of a large district, the gateway is killed with batches committed and the
// job unfinished, and the next start resumes the job and finishes it. Afterwards nothing of the
// district is left but its two accounts under legal hold, with all their rows; exactly one
// certificate exists, its counts are exactly the rows deleted, lmsgwctl fetches and verifies
// it, and neither the database file nor its write-ahead log keeps a trace of deleted accounts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "tests/support/gateway_process.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace lmsgw::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kStudents = 24'000;
constexpr int kSections = 100;
// Accounts kept by legal holds (1-based positions among the students; both have sessions).
constexpr int kHeldFirst = 6'000;
constexpr int kHeldSecond = 18'000;
// Small batches: the job is hundreds of transactions, so a kill lands mid-way.
constexpr std::string_view kRetentionYaml =
    "  batch_size: 40\n  interval: 1m\n  instance: crash-test\n";
// Carried by the first and the last student (deleted before and after the kill): no byte of
// them may survive in the database or its write-ahead log.
constexpr std::string_view kCanaryFirst = "acct_zzcanaryfirst00000000";
constexpr std::string_view kCanaryLast = "acct_zzcanarylast000000000";
constexpr std::string_view kCanaryName = "Zzdeletedcanaryname";

std::string student_id(int i) {
  if (i == 1) return std::string(kCanaryFirst);
  if (i == kStudents) return std::string(kCanaryLast);
  const std::string digits = std::to_string(i);
  return "acct_crash" + std::string(8 - digits.size(), '0') + digits;
}

void exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message != nullptr ? message : "unknown";
    sqlite3_free(message);
    throw std::runtime_error("setup SQL failed: " + text);
  }
}

sqlite3* open_database(const std::filesystem::path& database) {
  sqlite3* db = nullptr;
  if (sqlite3_open(database.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open the gateway database");
  }
  return db;
}

// Minimal rows written straight into the migrated database (the gateway is stopped): the
// students with one identity link each and two section memberships each in the district's
// sections.
void plant_district(const std::filesystem::path& database) {
  sqlite3* db = open_database(database);
  const std::string n = std::to_string(kStudents);
  exec(db, "BEGIN");
  exec(db, "INSERT OR IGNORE INTO districts (id, created_at) VALUES ('springfield', unixepoch())");
  exec(db, "INSERT INTO sync_connections (key, id) VALUES (1, 'crash-roster')");
  exec(db,
       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
           std::to_string(kSections) +
           ") INSERT INTO sections (key, id, provider_hash, district_id, connection_key, "
           "seen_run, created_at, last_seen_on) SELECT i, printf('sect_crash%04d', i), "
           "randomblob(32), 'springfield', 1, 1, unixepoch(), '2026-01-05' FROM n");
  exec(db,
       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + n +
           ") INSERT INTO accounts (key, id, role, district_id, display_name, age_years, "
           "age_computed_on, created_at, last_sign_in_at) SELECT i, printf('acct_crash%08d', i), "
           "'student', 'springfield', 'Student', 10, '2026-01-05', unixepoch(), unixepoch() "
           "FROM n");
  exec(db, "UPDATE accounts SET id = '" + std::string(kCanaryFirst) + "', display_name = '" +
               std::string(kCanaryName) + "' WHERE key = 1");
  exec(db, "UPDATE accounts SET id = '" + std::string(kCanaryLast) + "', display_name = '" +
               std::string(kCanaryName) + "' WHERE key = " + n);
  exec(db,
       "INSERT INTO identities (subject_hash, account_key, connection_id, created_at) "
       "SELECT randomblob(32), key, 'clever', unixepoch() FROM accounts");
  exec(db,
       "INSERT INTO enrollments (section_key, account_key, role, seen_run) "
       "SELECT key % " + std::to_string(kSections) + " + 1, key, 0, 1 FROM accounts UNION ALL "
       "SELECT (key + 37) % " + std::to_string(kSections) + " + 1, key, 0, 1 FROM accounts");
  exec(db, "COMMIT");
  sqlite3_close(db);
}

// A session row for every fourth student. Planted after the withdrawal (which removes the
// district's session rows), so the disposal itself has session rows to delete and count.
void plant_sessions(const std::filesystem::path& database) {
  sqlite3* db = open_database(database);
  exec(db,
       "INSERT INTO sessions (id_hash, account_id, created_at, expires_at) SELECT "
       "randomblob(32), id, unixepoch(), unixepoch() + 86400 FROM accounts WHERE key % 4 = 0");
  sqlite3_close(db);
}

std::int64_t number(const GatewayProcess& gateway, const std::string& sql) {
  const std::optional<std::string> value = gateway.query(sql);
  if (!value) throw std::runtime_error("no value for: " + sql);
  return std::stoll(*value);
}

std::int64_t count_of(const boost::json::value& counts, std::string_view kind) {
  return counts.at(kind).as_int64();
}

TEST(RetentionCrash, DisposalKilledMidwayResumesAndCertifiesExactlyWhatWasDeleted) {
  TempDir dir;
  GatewaySetup setup;
  setup.retention_yaml = std::string(kRetentionYaml);
  GatewayProcess gateway(dir.path(), setup);
  ASSERT_EQ(gateway.stop(), 0);

  plant_district(dir.path() / "lmsgw.db");
  const std::string held_first = student_id(kHeldFirst);
  const std::string held_second = student_id(kHeldSecond);
  for (const std::string& held : {held_first, held_second}) {
    auto placed = gateway.lmsgwctl(
        {"legal-hold", "place", "springfield", held, "--reason", "records request 17"});
    ASSERT_EQ(placed.exit_code, 0) << placed.output;
  }
  auto revoked = gateway.lmsgwctl({"district", "revoke", "springfield"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
  plant_sessions(dir.path() / "lmsgw.db");

  const std::string held_keys = "(" + std::to_string(kHeldFirst) + ", " +
                                std::to_string(kHeldSecond) + ")";
  const std::string held_ids = "('" + held_first + "', '" + held_second + "')";
  const std::int64_t sessions_before = number(gateway, "SELECT COUNT(*) FROM sessions");
  const std::int64_t enrollments_before = number(gateway, "SELECT COUNT(*) FROM enrollments");
  const std::int64_t held_sessions =
      number(gateway, "SELECT COUNT(*) FROM sessions WHERE account_id IN " + held_ids);
  const std::int64_t held_sections = number(
      gateway, "SELECT COUNT(DISTINCT section_key) FROM enrollments WHERE account_key IN " +
                   held_keys);
  // Both held accounts have sessions: a disposal that touched them would show.
  ASSERT_EQ(held_sessions, 2);
  ASSERT_EQ(number(gateway, "SELECT COUNT(*) FROM disposal_jobs"), 0);

  // The scheduler's run at start begins the complete disposal (after_revocation_days 0).
  gateway.start();
  const std::string job_progress =
      "SELECT batches FROM disposal_jobs WHERE district_id = 'springfield' AND "
      "finished_at IS NULL";
  const bool underway = eventually(
      [&] {
        const std::optional<std::string> batches = gateway.query(job_progress);
        return batches && std::stoll(*batches) >= 3;
      },
      std::chrono::seconds(60));
  gateway.stop(9);
  ASSERT_TRUE(underway) << "no unfinished job with committed batches was seen: raise "
                           "kStudents or lower batch_size";
  // What the kill left: the job is really unfinished, part of the district really deleted.
  ASSERT_EQ(number(gateway, "SELECT COUNT(*) FROM disposal_jobs"), 1);
  ASSERT_EQ(number(gateway, "SELECT COUNT(*) FROM disposal_jobs WHERE finished_at IS NULL"), 1)
      << "the job finished before the kill: raise kStudents or lower batch_size";
  ASSERT_EQ(number(gateway, "SELECT COUNT(*) FROM disposal_certificates"), 0);
  const std::int64_t left_at_kill =
      number(gateway, "SELECT COUNT(*) FROM accounts WHERE district_id = 'springfield'");
  EXPECT_LT(left_at_kill, kStudents);
  EXPECT_GT(left_at_kill, 2);
  const std::int64_t batches_at_kill = number(gateway, "SELECT batches FROM disposal_jobs");

  // The next start resumes the same job and finishes it.
  gateway.start();
  ASSERT_TRUE(eventually(
      [&] {
        return read_file(dir.path() / "gateway.log").find("completed (certificate cert_") !=
               std::string::npos;
      },
      std::chrono::seconds(180)))
      << read_file(dir.path() / "gateway.log");

  // The run logs completion after its checkpoint: neither the write-ahead log nor the database
  // file keeps a byte of the deleted accounts.
  const std::string database = read_file(dir.path() / "lmsgw.db");
  const std::string wal = read_file(dir.path() / "lmsgw.db-wal");
  ASSERT_THAT(database, HasSubstr(held_first));
  for (std::string_view canary : {kCanaryFirst, kCanaryLast, kCanaryName}) {
    EXPECT_EQ(wal.find(canary), std::string::npos) << canary;
    EXPECT_EQ(database.find(canary), std::string::npos) << canary;
  }

  ASSERT_EQ(number(gateway, "SELECT COUNT(*) FROM disposal_jobs"), 1);
  const std::string job_id = *gateway.query("SELECT id FROM disposal_jobs");
  EXPECT_EQ(*gateway.query("SELECT rule FROM disposal_jobs"), "after_revocation");
  EXPECT_GT(number(gateway, "SELECT batches FROM disposal_jobs"), batches_at_kill);
  EXPECT_EQ(number(gateway, "SELECT held_accounts FROM disposal_jobs"), 2);
  const std::optional<std::string> certificate_id =
      gateway.query("SELECT certificate_id FROM disposal_jobs WHERE finished_at IS NOT NULL");
  ASSERT_TRUE(certificate_id.has_value());
  EXPECT_EQ(number(gateway, "SELECT COUNT(*) FROM disposal_certificates"), 1);
  EXPECT_EQ(*gateway.query("SELECT id FROM disposal_certificates WHERE job_id = " + job_id),
            *certificate_id);

  // Nothing of the district but the held accounts, and those whole.
  EXPECT_EQ(number(gateway, "SELECT COUNT(*) FROM accounts WHERE district_id = 'springfield'"),
            2);
  EXPECT_EQ(number(gateway, "SELECT COUNT(*) FROM accounts WHERE id IN " + held_ids +
                                " AND display_name = 'Student' AND age_years = 10"),
            2);
  EXPECT_EQ(number(gateway, "SELECT COUNT(*) FROM identities"), 2);
  EXPECT_EQ(number(gateway, "SELECT COUNT(*) FROM identities WHERE account_key IN " + held_keys),
            2);
  EXPECT_EQ(number(gateway, "SELECT COUNT(*) FROM sessions"), held_sessions);
  EXPECT_EQ(number(gateway, "SELECT COUNT(*) FROM enrollments"), 4);
  EXPECT_EQ(number(gateway, "SELECT COUNT(*) FROM enrollments WHERE account_key IN " + held_keys),
            4);
  EXPECT_EQ(number(gateway, "SELECT COUNT(*) FROM sections"), held_sections);
  EXPECT_EQ(number(gateway, "SELECT COUNT(*) FROM sections WHERE key IN (SELECT section_key "
                            "FROM enrollments WHERE account_key IN " + held_keys + ")"),
            held_sections);
  EXPECT_EQ(number(gateway, "SELECT COUNT(*) FROM legal_holds WHERE released_at IS NULL"), 2);

  // The certificate, fetched and verified by lmsgwctl, counts exactly what went.
  const std::filesystem::path jws = dir.path() / "certificate.jws";
  auto fetched = gateway.lmsgwctl({"certificate", "get", *certificate_id, "--out", jws.string()});
  ASSERT_EQ(fetched.exit_code, 0) << fetched.output;
  auto verified = gateway.lmsgwctl({"certificate", "verify", jws.string()});
  ASSERT_EQ(verified.exit_code, 0) << verified.output;
  ASSERT_THAT(verified.output, HasSubstr("certificate valid"));
  const std::string document_text = verified.output.substr(verified.output.find('{'));
  const boost::json::value document = boost::json::parse(document_text);
  EXPECT_EQ(document.at("certificate_id").as_string(), *certificate_id);
  EXPECT_EQ(document.at("district").as_string(), "springfield");
  EXPECT_EQ(document.at("rule").as_string(), "after_revocation");
  EXPECT_EQ(document.at("held_accounts").as_int64(), 2);
  EXPECT_EQ(document.at("job").as_int64(), std::stoll(job_id));
  const boost::json::value& counts = document.at("counts");
  EXPECT_EQ(count_of(counts, "accounts"), kStudents - 2);
  EXPECT_EQ(count_of(counts, "identities"), kStudents - 2);
  EXPECT_EQ(count_of(counts, "sessions"), sessions_before - held_sessions);
  EXPECT_EQ(count_of(counts, "section_memberships"), enrollments_before - 4);
  EXPECT_EQ(count_of(counts, "sections"), kSections - held_sections);
  EXPECT_EQ(count_of(counts, "email_hashes"), 0);
  // The job's persisted counts are the certificate's.
  EXPECT_EQ(boost::json::parse(*gateway.query("SELECT counts FROM disposal_jobs")), counts);

  // A changed byte fails verification.
  std::string tampered = read_file(jws);
  tampered[tampered.find('.') + 5] ^= 0x01;
  write_file(jws, tampered);
  auto refused = gateway.lmsgwctl({"certificate", "verify", jws.string()});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.output, HasSubstr("NOT valid"));

  EXPECT_EQ(gateway.stop(), 0);
}

}  // namespace
}  // namespace lmsgw::testing
