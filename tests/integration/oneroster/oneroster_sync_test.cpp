// OneRoster roster sync end to end: sets written by tools/gen-district (canaries in every field
// the gateway must drop), the real gateway, and `lmsgwctl sync run` applying them to the
// gateway's SQLite file. Students get real sessions by signing in through Clever (the fake, as a
// process) with the sync connection in the `clever` identity namespace, so a delta's removals
// can be seen ending them.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
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

constexpr int kUsers = 200;
constexpr int kDeleted = 2;
constexpr std::string_view kClientId = "oneroster-client";
constexpr std::string_view kClientSecret = "oneroster-client-secret-0123456789";
constexpr std::string_view kCleverDistrict = "6620aa00000000000000d001";

// The markers gen-district writes into every field the gateway must drop (users.csv's
// username, userIds, familyName, middleName, identifier, student emails, sms, phone, grades,
// password; demographics.csv; lineItems.csv; results.csv), and the raw sourcedIds, which are
// kept only as keyed hashes.
const std::vector<std::string>& canaries() {
  static const std::vector<std::string> values = {
      "zzusercanary",      "zzldapcanary",       "ZZSISCANARY",      "ZzfamilyCANARY",
      "ZzmiddleCANARY",    "zz.canary.",         "ZZSMSCANARY",      "ZZPHONECANARY",
      "ZZGRADECANARY",     "zzpasswordcanary",   "ZZSEXCANARY",      "ZZCOUNTRYCANARY",
      "ZzcityCANARY",      "ZZRESIDENCECANARY",  "1901-02-03",       "ZzlineitemCANARY",
      "ZzassessmentCANARY", "ZzscoreCANARY",     "stu-",             "tch-",
      "gdn-",              "cls-",               "enr-"};
  return values;
}

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// What gen-district reports it wrote, e.g. {"users": 200, "classes": 8, "enrollments": 784}.
std::map<std::string, long> generate(const std::filesystem::path& work,
                                     const std::vector<std::string>& args) {
  const std::filesystem::path output = work / "gen-district.out";
  ChildProcess gen(LMSGW_GEN_DISTRICT_BIN, args, output);
  const std::optional<int> code = gen.wait_for_exit(std::chrono::seconds(30));
  EXPECT_EQ(code.value_or(-1), 0) << read_file(output);
  std::map<std::string, long> counts;
  std::istringstream words(read_file(output));
  std::string name;
  long value = 0;
  while (words >> name >> value) counts[name] = value;
  return counts;
}

// Replaces physical line `line` (1-based) of `file`.
void replace_line(const std::filesystem::path& file, int line, std::string_view replacement) {
  std::istringstream in(read_file(file));
  std::string out;
  int number = 0;
  for (std::string text; std::getline(in, text);) {
    out += ++number == line ? std::string(replacement) : text;
    out += "\n";
  }
  write_file(file, out);
}

class OneRosterSyncTest : public ::testing::Test {
 protected:
  std::filesystem::path set_dir() const { return dir_.path() / "set"; }

  std::map<std::string, long> generate_bulk() {
    return generate(dir_.path(), {"--users", std::to_string(kUsers), "--out", set_dir().string()});
  }

  std::map<std::string, long> generate_delta(int deleted) {
    return generate(dir_.path(), {"--users", std::to_string(kUsers), "--out", set_dir().string(),
                                  "--delta-delete", std::to_string(deleted)});
  }

  // The gateway with the OneRoster source for springfield; with `clever_sign_in`, also a Clever
  // sign-in connection against the fake, sharing the `clever` identity namespace.
  void start_gateway(bool clever_sign_in = false) {
    GatewaySetup setup;
    setup.plugins = {"oneroster"};
    setup.sync_yaml = "  springfield-sis:\n    plugin: oneroster\n    district: springfield\n"
                      "    schedule: manual\n";
    if (clever_sign_in) {
      start_fake_clever();
      setup.ca_file = pki_.ca_certificate_file;
      setup.plugins.emplace_back("clever");
      setup.port = gateway_port_;
      setup.connections_yaml = "  clever:\n    plugin: clever\n    provider_districts: {\"" +
                               std::string(kCleverDistrict) + "\": springfield}\n    config:\n" +
                               fake_clever_settings_yaml(clever_port_, kClientId);
      setup.sync_yaml += "    identity_namespace: clever\n";
    }
    // Small batches, so each file is applied over several transactions.
    setup.sync_yaml +=
        "    config:\n      path: " + set_dir().string() + "\n      batch_size: 64\n";
    gateway_ = std::make_unique<GatewayProcess>(dir_.path(), std::move(setup));
  }

