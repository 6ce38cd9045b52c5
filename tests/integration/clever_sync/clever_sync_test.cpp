// Clever Secure Sync end to end: the fake Clever as a process with a canary-laden district, the
// real gateway, and `lmsgwctl sync run` reading the roster into the gateway's SQLite file.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/gateway_process.h"
#include "tests/support/process.h"
#include "tests/support/roster_sync.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_browser.h"
#include "tests/support/test_pki.h"

namespace lmsgw::testing {
namespace {

constexpr std::string_view kClientId = "sync-client";
constexpr std::string_view kClientSecret = "sync-client-secret-0123456789";
constexpr std::string_view kDistrict = "6620aa00000000000000d001";
constexpr std::string_view kDistrictToken = "district-token-d001-0123456789";
constexpr std::string_view kStudent = "6620aa00000000000000b001";
constexpr std::string_view kSecondStudent = "6620aa00000000000000b004";
constexpr std::string_view kSection = "6620cc00000000000000a001";

// A district of two students and a teacher in one section. Every field the gateway must drop
// carries a canary; the event stream holds one event from before the first read.
constexpr std::string_view kFixture = R"({
 "districts": [{"id": "6620aa00000000000000d001", "token": "district-token-d001-0123456789"}],
 "users": [
  {"id": "6620aa00000000000000b001", "district": "6620aa00000000000000d001",
   "email": "zz.canary.student@example.org",
   "name": {"first": "Ana", "middle": "Zzmiddlecanary", "last": "Zzfamilycanary"},
   "roles": {"student": {"dob": "2/29/2016", "grade": "4", "gender": "Zzgendercanary",
     "race": "Zzracecanary", "hispanic_ethnicity": "Zzethnicitycanary",
     "ell_status": "Zzellcanary", "iep_status": "Zziepcanary", "sis_id": "ZZSISCANARY",
     "state_id": "ZZSTATEIDCANARY", "student_number": "ZZSTUDENTNUMBERCANARY",
     "credentials": {"district_username": "zzusernamecanary"},
     "location": {"address": "Zzaddresscanary", "zip": "Zzzipcanary"}}}},
  {"id": "6620aa00000000000000b002", "district": "6620aa00000000000000d001",
   "email": "rosa.teacher@example.org", "name": {"first": "Rosa", "last": "Zzteacherfamilycanary"},
   "roles": {"teacher": {"sis_id": "ZZTEACHERSISCANARY", "title": "Ms."}}},
  {"id": "6620aa00000000000000b004", "district": "6620aa00000000000000d001",
   "name": {"first": "Ben", "last": "Zzsecondfamilycanary"},
   "roles": {"student": {"dob": "1/15/2015", "sis_id": "ZZSECONDSISCANARY"}}}],
 "sections": [
  {"id": "6620cc00000000000000a001", "district": "6620aa00000000000000d001",
   "name": "Zzsectionnamecanary", "sis_id": "ZZSECTIONSISCANARY", "subject": "math",
   "students": ["6620aa00000000000000b001", "6620aa00000000000000b004"],
   "teachers": ["6620aa00000000000000b002"], "teacher": "6620aa00000000000000b002"}],
 "schools": [{"id": "6620aa00000000000000c001", "district": "6620aa00000000000000d001",
   "name": "Zzschoolcanary"}],
 "events": [
  {"id": "6620ee00000000000000e001", "type": "users.updated",
   "data": {"object": {"id": "6620aa00000000000000b001", "district": "6620aa00000000000000d001",
     "name": {"first": "Ana", "last": "Zzfamilycanary"}}}}]
})";

const std::vector<std::string>& canaries() {
  static const std::vector<std::string> values = {
      "Zzfamilycanary",       "Zzmiddlecanary",        "zz.canary.student",
      "2/29/2016",            "2016-02-29",            "Zzgendercanary",
      "Zzracecanary",         "Zzethnicitycanary",     "Zzellcanary",
      "Zziepcanary",          "ZZSISCANARY",           "ZZSTATEIDCANARY",
      "ZZSTUDENTNUMBERCANARY", "zzusernamecanary",     "Zzaddresscanary",
      "Zzzipcanary",          "Zzteacherfamilycanary", "ZZTEACHERSISCANARY",
      "Zzsecondfamilycanary", "ZZSECONDSISCANARY",     "1/15/2015",
      "Zzsectionnamecanary",  "ZZSECTIONSISCANARY",    "Zzschoolcanary",
      "Zzeventcanary",        std::string(kDistrictToken), std::string(kClientSecret),
      // Raw provider ids are kept only as keyed hashes.
      std::string(kStudent),  std::string(kSecondStudent), std::string(kSection)};
  return values;
}

class CleverSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = make_test_pki(dir_.path() / "pki");
    clever_port_ = free_port();
    gateway_port_ = free_port();
    start_fake_clever(dir_.path(), pki_,
                      {LMSGW_FAKE_CLEVER_BIN, std::string(kFixture), std::string(kClientId),
                       std::string(kClientSecret), clever_port_, gateway_port_},
                      clever_);
    if (::testing::Test::HasFatalFailure()) return;
    control_ = std::make_unique<TestBrowser>(pki_.ca_certificate_file);

    const std::string settings = fake_clever_settings_yaml(clever_port_, kClientId);
    const std::string mapped =
        "    provider_districts: {\"" + std::string(kDistrict) + "\": springfield}\n";
    GatewaySetup setup;
    setup.ca_file = pki_.ca_certificate_file;
    setup.plugins = {"clever"};
    setup.port = gateway_port_;
    setup.connections_yaml =
        "  clever:\n    plugin: clever\n" + mapped + "    config:\n" + settings;
    setup.sync_yaml = "  clever-roster:\n    plugin: clever\n" + mapped +
                      "    schedule: manual\n    config:\n" + settings +
                      "      page_limit: 2\n      max_retries: 2\n      max_wait: 3s\n";
    gateway_ = std::make_unique<GatewayProcess>(dir_.path(), std::move(setup));
  }

  std::string clever_url() const { return fake_clever_url(clever_port_); }

  GatewayProcess::CtlResult sync_run(bool full = false) {
    return testing::sync_run(*gateway_, "springfield", full);
  }

  void sync_ok(bool full = false) {
    auto result = sync_run(full);
    ASSERT_EQ(result.exit_code, 0) << result.output;
  }

  long count(std::string_view kind, std::string_view outcome) {
    return latest_run_count(*gateway_, kind, outcome);
  }

  std::string latest_run(std::string_view column) { return latest_run_column(*gateway_, column); }

  void control(std::string path_and_query, std::string body = "") {
    sdk::HttpResponse response =
        control_->post_form(clever_url() + "/__fake/" + path_and_query, body);
    ASSERT_EQ(response.status, 200) << path_and_query << ": " << response.body;
  }

  // Appends events (JSON) to the fake's stream, applied to its records.
  void append_events(const std::string& json) { control("events", json); }

  int fake_counter(std::string_view name) {
    const std::string body = control_->get(clever_url() + "/__fake/stats").body;
    const std::string key = "\"" + std::string(name) + "\":";
    const auto at = body.find(key);
    return at == std::string::npos ? 0 : std::stoi(body.substr(at + key.size()));
  }

  sdk::HttpResponse sign_in(TestBrowser& browser, std::string_view user) {
    return browser.follow(gateway_->url() + "/login/clever?login_hint=" + std::string(user));
  }

  int auth_check(TestBrowser& browser) {
    return browser.get(gateway_->url() + "/auth/check").status;
  }

  void expect_no_canary() {
    const std::string bytes = gateway_->persisted_bytes();
    for (const std::string& canary : canaries()) {
      EXPECT_EQ(bytes.find(canary), std::string::npos) << "persisted: " << canary;
    }
  }

  // Signs the student in, applies a disconnection signal, syncs: the district is revoked, the
  // session is refused and the district's roster is no longer read.
  void expect_signal_revokes(const std::function<void()>& signal) {
    sync_ok();
    TestBrowser browser(pki_.ca_certificate_file);
    sign_in(browser, kStudent);
    ASSERT_EQ(auth_check(browser), 200);
    signal();
    sync_ok();
    EXPECT_EQ(count("districts", "removed"), 1);
    EXPECT_TRUE(eventually([&] { return auth_check(browser) == 401; }));
    EXPECT_EQ(gateway_->count_rows("sessions"), 0);
    EXPECT_EQ(gateway_->count_rows("sync_district_stops"), 1);
    const int pages = fake_counter("users_pages") + fake_counter("events_pages");
    sync_ok(true);
    EXPECT_EQ(fake_counter("users_pages") + fake_counter("events_pages"), pages);
  }

  TempDir dir_;
  TestPki pki_;
  std::uint16_t clever_port_ = 0;
  std::uint16_t gateway_port_ = 0;
  std::unique_ptr<ChildProcess> clever_;
  std::unique_ptr<TestBrowser> control_;
  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(CleverSyncTest, AFullReadRostersTheDistrictAndPersistsNoCanary) {
  sync_ok();
  EXPECT_EQ(latest_run("outcome"), "succeeded");
  EXPECT_EQ(latest_run("mode"), "snapshot");
  EXPECT_EQ(count("users", "created"), 3);
  EXPECT_EQ(count("sections", "created"), 1);
  EXPECT_EQ(count("enrollments", "created"), 3);
  EXPECT_EQ(gateway_->count_rows("accounts"), 3);
  EXPECT_EQ(gateway_->count_rows("enrollments"), 3);
  // Paged at two records a page.
  EXPECT_EQ(fake_counter("users_pages"), 2);
  expect_no_canary();
}

TEST_F(CleverSyncTest, ASecondIdenticalRunChangesNothing) {
  sync_ok();
  sync_ok(true);
  EXPECT_EQ(latest_run("outcome"), "succeeded");
  EXPECT_EQ(count("users", "created") + count("users", "updated") + count("users", "removed"), 0);
  EXPECT_EQ(count("users", "unchanged"), 3);
  EXPECT_EQ(count("enrollments", "created") + count("enrollments", "removed"), 0);
  sync_ok();
  EXPECT_EQ(latest_run("mode"), "delta");
  EXPECT_EQ(count("users", "created") + count("users", "updated") + count("users", "removed"), 0);
  EXPECT_EQ(gateway_->count_rows("accounts"), 3);
}

