#include "sync/sync_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "common/time.h"
#include "sync/run_lock.h"
#include "tests/unit/sync/sync_test_support.h"

namespace lmsgw::sync {
namespace {

using namespace lmsgw::sync::testing;  // NOLINT(google-build-using-namespace)
using sdk::Role;
using sdk::RosterRecordKind;
using store::SyncOutcome;
using ::testing::HasSubstr;

// Three people, two classes, three memberships, in two batches.
std::vector<sdk::SyncBatch> small_district(bool snapshot) {
  return {batch({user("s1", Role::student, "Ada"), user("s2", Role::student, "Ben"),
                 user("t1", Role::teacher, "Cy")},
                snapshot),
          batch({section("c1"), section("c2"), enrollment("c1", "s1"), enrollment("c1", "s2"),
                 enrollment("c1", "t1", Role::teacher)},
                snapshot)};
}

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A store failure in a group of batches: the run failed, and nothing of the group stayed.
void expect_nothing_applied(SyncHarness& h, const store::SyncRunRecord& failed) {
  EXPECT_EQ(failed.outcome, SyncOutcome::failed);
  EXPECT_THAT(failed.error, HasSubstr("store: "));
  EXPECT_EQ(failed.batches, 0);
  EXPECT_EQ(h.count("accounts"), 0);
  EXPECT_EQ(h.count("sections"), 0);
  EXPECT_EQ(h.count("sync_run_counts WHERE run_id = " + std::to_string(failed.id)), 0);
  EXPECT_EQ(h.scalar("SELECT cursor FROM sync_connections"), "");
}

TEST(SyncEngineTest, CountsMatchTheInputAndASecondRunChangesNothing) {
  SyncHarness h;
  h.plugin.batches = small_district(true);
  const store::SyncRunRecord first = h.run();
  EXPECT_EQ(first.outcome, SyncOutcome::succeeded) << first.error;
  EXPECT_EQ(first.batches, 2);
  EXPECT_EQ(first.mode, store::SyncMode::snapshot);
  EXPECT_EQ(count_of(first, "users", "created"), 3u);
  EXPECT_EQ(count_of(first, "sections", "created"), 2u);
  EXPECT_EQ(count_of(first, "enrollments", "created"), 3u);
  EXPECT_EQ(h.count("accounts"), 3);
  EXPECT_EQ(h.count("accounts WHERE last_sign_in_at IS NULL"), 3);
  EXPECT_EQ(h.count("enrollments"), 3);
  EXPECT_EQ(h.scalar("SELECT cursor FROM sync_connections"), "b2");
  EXPECT_EQ(h.count("sync_connections WHERE open_mode IS NULL"), 1);

  h.clock.set(kStart + std::chrono::hours(24));
  const store::SyncRunRecord second = h.run(true);
  EXPECT_EQ(second.outcome, SyncOutcome::succeeded) << second.error;
  EXPECT_EQ(count_of(second, "users", "unchanged"), 3u);
  EXPECT_EQ(count_of(second, "sections", "unchanged"), 2u);
  EXPECT_EQ(count_of(second, "enrollments", "unchanged"), 3u);
  for (const auto& [key, n] : second.counts) {
    EXPECT_EQ(key.second, "unchanged") << key.first << " " << key.second << " " << n;
  }
  EXPECT_EQ(h.count("accounts"), 3);
  // Only the last-seen markers moved.
  EXPECT_EQ(h.count("accounts WHERE last_seen_on_roster = '2024-09-04'"), 3);
  EXPECT_EQ(h.metrics.records("users", "created"), 3u);
  EXPECT_EQ(h.metrics.records("users", "unchanged"), 3u);
  EXPECT_EQ(h.metrics.runs(SyncOutcome::succeeded), 2u);

  // PRIVACY.md F: every run is audited for its districts, by outcome, with the run's id.
  auto audited = h.audit->list({.district_id = "d1"});
  ASSERT_EQ(audited->size(), 2u);
  EXPECT_EQ((*audited)[0].action, "sync.run");
  EXPECT_EQ((*audited)[0].actor, "sync:roster");
  EXPECT_EQ((*audited)[0].object, std::to_string(first.id));
  EXPECT_EQ((*audited)[0].counts,
            (std::vector<std::pair<std::string, std::int64_t>>{{"created", 8}}));
  EXPECT_EQ((*audited)[1].counts,
            (std::vector<std::pair<std::string, std::int64_t>>{{"unchanged", 8}}));
}

TEST(SyncEngineTest, ARosteredStudentWhoSignsInIsOneAccount) {
  SyncHarness h;
  h.plugin.script({batch({user("s1")}, false)});
  ASSERT_EQ(h.run().outcome, SyncOutcome::succeeded);
  const auto rostered = h.account_of("s1");
  ASSERT_TRUE(rostered);

  auto minimized = h.minimizer->minimize(person("s1", Role::student, "Ada"), "clever",
                                         std::string("d1"), {}, {2024, 9, 3});
  ASSERT_TRUE(minimized.ok());
  auto signed_in = h.accounts->upsert_from_sign_in(*minimized, "clever", kStart);
  ASSERT_TRUE(signed_in.ok()) << signed_in.error().detail;
  EXPECT_EQ(signed_in->id, *rostered);
  EXPECT_EQ(signed_in->last_sign_in_at, kStart);
  EXPECT_EQ(h.count("accounts"), 1);

  // A later roster run leaves the sign-in time alone.
  h.clock.set(kStart + std::chrono::hours(1));
  h.plugin.start_over = true;
  ASSERT_EQ(h.run().outcome, SyncOutcome::succeeded);
  auto found = h.accounts->find_account(*rostered);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->last_sign_in_at, kStart);
}

TEST(SyncEngineTest, ASnapshotWithoutAUserTakesThemOffTheRosterAndEndsTheirSessions) {
  SyncHarness h;
  h.plugin.batches = small_district(true);
  ASSERT_EQ(h.run().outcome, SyncOutcome::succeeded);
  const std::string leaver = *h.account_of("s2");
  auto account = h.accounts->find_account(leaver);
  ASSERT_TRUE(account.ok() && account->has_value());
  h.clock.set(kStart + std::chrono::minutes(5));
  auto session = h.sessions->start(**account);
  ASSERT_TRUE(session.ok());
  ASSERT_NE(h.sessions->find(session->id), nullptr);

  h.clock.set(kStart + std::chrono::hours(48));
  h.plugin.script({batch({user("s1"), user("t1", Role::teacher, "Cy"), section("c1"),
                          enrollment("c1", "s1"), enrollment("c1", "t1", Role::teacher)},
                         true)});
  const store::SyncRunRecord run = h.run(true);
  ASSERT_EQ(run.outcome, SyncOutcome::succeeded) << run.error;
  EXPECT_EQ(count_of(run, "users", "removed"), 1u);
  EXPECT_EQ(count_of(run, "sections", "removed"), 1u);
  EXPECT_EQ(count_of(run, "enrollments", "removed"), 1u);
  // Not deleted: off the roster since the run's date, for the retention directives to decide.
  EXPECT_EQ(h.scalar("SELECT left_roster_on FROM accounts WHERE id = '" + leaver + "'"),
            "2024-09-05");
  EXPECT_EQ(h.count("accounts"), 3);
  EXPECT_EQ(h.count("sections WHERE left_roster_on IS NOT NULL"), 1);
  EXPECT_EQ(h.sessions->find(session->id), nullptr);
  EXPECT_EQ(h.count("sessions"), 0);
  EXPECT_EQ(h.count("revocations WHERE scope = 'account' AND subject_id = '" + leaver + "'"), 1);
}

TEST(SyncEngineTest, ADeltaRemovalAndAReturn) {
  SyncHarness h;
  h.plugin.batches = small_district(false);
  ASSERT_EQ(h.run().outcome, SyncOutcome::succeeded);

  h.plugin.script({batch(
      {removal(RosterRecordKind::user, "s1"), removal(RosterRecordKind::enrollment, "c1/s2"),
       removal(RosterRecordKind::section, "c2"), removal(RosterRecordKind::user, "never-seen")},
      false)});
  store::SyncRunRecord run = h.run();
  ASSERT_EQ(run.outcome, SyncOutcome::succeeded) << run.error;
  EXPECT_EQ(count_of(run, "users", "removed"), 1u);
  EXPECT_EQ(count_of(run, "users", "unchanged"), 1u);
  EXPECT_EQ(count_of(run, "sections", "removed"), 1u);
  EXPECT_EQ(count_of(run, "enrollments", "removed"), 2u);  // s1's (with s1) and c1/s2
  EXPECT_EQ(h.count("accounts WHERE left_roster_on IS NOT NULL"), 1);
  EXPECT_EQ(h.count("enrollments"), 1);  // t1 in c1

  // Deltas do not sweep: s2 stays although this run does not mention them.
  h.plugin.script({batch({user("s1"), section("c2"), enrollment("c2", "s1")}, false)});
  run = h.run();
  ASSERT_EQ(run.outcome, SyncOutcome::succeeded) << run.error;
  EXPECT_EQ(count_of(run, "users", "restored"), 1u);
  EXPECT_EQ(count_of(run, "sections", "restored"), 1u);
  EXPECT_EQ(count_of(run, "enrollments", "created"), 1u);
  EXPECT_EQ(h.count("accounts WHERE left_roster_on IS NOT NULL"), 0);
  EXPECT_EQ(h.count("sections WHERE left_roster_on IS NOT NULL"), 0);
}

// Enrollments are written in key order when their group commits, yet the outcome is that of
// applying the changes one by one: a removal sees the upsert before it, a repeat updates.
TEST(SyncEngineTest, EnrollmentsWrittenInKeyOrderKeepTheOrderOfChanges) {
  SyncHarness h;
  h.plugin.script({batch({user("s1"), user("s2"), section("c1"), section("c2"),
                          enrollment("c2", "s1"), enrollment("c1", "s2"), enrollment("c1", "s1"),
                          removal(RosterRecordKind::enrollment, "c2/s1"),
                          enrollment("c1", "s1", Role::teacher)},
                         false),
                   batch({enrollment("c2", "s2"), enrollment("c1", "s2")}, false)});
  const store::SyncRunRecord run = h.run();
  ASSERT_EQ(run.outcome, SyncOutcome::succeeded) << run.error;
  EXPECT_EQ(count_of(run, "enrollments", "created"), 4u);  // c2/s1, c1/s2, c1/s1, c2/s2
  EXPECT_EQ(count_of(run, "enrollments", "removed"), 1u);
  EXPECT_EQ(count_of(run, "enrollments", "updated"), 1u);    // c1/s1 became a teacher's
  EXPECT_EQ(count_of(run, "enrollments", "unchanged"), 1u);  // c1/s2 again
  EXPECT_EQ(h.count("enrollments"), 3);
  EXPECT_EQ(h.count("enrollments WHERE role = " + std::to_string(static_cast<int>(Role::teacher))),
            1);
}

TEST(SyncEngineTest, AFailureWritingTheGroupsEnrollmentsAppliesNothingOfTheGroup) {
  SyncHarness h;
  h.plugin.script(
      {batch({user("s1"), section("c1")}, false), batch({enrollment("c1", "s1")}, false)});
  h.exec(
      "CREATE TRIGGER fail_enrollment BEFORE INSERT ON enrollments "
      "BEGIN SELECT RAISE(ABORT, 'injected'); END");
  expect_nothing_applied(h, h.run());

  h.exec("DROP TRIGGER fail_enrollment");
  const store::SyncRunRecord next = h.run();
  ASSERT_EQ(next.outcome, SyncOutcome::succeeded) << next.error;
  EXPECT_EQ(count_of(next, "enrollments", "created"), 1u);
  EXPECT_EQ(next.batches, 2);
}

// Roster account and section ids sort in the order they were minted (a bulk import appends to
// their UNIQUE indexes), and stay random opaque ids of the same characters as before.
TEST(SyncEngineTest, RosterIdsSortInMintingOrder) {
  SyncHarness h;
  for (int i = 0; i < 6; ++i) {
    h.clock.set(kStart + std::chrono::minutes(i));
    const std::string n = std::to_string(i);
    h.plugin.script({batch({user("s" + n), section("c" + n)}, false)});
    ASSERT_EQ(h.run().outcome, SyncOutcome::succeeded);
  }
  for (const std::string table : {"accounts", "sections"}) {
    const std::string by_key =
        "SELECT group_concat(id, ' ') FROM (SELECT id FROM " + table + " ORDER BY key)";
    const std::string by_id =
        "SELECT group_concat(id, ' ') FROM (SELECT id FROM " + table + " ORDER BY id)";
    EXPECT_EQ(h.scalar(by_key), h.scalar(by_id)) << table;
  }
  // A prefix, 9 characters of time, 22 of the 16 random bytes.
  EXPECT_EQ(h.count("accounts WHERE length(id) = 36 AND id GLOB 'acct_*'"), 6);
  EXPECT_EQ(h.count("sections WHERE length(id) = 36 AND id GLOB 'sect_*'"), 6);
  EXPECT_EQ(h.count("accounts WHERE substr(id, 6) GLOB '*[^-_A-Za-z0-9]*'"), 0);
  EXPECT_EQ(h.count("(SELECT DISTINCT substr(id, 15) FROM accounts)"), 6);
}

TEST(SyncEngineTest, DanglingReferencesAreRejectedWithTheirLocation) {
  SyncHarness h;
  sdk::SyncBatch only =
      batch({user("s1"), section("c1"), enrollment("c1", "ghost"), enrollment("nowhere", "s1"),
             user("", Role::student, "Nobody"), user("g1", Role::unknown, "Who")},
            false);
  only.rejected.push_back({"users.csv:42", "wrong column count"});
  only.discarded["demographics.csv"] = 1200;
  only.discarded["results.csv"] = 1;
  h.plugin.batches = {only};
  const store::SyncRunRecord run = h.run();
  ASSERT_EQ(run.outcome, SyncOutcome::succeeded) << run.error;
  EXPECT_EQ(count_of(run, "enrollments", "rejected"), 2u);
  EXPECT_EQ(count_of(run, "users", "rejected"), 2u);
  EXPECT_EQ(count_of(run, "users.csv", "rejected"), 1u);
  EXPECT_EQ(count_of(run, "demographics.csv", "discarded"), 1200u);
  EXPECT_EQ(count_of(run, "results.csv", "discarded"), 1u);
  ASSERT_EQ(run.rejections.size(), 5u);
  EXPECT_EQ(run.rejections[0].location, "batch 1 record 3 (enrollments)");
  EXPECT_EQ(run.rejections[0].reason, "names a user who is not on the roster");
  EXPECT_EQ(run.rejections[1].location, "batch 1 record 4 (enrollments)");
  EXPECT_EQ(run.rejections[1].reason, "names a section that is not on the roster");
  EXPECT_EQ(run.rejections[4].location, "users.csv:42");
  for (const auto& rejected : run.rejections) {
    EXPECT_THAT(rejected.reason, ::testing::Not(HasSubstr("ghost")));
    EXPECT_THAT(rejected.reason, ::testing::Not(HasSubstr("nowhere")));
  }
  EXPECT_EQ(h.count("accounts"), 1);
  EXPECT_EQ(h.count("enrollments"), 0);
}

TEST(SyncEngineTest, APluginFailureKeepsTheAppliedBatchesAndTheNextRunResumes) {
  SyncHarness h;
  h.plugin.batches = small_district(true);
  h.plugin.batches.push_back(batch({user("s3", Role::student, "Dee")}, true));
  h.plugin.fail_at = 1;
  const store::SyncRunRecord failed = h.run();
  EXPECT_EQ(failed.outcome, SyncOutcome::failed);
  EXPECT_THAT(failed.error, HasSubstr("upstream_unavailable"));
  EXPECT_EQ(failed.batches, 1);
  EXPECT_EQ(h.count("accounts"), 3);
  EXPECT_EQ(h.count("sections"), 0);
  EXPECT_EQ(h.scalar("SELECT open_mode FROM sync_connections"), "snapshot");

  const store::SyncRunRecord resumed = h.run();
  ASSERT_EQ(resumed.outcome, SyncOutcome::succeeded) << resumed.error;
  EXPECT_EQ(resumed.resumes_run, failed.id);
  EXPECT_EQ(h.plugin.requests.back().cursor, "b2");
  EXPECT_EQ(h.plugin.requests[h.plugin.requests.size() - 2].cursor, "b1");
  EXPECT_FALSE(h.plugin.requests[h.plugin.requests.size() - 2].full);
  EXPECT_EQ(count_of(failed, "users", "created") + count_of(resumed, "users", "created"), 4u);
  EXPECT_EQ(count_of(resumed, "sections", "created"), 2u);
  EXPECT_EQ(count_of(resumed, "enrollments", "created"), 3u);
  // The sweep spans the whole read: users applied by the failed run are not swept.
  EXPECT_EQ(count_of(resumed, "users", "removed"), 0u);
  EXPECT_EQ(h.count("accounts WHERE left_roster_on IS NULL"), 4);
}

TEST(SyncEngineTest, AStoreFailureMidBatchAppliesNothingOfThatBatch) {
  SyncHarness h;
  h.plugin.script(
      {batch({user("s1")}, false),
       batch({user("s2"), section("c1"), section("c2"), enrollment("c1", "s2")}, false)});
  // The second section of batch 2 fails to be written, after s2 and c1 were.
  h.exec(
      "CREATE TRIGGER fail_second_section BEFORE INSERT ON sections "
      "WHEN (SELECT count(*) FROM sections) >= 1 BEGIN SELECT RAISE(ABORT, 'injected'); END");
  // Batch 1 shared the failing batch's transaction: it goes too, and so does its cursor.
  expect_nothing_applied(h, h.run());

  h.exec("DROP TRIGGER fail_second_section");
  const store::SyncRunRecord next = h.run();
  ASSERT_EQ(next.outcome, SyncOutcome::succeeded) << next.error;
  EXPECT_EQ(h.plugin.requests[h.plugin.requests.size() - 2].cursor, "");
  EXPECT_EQ(count_of(next, "users", "created"), 2u);
  EXPECT_EQ(count_of(next, "sections", "created"), 2u);
  EXPECT_EQ(count_of(next, "enrollments", "created"), 1u);
  EXPECT_EQ(h.count("accounts"), 2);
}

TEST(SyncEngineTest, AShutdownStopsAtABatchBoundaryAndTheNextRunResumes) {
  SyncHarness h;
  h.plugin.batches = small_district(false);
  std::atomic<bool> stop{true};
  const store::SyncRunRecord stopped = h.run(false, &stop);
  EXPECT_EQ(stopped.outcome, SyncOutcome::failed);
  EXPECT_THAT(stopped.error, HasSubstr("interrupted"));
  EXPECT_EQ(stopped.batches, 0);
  const store::SyncRunRecord next = h.run();
  EXPECT_EQ(next.outcome, SyncOutcome::succeeded);
  EXPECT_EQ(count_of(next, "users", "created"), 3u);
}

TEST(SyncEngineTest, ARunThatSwitchesSnapshotModeIsRefused) {
  SyncHarness h;
  h.plugin.script({batch({user("s1")}, true), batch({user("s2")}, false)});
  const store::SyncRunRecord run = h.run();
  EXPECT_EQ(run.outcome, SyncOutcome::failed);
  EXPECT_THAT(run.error, HasSubstr("switched from snapshot to delta"));
  EXPECT_EQ(h.count("accounts"), 1);
}

TEST(SyncEngineTest, OneRunPerConnectionAtATime) {
  SyncHarness h;
  h.plugin.batches = small_district(false);
  auto held = RunLock::acquire(h.db_path(), h.connection.id);
  ASSERT_TRUE(held.ok());
  RunRequest request;
  auto refused = h.engine->run(h.connection, h.plugin, request);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().detail, HasSubstr("already in progress"));
  EXPECT_EQ(h.count("sync_runs"), 0);
}