  // The fake Clever knows the students the tests sign in, under their OneRoster sourcedIds.
  void start_fake_clever() {
    pki_ = make_test_pki(dir_.path() / "pki");
    std::string users;
    for (int i = 0; i <= kDeleted; ++i) {
      if (i > 0) users += ",";
      users += R"({"id": "stu-)" + std::to_string(i) + R"(", "district": ")" +
               std::string(kCleverDistrict) +
               R"(", "name": {"first": "Ana"}, "roles": {"student": {}}})";
    }
    clever_port_ = free_port();
    gateway_port_ = free_port();
    const std::string fixture = R"({"districts": [{"id": ")" + std::string(kCleverDistrict) +
                                R"(", "token": "district-token-0123456789"}], "users": [)" + users +
                                "]}";
    testing::start_fake_clever(dir_.path(), pki_,
                               {LMSGW_FAKE_CLEVER_BIN, fixture, std::string(kClientId),
                                std::string(kClientSecret), clever_port_, gateway_port_},
                               clever_);
  }

  std::string clever_url() const { return fake_clever_url(clever_port_); }

  GatewayProcess::CtlResult sync_run(bool full = false) {
    return testing::sync_run(*gateway_, "springfield", full);
  }

  long count(std::string_view kind, std::string_view outcome) {
    return latest_run_count(*gateway_, kind, outcome);
  }

  std::string latest_run(std::string_view column) { return latest_run_column(*gateway_, column); }

  // Every count of the latest run, as kind.outcome=n, for failure messages.
  std::string all_counts() {
    return rows(
        "SELECT group_concat(kind || '.' || outcome || '=' || count, ' ') FROM"
        " sync_run_counts WHERE run_id = (SELECT max(id) FROM sync_runs)");
  }

  std::string rows(std::string_view sql) { return gateway_->query(sql).value_or(""); }

  // Every kept column of every roster table, to compare before and after a run.
  std::string roster_state() {
    return rows(
               "SELECT group_concat(x, '|') FROM (SELECT id || role || district_id ||"
               " display_name || ifnull(age_years, '-') || ifnull(hex(email_hash), '-') ||"
               " ifnull(email, '-') || created_at || ifnull(left_roster_on, '-') AS x"
               " FROM accounts ORDER BY id)") +
           rows(
               "SELECT group_concat(x, '|') FROM (SELECT id || district_id || created_at ||"
               " ifnull(left_roster_on, '-') AS x FROM sections ORDER BY id)") +
           rows(
               "SELECT group_concat(x, '|') FROM (SELECT section_key || '/' || account_key ||"
               " '/' || role AS x FROM enrollments ORDER BY section_key, account_key)");
  }

  void expect_no_canary() {
    const std::string bytes = gateway_->persisted_bytes();
    ASSERT_FALSE(bytes.empty());
    for (const std::string& canary : canaries()) {
      EXPECT_EQ(bytes.find(canary), std::string::npos) << "persisted: " << canary;
    }
    EXPECT_EQ(lowercase(bytes).find("canary"), std::string::npos);
  }

  TempDir dir_;
  TestPki pki_;
  std::uint16_t clever_port_ = 0;
  std::uint16_t gateway_port_ = 0;
  std::unique_ptr<ChildProcess> clever_;
  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(OneRosterSyncTest, ABulkSetIsCountedAsWrittenAndNoDroppedFieldIsPersisted) {
  const auto input = generate_bulk();
  ASSERT_EQ(input.at("users"), kUsers);
  start_gateway();
  const auto result = sync_run();
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(latest_run("outcome"), "succeeded");
  EXPECT_EQ(latest_run("mode"), "snapshot");
  EXPECT_EQ(count("users", "created"), input.at("users"));
  EXPECT_EQ(count("sections", "created"), input.at("classes"));
  EXPECT_EQ(count("enrollments", "created"), input.at("enrollments"));
  for (const char* kind : {"users", "sections", "enrollments"}) {
    for (const char* outcome : {"updated", "rejected", "discarded", "removed"}) {
      EXPECT_EQ(count(kind, outcome), 0) << kind << " " << outcome;
    }
  }
  EXPECT_EQ(count("demographics.csv", "discarded"), 1);
  EXPECT_EQ(count("results.csv", "discarded"), 1);
  EXPECT_EQ(count("lineItems.csv", "discarded"), 1);
  EXPECT_EQ(gateway_->count_rows("accounts"), input.at("users"));
  EXPECT_EQ(gateway_->count_rows("sections"), input.at("classes"));
  EXPECT_EQ(gateway_->count_rows("enrollments"), input.at("enrollments"));
  EXPECT_EQ(rows("SELECT count(*) FROM accounts WHERE role = 'student'"),
            std::to_string(input.at("students")));
  EXPECT_NE(result.output.find("users: created " + std::to_string(kUsers)), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("results.csv: discarded 1"), std::string::npos) << result.output;
  gateway_->stop();
  expect_no_canary();
}