TEST_F(CleverSyncTest, EventsApplyDeltasAndARecordThatComesBackIsRestored) {
  sync_ok();
  append_events(R"([{"type": "users.deleted", "data": {"object": {"id": "6620aa00000000000000b004",
      "district": "6620aa00000000000000d001"}}},
    {"type": "users.created", "data": {"object": {"id": "6620aa00000000000000b005",
      "district": "6620aa00000000000000d001", "name": {"first": "Cy", "last": "Zzeventcanary"},
      "roles": {"student": {"dob": "5/5/2014"}}}}}])");
  sync_ok();
  EXPECT_EQ(latest_run("mode"), "delta");
  EXPECT_EQ(count("users", "removed"), 1);
  EXPECT_EQ(count("users", "created"), 1);
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM accounts WHERE left_roster_on IS NOT NULL"), "1");
  // Shared again: back on the roster.
  append_events(R"({"type": "users.created", "data": {"object": {"id": "6620aa00000000000000b004",
      "district": "6620aa00000000000000d001", "name": {"first": "Ben"},
      "roles": {"student": {"dob": "1/15/2015"}}}}})");
  sync_ok();
  EXPECT_EQ(count("users", "restored"), 1);
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM accounts WHERE left_roster_on IS NOT NULL"), "0");
  expect_no_canary();
}

TEST_F(CleverSyncTest, ARecordAbsentFromAFullReadLeavesTheRoster) {
  sync_ok();
  control("records/delete?kind=users&id=" + std::string(kSecondStudent));
  sync_ok(true);
  EXPECT_EQ(count("users", "removed"), 1);
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM accounts WHERE left_roster_on IS NOT NULL"), "1");
}

TEST_F(CleverSyncTest, ARosteredStudentWhoSignsInIsTheSameAccount) {
  sync_ok();
  TestBrowser browser(pki_.ca_certificate_file);
  sign_in(browser, kStudent);
  EXPECT_EQ(auth_check(browser), 200);
  EXPECT_EQ(gateway_->count_rows("accounts"), 3);
  EXPECT_EQ(gateway_->query("SELECT count(*) FROM accounts WHERE last_sign_in_at IS NOT NULL "
                            "AND roster_connection IS NOT NULL"),
            "1");
}

TEST_F(CleverSyncTest, ATokenGoneFromTheListRevokesTheDistrict) {
  expect_signal_revokes([&] { control("districts/revoke?district=" + std::string(kDistrict)); });
}

TEST_F(CleverSyncTest, A401OnTheDistrictTokenRevokesTheDistrict) {
  expect_signal_revokes(
      [&] { control("districts/status?district=" + std::string(kDistrict) + "&status=401"); });
}

TEST_F(CleverSyncTest, A404OnTheDistrictTokenRevokesTheDistrict) {
  expect_signal_revokes(
      [&] { control("districts/status?district=" + std::string(kDistrict) + "&status=404"); });
}

TEST_F(CleverSyncTest, ADistrictsDeletedEventRevokesTheDistrict) {
  expect_signal_revokes([&] {
    append_events(R"({"type": "districts.deleted",
                      "data": {"object": {"id": "6620aa00000000000000d001"}}})");
  });
}

TEST_F(CleverSyncTest, A429IsWaitedOutAndTheRunCompletes) {
  control("faults?endpoint=users_list&mode=rate_limit&reset_in=1&retry_after=1&count=1");
  sync_ok();
  EXPECT_EQ(fake_counter("rate_limited"), 1);
  EXPECT_EQ(latest_run("outcome"), "succeeded");
  EXPECT_EQ(count("users", "created"), 3);
}

TEST_F(CleverSyncTest, A429LongerThanMaxWaitFailsTheRunWhichResumesLater) {
  control("faults?endpoint=sections&mode=rate_limit&reset_in=600&count=1");
  auto failed = sync_run();
  EXPECT_NE(latest_run("outcome"), "succeeded") << failed.output;
  EXPECT_EQ(count("users", "created"), 3);
  sync_ok();
  EXPECT_EQ(latest_run("outcome"), "succeeded");
  EXPECT_EQ(count("sections", "created"), 1);
  EXPECT_EQ(count("users", "created"), 0);
  EXPECT_EQ(fake_counter("users_pages"), 2);
}

TEST_F(CleverSyncTest, ATruncatedPageFailsTheRunWithNothingHalfApplied) {
  control("faults?endpoint=users_list&mode=truncated&count=1");
  auto failed = sync_run();
  EXPECT_EQ(latest_run("outcome"), "failed") << failed.output;
  EXPECT_EQ(gateway_->count_rows("accounts"), 0);
  sync_ok();
  EXPECT_EQ(gateway_->count_rows("accounts"), 3);
}

}  // namespace
}  // namespace lmsgw::testing