TEST(SyncEngineTest, ARevokedDistrictEndsItsSessionsAndStopsSyncingIt) {
  SyncHarness h;
  h.connection.district.reset();
  h.connection.provider_districts = {{"P1", "d1"}, {"P2", "d2"}};
  h.plugin.script({batch({user("a", Role::student, "Ada", "P1"),
                          user("b", Role::student, "Ben", "P2"), section("c1", "P1")},
                         true)});
  ASSERT_EQ(h.run().outcome, SyncOutcome::succeeded);
  auto account = h.accounts->find_account(*h.account_of("a"));
  ASSERT_TRUE(account.ok() && account->has_value());
  auto session = h.sessions->start(**account);
  ASSERT_TRUE(session.ok());
  h.clock.set(kStart + std::chrono::minutes(1));

  h.plugin.script({batch({sdk::RosterDistrictRevoked{"P1"}, user("a2", Role::student, "Al", "P1"),
                          user("b", Role::student, "Ben", "P2")},
                         true)});
  const store::SyncRunRecord run = h.run(true);
  ASSERT_EQ(run.outcome, SyncOutcome::succeeded) << run.error;
  EXPECT_EQ(count_of(run, "districts", "removed"), 1u);
  EXPECT_EQ(count_of(run, "users", "discarded"), 1u);
  EXPECT_EQ(h.sessions->find(session->id), nullptr);
  EXPECT_EQ(h.count("revocations WHERE scope = 'district' AND subject_id = 'd1'"), 1);
  EXPECT_EQ(h.count("sync_district_stops WHERE district_id = 'd1'"), 1);
  EXPECT_FALSE(h.account_of("a2"));
  // The revoked district's records are kept for its disposition directive, not swept.
  EXPECT_EQ(h.count("accounts WHERE left_roster_on IS NOT NULL"), 0);
  EXPECT_EQ(h.count("sections WHERE left_roster_on IS NOT NULL"), 0);

  // Later runs discard the district from the start.
  h.plugin.script({batch({user("a", Role::student, "Ada", "P1")}, false)});
  const store::SyncRunRecord later = h.run();
  EXPECT_EQ(count_of(later, "users", "discarded"), 1u);
}