TEST_F(OneRosterSyncTest, ASecondFullReadOfTheSameSetChangesNothing) {
  const auto input = generate_bulk();
  start_gateway();
  ASSERT_EQ(sync_run().exit_code, 0);
  const std::string before = roster_state();
  ASSERT_FALSE(before.empty());

  const auto again = sync_run(true);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(latest_run("outcome"), "succeeded");
  EXPECT_EQ(latest_run("full_read"), "1");
  const std::map<std::string, long> unchanged = {{"users", input.at("users")},
                                                 {"sections", input.at("classes")},
                                                 {"enrollments", input.at("enrollments")}};
  for (const auto& [kind, total] : unchanged) {
    EXPECT_EQ(count(kind, "unchanged"), total) << kind;
    for (const char* outcome : {"created", "updated", "restored", "removed", "rejected"}) {
      EXPECT_EQ(count(kind, outcome), 0) << kind << " " << outcome;
    }
  }
  EXPECT_EQ(count("demographics.csv", "discarded"), 1);
  EXPECT_EQ(roster_state(), before);
  EXPECT_EQ(gateway_->count_rows("accounts"), input.at("users"));
  EXPECT_EQ(gateway_->count_rows("revocations"), 0);
  const auto listed = gateway_->lmsgwctl({"sync", "runs", "--district", "springfield"});
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find("users.created=" + std::to_string(kUsers)), std::string::npos)
      << listed.output;
  EXPECT_NE(listed.output.find("users.unchanged=" + std::to_string(kUsers)), std::string::npos)
      << listed.output;
  gateway_->stop();
  expect_no_canary();
}

TEST_F(OneRosterSyncTest, ADeltaWithTobedeletedStudentsMarksThemOffRosterAndEndsTheirSessions) {
  const auto input = generate_bulk();
  start_gateway(true);
  ASSERT_EQ(sync_run().exit_code, 0);

  // stu-0 and stu-1 are deleted by the delta; stu-2 stays. Each signs in through Clever, which
  // reaches the rostered account (same namespace, same subject) rather than a new one.
  std::vector<std::unique_ptr<TestBrowser>> browsers;
  std::string deleted_ids;
  for (int i = 0; i <= kDeleted; ++i) {
    browsers.push_back(std::make_unique<TestBrowser>(pki_.ca_certificate_file));
    browsers.back()->follow(gateway_->url() + "/login/clever?login_hint=stu-" + std::to_string(i));
    ASSERT_EQ(browsers.back()->get(gateway_->url() + "/auth/check").status, 200) << i;
    if (i == kDeleted - 1) {
      deleted_ids = rows(
          "SELECT group_concat(id) FROM (SELECT id FROM accounts"
          " WHERE last_sign_in_at IS NOT NULL ORDER BY id)");
      ASSERT_EQ(rows("SELECT count(*) FROM accounts WHERE last_sign_in_at IS NOT NULL"),
                std::to_string(kDeleted));
    }
  }
  ASSERT_EQ(gateway_->count_rows("accounts"), input.at("users"));
  ASSERT_EQ(gateway_->count_rows("sessions"), kDeleted + 1);
  const std::string stays = rows(
      "SELECT id FROM accounts WHERE last_sign_in_at IS NOT NULL AND"
      " instr('," +
      deleted_ids + ",', ',' || id || ',') = 0");
  ASSERT_FALSE(stays.empty());
  const int enrollments_before = gateway_->count_rows("enrollments");

  generate_delta(kDeleted);
  const auto delta = sync_run();
  ASSERT_EQ(delta.exit_code, 0) << delta.output;
  EXPECT_EQ(latest_run("outcome"), "succeeded");
  EXPECT_EQ(latest_run("mode"), "delta");
  EXPECT_EQ(count("users", "removed"), kDeleted);
  EXPECT_EQ(count("users", "created") + count("users", "updated"), 0);

  // Off the roster today, exactly those accounts; kept, not deleted.
  EXPECT_EQ(rows("SELECT group_concat(id) FROM (SELECT id FROM accounts"
                 " WHERE left_roster_on IS NOT NULL ORDER BY id)"),
            deleted_ids);
  EXPECT_EQ(rows("SELECT count(*) FROM accounts WHERE left_roster_on = date('now')"),
            std::to_string(kDeleted));
  EXPECT_EQ(gateway_->count_rows("accounts"), input.at("users"));
  // Their enrollments (4 each) are gone, nobody else's.
  EXPECT_EQ(gateway_->count_rows("enrollments"), enrollments_before - 4 * kDeleted);
  EXPECT_EQ(rows("SELECT count(*) FROM enrollments WHERE account_key IN"
                 " (SELECT key FROM accounts WHERE left_roster_on IS NOT NULL)"),
            "0");
  // Revoked by account, and their sessions end in the running gateway; the other one's stays.
  EXPECT_EQ(rows("SELECT group_concat(subject_id) FROM (SELECT subject_id FROM revocations"
                 " WHERE scope = 'account' ORDER BY subject_id)"),
            rows("SELECT group_concat(id) FROM (SELECT id FROM accounts"
                 " WHERE left_roster_on IS NOT NULL ORDER BY id)"));
  EXPECT_EQ(gateway_->count_rows("revocations"), kDeleted);
  for (int i = 0; i < kDeleted; ++i) {
    EXPECT_TRUE(eventually([&] {
      return browsers[i]->get(gateway_->url() + "/auth/check").status == 401;
    })) << i;
  }
  EXPECT_EQ(browsers[kDeleted]->get(gateway_->url() + "/auth/check").status, 200);
  EXPECT_EQ(rows("SELECT count(*) FROM sessions WHERE account_id IN"
                 " (SELECT id FROM accounts WHERE left_roster_on IS NOT NULL)"),
            "0");
  EXPECT_EQ(rows("SELECT count(*) FROM sessions WHERE account_id = '" + stays + "'"), "1");
  gateway_->stop();
  expect_no_canary();
}

TEST_F(OneRosterSyncTest, MalformedUsersRowsAreRejectedByLineAndTheRestApplies) {
  const auto input = generate_bulk();
  // Line 3 (stu-1) has too few fields; line 4 (stu-2) has text after a closing quote.
  replace_line(set_dir() / "users.csv", 3, "stu-1,,2024-09-01T00:00:00Z,true");
  replace_line(set_dir() / "users.csv", 4,
               "\"stu-2\"x,,2024-09-01T00:00:00Z,true,sch-0,student,,,Ana,,,,,,,,,");
  start_gateway();
  const auto result = sync_run();
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(latest_run("outcome"), "succeeded");
  // A row the plugin refuses never becomes a user record: it counts under its file.
  EXPECT_EQ(count("users.csv", "rejected"), 2) << all_counts();
  EXPECT_EQ(count("users", "rejected"), 0) << all_counts();
  EXPECT_EQ(count("users", "created"), input.at("users") - 2);
  EXPECT_EQ(rows("SELECT group_concat(location) FROM (SELECT location FROM sync_rejections"
                 " WHERE location LIKE 'users.csv:%' ORDER BY seq)"),
            "users.csv:3,users.csv:4");
  EXPECT_NE(result.output.find("users.csv:3  "), std::string::npos) << result.output;
  // Their 4 enrollments each name a user who is not on the roster.
  EXPECT_EQ(count("enrollments", "rejected"), 8);
  EXPECT_EQ(count("enrollments", "created"), input.at("enrollments") - 8);
  EXPECT_EQ(gateway_->count_rows("accounts"), input.at("users") - 2);
  EXPECT_EQ(gateway_->count_rows("sections"), input.at("classes"));
  gateway_->stop();
  expect_no_canary();
}

TEST_F(OneRosterSyncTest, AManifestMarkingAPresentFileAbsentFailsTheRunAndAppliesNothing) {
  generate_bulk();
  const std::string manifest = read_file(set_dir() / "manifest.csv");
  const std::string marked = "file.demographics,bulk";
  const auto at = manifest.find(marked);
  ASSERT_NE(at, std::string::npos);
  write_file(set_dir() / "manifest.csv", manifest.substr(0, at) + "file.demographics,absent" +
                                             manifest.substr(at + marked.size()));
  start_gateway();
  const auto result = sync_run();
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_EQ(latest_run("outcome"), "failed");
  const std::string error = latest_run("error");
  EXPECT_NE(error.find("upstream_malformed"), std::string::npos) << error;
  EXPECT_NE(error.find("file.demographics"), std::string::npos) << error;
  EXPECT_EQ(latest_run("batches"), "0");
  EXPECT_NE(result.output.find("upstream_malformed"), std::string::npos) << result.output;
  EXPECT_EQ(gateway_->count_rows("accounts"), 0);
  EXPECT_EQ(gateway_->count_rows("sections"), 0);
  EXPECT_EQ(gateway_->count_rows("enrollments"), 0);
  gateway_->stop();
  expect_no_canary();
}

}  // namespace
}  // namespace lmsgw::testing