TEST(SyncEngineTest, RecordsOfAnUnmappedDistrictAreDiscardedAndNeverStored) {
  SyncHarness h;
  h.connection.district.reset();
  h.connection.provider_districts = {{"P1", "d1"}};
  h.plugin.script(
      {batch({user("in", Role::student, "Ada", "P1"), user("out", Role::student, "Ben", "P9"),
              user("none", Role::student, "Cy"), section("c9", "P9"), enrollment("c9", "out"),
              enrollment("c9", "in")},
             false)});
  const store::SyncRunRecord run = h.run();
  ASSERT_EQ(run.outcome, SyncOutcome::succeeded) << run.error;
  EXPECT_EQ(count_of(run, "users", "created"), 1u);
  EXPECT_EQ(count_of(run, "users", "discarded"), 2u);
  EXPECT_EQ(count_of(run, "sections", "discarded"), 1u);
  EXPECT_EQ(count_of(run, "enrollments", "discarded"), 2u);
  EXPECT_EQ(h.count("accounts"), 1);
  EXPECT_EQ(h.count("sections"), 0);
}

TEST(SyncEngineTest, NothingOfTheDroppedFieldsReachesTheDatabaseOrTheLogs) {
  std::ostringstream logs;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(logs);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  spdlog::set_level(spdlog::level::debug);
  {
    SyncHarness h;
    sdk::ExternalIdentity kid = person("CANARY-SUBJECT-7731", Role::student, "Ada");
    kid.family_name = "CANARY-FAMILY-5521";
    kid.middle_name = "CANARY-MIDDLE-1184";
    kid.email = "canary.kid.9912@example.org";
    kid.email_verified = true;
    kid.birthdate = sdk::CivilDate{2013, 4, 5};
    kid.extra["gender"] = "CANARY-GENDER-3307";
    kid.extra["sis_id"] = "CANARY-SIS-4410";
    sdk::ExternalIdentity teacher = person("CANARY-TEACHER-ID-2208", Role::teacher, "Cy");
    teacher.family_name = "CANARY-TEACHER-FAMILY-6650";
    h.plugin.script({batch(
        {sdk::RosterUserUpsert{kid}, sdk::RosterUserUpsert{teacher}, section("CANARY-SECTION-8843"),
         enrollment("CANARY-SECTION-8843", "CANARY-SUBJECT-7731"),
         enrollment("CANARY-SECTION-8843", "CANARY-DANGLING-1029")},
        true)});
    const store::SyncRunRecord run = h.run();
    ASSERT_EQ(run.outcome, SyncOutcome::succeeded) << run.error;
    EXPECT_EQ(h.scalar("SELECT age_years FROM accounts WHERE role = 'student'"), "11");
    EXPECT_EQ(h.scalar("SELECT display_name FROM accounts WHERE role = 'student'"), "Ada");

    std::string persisted;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      persisted += read_bytes(h.db_path() + suffix);
    }
    persisted += logs.str();
    for (const char* canary :
         {"CANARY-SUBJECT-7731", "CANARY-FAMILY-5521", "CANARY-MIDDLE-1184", "canary.kid.9912",
          "CANARY-GENDER-3307", "CANARY-SIS-4410", "CANARY-TEACHER-ID-2208",
          "CANARY-TEACHER-FAMILY-6650", "CANARY-SECTION-8843", "CANARY-DANGLING-1029", "2013-04-05",
          "CANARY"}) {
      EXPECT_EQ(persisted.find(canary), std::string::npos) << canary;
    }
  }
  spdlog::set_default_logger(previous);
}

}  // namespace
}  // namespace lmsgw::sync
