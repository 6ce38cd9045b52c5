#include "oneroster_sync.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "test_files.h"

namespace lmsgw::plugins::oneroster {
namespace {

using sdk::RosterChange;
using sdk::RosterEnrollmentUpsert;
using sdk::RosterRecordKind;
using sdk::RosterRemoval;
using sdk::RosterSectionUpsert;
using sdk::RosterUserUpsert;
using testing::TempFolder;

// Canaries in every field the gateway must not keep; none may appear in a rejection reason.
const std::vector<std::string> kCanaries = {"Zzfamilycanary", "Zzmiddlecanary", "zz.canary@x.org",
                                            "zzusernamecanary", "ZZSISCANARY", "zzpasswordcanary",
                                            "5550100", "ZzbirthCanary", "ZzscoreCanary"};

std::string orgs() {
  return std::string(testing::kOrgsHeader) +
         "d1,,,Canary District,district,,\n"
         "s1,,,North School,school,,d1\n"
         "s2,,,South School,school,,d1\n";
}

std::string users() {
  return std::string(testing::kUsersHeader) +
         "u1,,,true,s1,student,zzusernamecanary,\"{LDAP:zzusernamecanary}\",Ana,Zzfamilycanary,"
         "Zzmiddlecanary,ZZSISCANARY,zz.canary@x.org,5550100,5550100,g1,03,zzpasswordcanary\n"
         "t1,active,,true,\"s2,s1\",teacher,,,Rosa,Lee,,,rosa@school.org,,,,,\n"
         "g1,,,true,s1,parent,,,Gil,Ng,,,,,,,,\n"
         "a1,,,true,d1,administrator,,,Al,Bo,,,,,,,,\n";
}

std::string classes() {
  return std::string(testing::kClassesHeader) +
         "c1,,,Math,03,co1,M3,scheduled,R1,s1,term1,math,,1\n"
         "c2,,,Homeroom,03,co2,H3,homeroom,R2,s2,term1,,,\n";
}

std::string enrollments() {
  return std::string(testing::kEnrollmentsHeader) +
         "e1,,,c1,s1,u1,student,false,,\n"
         "e2,,,c1,s1,t1,teacher,true,,\n"
         "e3,,,c2,s2,u1,student,,,\n";
}

void write_bulk_set(const TempFolder& folder) {
  folder.write("manifest.csv", testing::manifest({{"orgs.csv", "bulk"},
                                                  {"users.csv", "bulk"},
                                                  {"classes.csv", "bulk"},
                                                  {"enrollments.csv", "bulk"},
                                                  {"demographics.csv", "bulk"},
                                                  {"results.csv", "bulk"},
                                                  {"lineItems.csv", "bulk"}}));
  folder.write("orgs.csv", orgs());
  folder.write("users.csv", users());
  folder.write("classes.csv", classes());
  folder.write("enrollments.csv", enrollments());
  // Not CSV at all: reading them would produce rejections, and their canaries would surface.
  folder.write("demographics.csv", "\"ZzbirthCanary,\xFF\xFE\n\"unclosed");
  folder.write("results.csv", "ZzscoreCanary\"\"\",\xC0\n");
  folder.write("lineItems.csv", "ZzscoreCanary\n");
  folder.write("notes.txt", "ZZSISCANARY");
}

struct RunResult {
  std::vector<sdk::SyncBatch> batches;
  std::vector<RosterChange> changes;
  std::vector<sdk::RejectedRecord> rejected;
};

RunResult run(OneRosterSync& sync, std::string cursor = {}, bool full = false) {
  RunResult result;
  for (int guard = 0; guard < 1000; ++guard) {
    auto batch = sync.next_batch({cursor, full});
    EXPECT_TRUE(batch.ok()) << batch.error().detail;
    if (!batch.ok()) break;
    result.changes.insert(result.changes.end(), batch->changes.begin(), batch->changes.end());
    result.rejected.insert(result.rejected.end(), batch->rejected.begin(), batch->rejected.end());
    cursor = batch->next_cursor;
    full = false;
    result.batches.push_back(std::move(*batch));
    if (result.batches.back().finished) break;
  }
  return result;
}

OneRosterSync make_sync(const std::filesystem::path& path, std::size_t batch_size = 5000,
                        std::optional<std::string> version = std::nullopt) {
  return OneRosterSync(OneRosterConfig{path.string(), std::move(version), batch_size});
}

std::vector<RosterChange> expected_bulk_changes() {
  sdk::ExternalIdentity ana;
  ana.subject = "u1";
  ana.role = sdk::Role::student;
  ana.provider_district = "d1";
  ana.given_name = "Ana";
  ana.middle_name = "Zzmiddlecanary";
  ana.family_name = "Zzfamilycanary";
  ana.email = "zz.canary@x.org";
  ana.extra = {{"enabledUser", "true"},
               {"orgSourcedIds", "s1"},
               {"username", "zzusernamecanary"},
               {"userIds", "{LDAP:zzusernamecanary}"},
               {"identifier", "ZZSISCANARY"},
               {"sms", "5550100"},
               {"phone", "5550100"},
               {"agentSourcedIds", "g1"},
               {"grades", "03"},
               {"password", "zzpasswordcanary"}};
  sdk::ExternalIdentity rosa;
  rosa.subject = "t1";
  rosa.role = sdk::Role::teacher;
  rosa.provider_district = "d1";
  rosa.given_name = "Rosa";
  rosa.family_name = "Lee";
  rosa.email = "rosa@school.org";
  rosa.extra = {{"status", "active"}, {"enabledUser", "true"}, {"orgSourcedIds", "s2,s1"}};
  sdk::ExternalIdentity gil;
  gil.subject = "g1";
  gil.role = sdk::Role::guardian;
  gil.provider_district = "d1";
  gil.given_name = "Gil";
  gil.family_name = "Ng";
  gil.extra = {{"enabledUser", "true"}, {"orgSourcedIds", "s1"}};
  sdk::ExternalIdentity al;
  al.subject = "a1";
  al.role = sdk::Role::staff;
  al.provider_district = "d1";
  al.given_name = "Al";
  al.family_name = "Bo";
  al.extra = {{"enabledUser", "true"}, {"orgSourcedIds", "d1"}};
  return {RosterUserUpsert{ana},
          RosterUserUpsert{rosa},
          RosterUserUpsert{gil},
          RosterUserUpsert{al},
          RosterSectionUpsert{"c1", "d1"},
          RosterSectionUpsert{"c2", "d1"},
          RosterEnrollmentUpsert{"c1", "u1", sdk::Role::student},
          RosterEnrollmentUpsert{"c1", "t1", sdk::Role::teacher},
          RosterEnrollmentUpsert{"c2", "u1", sdk::Role::student}};
}

TEST(OneRosterSyncTest, BulkSetIsASnapshotOfUsersSectionsAndEnrollments) {
  TempFolder folder;
  write_bulk_set(folder);
  auto sync = make_sync(folder.path());
  RunResult result = run(sync);
  ASSERT_EQ(result.batches.size(), 1u);
  const sdk::SyncBatch& batch = result.batches[0];
  EXPECT_TRUE(batch.finished);
  EXPECT_TRUE(batch.snapshot);
  EXPECT_EQ(batch.changes, expected_bulk_changes());
  EXPECT_TRUE(batch.rejected.empty());
  const std::map<std::string, std::uint64_t> discarded = {{"demographics.csv", 1},
                                                          {"results.csv", 1},
                                                          {"lineItems.csv", 1},
                                                          {"other files", 1}};
  EXPECT_EQ(batch.discarded, discarded);
}

TEST(OneRosterSyncTest, AZipReadsLikeTheFolder) {
  TempFolder folder;
  write_bulk_set(folder);
  TempFolder out;
  folder.zip_to(out.path() / "roster.zip");
  auto sync = make_sync(out.path() / "roster.zip", 2);
  RunResult result = run(sync);
  EXPECT_EQ(result.changes, expected_bulk_changes());
  EXPECT_TRUE(result.rejected.empty());
  EXPECT_EQ(result.batches[0].discarded.at("results.csv"), 1u);
  for (const auto& batch : result.batches) EXPECT_TRUE(batch.snapshot);
}

TEST(OneRosterSyncTest, EveryCursorResumesExactlyInAFreshInstance) {
  TempFolder folder;
  write_bulk_set(folder);
  // A duplicate and a disabled user, so that resuming must remember what came before.
  folder.write("users.csv", users() + "x1,,,false,s1,student,,,Xa,Ya,,,,,,,,\n");
  folder.write("enrollments.csv", enrollments() + "e1,,,c2,s2,t1,teacher,,,\n" +
                                      "e4,,,c2,s2,x1,student,,,\n");
  for (const std::string zip : {"", "roster.zip"}) {
    TempFolder out;
    std::filesystem::path path = folder.path();
    if (!zip.empty()) {
      folder.zip_to(out.path() / zip);
      path = out.path() / zip;
    }
    auto whole_sync = make_sync(path);
    const RunResult whole = run(whole_sync);
    ASSERT_EQ(whole.rejected.size(), 2u);
    EXPECT_EQ(whole.rejected[0].location, "enrollments.csv:5");
    EXPECT_EQ(whole.rejected[0].reason, "duplicate sourcedId in this file");
    EXPECT_EQ(whole.rejected[1].location, "enrollments.csv:6");
    EXPECT_EQ(whole.rejected[1].reason, "the user is disabled or deleted in this file set");

    auto stepping = make_sync(path, 1);
    const RunResult steps = run(stepping);
    EXPECT_EQ(steps.changes, whole.changes);
    EXPECT_EQ(steps.rejected, whole.rejected);
    for (std::size_t i = 0; i + 1 < steps.batches.size(); ++i) {
      auto fresh = make_sync(path, 1);
      const RunResult rest = run(fresh, steps.batches[i].next_cursor);
      std::vector<RosterChange> expected;
      std::vector<sdk::RejectedRecord> expected_rejected;
      for (std::size_t k = i + 1; k < steps.batches.size(); ++k) {
        expected.insert(expected.end(), steps.batches[k].changes.begin(),
                        steps.batches[k].changes.end());
        expected_rejected.insert(expected_rejected.end(), steps.batches[k].rejected.begin(),
                                 steps.batches[k].rejected.end());
      }
      EXPECT_EQ(rest.changes, expected) << "resumed after batch " << i;
      EXPECT_EQ(rest.rejected, expected_rejected) << "resumed after batch " << i;
      EXPECT_TRUE(rest.batches.back().finished);
    }
  }
}

TEST(OneRosterSyncTest, DeltaSetReportsRemovalsAndIsNoSnapshot) {
  TempFolder folder;
  folder.write("manifest.csv", testing::manifest({{"users.csv", "delta"},
                                                  {"classes.csv", "delta"},
                                                  {"enrollments.csv", "delta"}}));
  folder.write("users.csv", std::string(testing::kUsersHeader) +
                                "u1,tobedeleted,2024-09-02T12:00:00Z,true,s1,student,,,Ana,Diaz,,,,,,,,\n"
                                "u2,active,2024-09-02T12:00:00Z,true,s1,student,,,Bo,Diaz,,,,,,,,\n"
                                "u3,,2024-09-02T12:00:00Z,true,s1,student,,,Cy,Diaz,,,,,,,,\n");
  folder.write("classes.csv", std::string(testing::kClassesHeader) +
                                  "c1,tobedeleted,2024-09-02T12:00:00Z,Math,,,,,,s1,,,,\n");
  folder.write("enrollments.csv", std::string(testing::kEnrollmentsHeader) +
                                      "e1,tobedeleted,2024-09-02T12:00:00Z,c1,s1,u1,student,,,\n"
                                      "e2,active,2024-09-02T12:00:00Z,c2,s1,u1,student,,,\n"
                                      "e3,active,2024-09-02T12:00:00Z,c2,s1,u2,student,,,\n");
  auto sync = make_sync(folder.path());
  RunResult result = run(sync);
  ASSERT_EQ(result.batches.size(), 1u);
  EXPECT_FALSE(result.batches[0].snapshot);
  ASSERT_EQ(result.changes.size(), 5u);
  EXPECT_EQ(result.changes[0], (RosterChange{RosterRemoval{RosterRecordKind::user, "u1"}}));
  EXPECT_TRUE(std::holds_alternative<RosterUserUpsert>(result.changes[1]));
  EXPECT_EQ(result.changes[2], (RosterChange{RosterRemoval{RosterRecordKind::section, "c1"}}));
  EXPECT_EQ(result.changes[3],
            (RosterChange{RosterRemoval{RosterRecordKind::enrollment, "c1/u1"}}));
  EXPECT_EQ(result.changes[4],
            (RosterChange{RosterEnrollmentUpsert{"c2", "u2", sdk::Role::student}}));
  const std::vector<sdk::RejectedRecord> rejected = {
      {"users.csv:4", "status is required in a delta file"},
      {"enrollments.csv:3", "the user is disabled or deleted in this file set"}};
  EXPECT_EQ(result.rejected, rejected);
}

TEST(OneRosterSyncTest, BadRowsAreRejectedWithLocationAndReasonButNoValue) {
  TempFolder folder;
  write_bulk_set(folder);
  folder.write("users.csv",
               users() +
                   "u9,,,true,s1,wizard,,,Zzfamilycanary,Zzfamilycanary,,,,,,,,\n"   // line 6
                   "u8,,,maybe,s1,student,,,A,Zzfamilycanary,,,,,,,,\n"               // line 7
                   "u1,,,true,s1,student,,,A,Zzfamilycanary,,,,,,,,\n"                // line 8
                   "u7,,,true,s1,student,,,A,Zzfamilycanary\n"                        // line 9
                   "u6,,,true,s1,student,,,A,Zz\"familycanary,,,,,,,,\n"              // line 10
                   "u5,,,true,s1,student,,,\xC3(,Zzfamilycanary,,,,,,,,\n"            // line 11
                   ",,,true,s1,student,,,A,Zzfamilycanary,,,,,,,,\n"                  // line 12
                   "u4,deleted,,true,s1,student,,,A,Zzfamilycanary,,,,,,,,\n"         // line 13
                   "u3,,,false,s1,student,,,A,Zzfamilycanary,,,,,,,,\n");             // line 14
  folder.write("classes.csv", classes() + "c3,,,Art,,,,lecture,,s1,,,,\n");
  folder.write("enrollments.csv",
               enrollments() + "e9,,,c1,s1,u1,principal,,,\ne8,,,c1,s1,u1,student,sometimes,,\n"
                               "e7,,,,s1,u1,student,,,\n");
  folder.write("orgs.csv", orgs() + "s9,,,Odd,campus,,d1\n");
  auto sync = make_sync(folder.path());
  RunResult result = run(sync);
  const std::vector<sdk::RejectedRecord> expected = {
      {"orgs.csv:5", "type is not a OneRoster org type"},
      {"users.csv:6", "role is not a OneRoster user role"},
      {"users.csv:7", "enabledUser is not true or false"},
      {"users.csv:8", "duplicate sourcedId in this file"},
      {"users.csv:9", "expected 18 fields, found 10"},
      {"users.csv:10", "bad quoting"},
      {"users.csv:11", "invalid UTF-8"},
      {"users.csv:12", "sourcedId is empty"},
      {"users.csv:13", "status is not active or tobedeleted"},
      {"classes.csv:4", "classType is not homeroom or scheduled"},
      {"enrollments.csv:5", "role is not a OneRoster enrollment role"},
      {"enrollments.csv:6", "primary is not true or false"},
      {"enrollments.csv:7", "classSourcedId is empty"},
  };
  EXPECT_EQ(result.rejected, expected);
  // Good rows around the bad ones still apply; the disabled user leaves the roster.
  EXPECT_EQ(std::count_if(result.changes.begin(), result.changes.end(),
                          [](const RosterChange& c) {
                            return std::holds_alternative<RosterUserUpsert>(c);
                          }),
            4);
  EXPECT_EQ(result.changes[4], (RosterChange{RosterRemoval{RosterRecordKind::user, "u3"}}));
  for (const auto& rejected : result.rejected) {
    for (const auto& canary : kCanaries) EXPECT_EQ(rejected.reason.find(canary), std::string::npos);
  }
}

TEST(OneRosterSyncTest, AFileMissingARequiredColumnFailsTheRunBeforeAnythingApplies) {
  TempFolder folder;
  write_bulk_set(folder);
  folder.write("enrollments.csv", "sourcedId,status,dateLastModified,classSourcedId,role\n");
  auto sync = make_sync(folder.path());
  auto batch = sync.next_batch({});
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error().code, sdk::ErrorCode::upstream_malformed);
  EXPECT_EQ(batch.error().detail, "enrollments.csv: missing required column userSourcedId");

  folder.write("enrollments.csv", "sourcedId,status,sourcedId\n");
  EXPECT_EQ(sync.next_batch({}).error().detail,
            "enrollments.csv: a column name appears twice in the header");
}

TEST(OneRosterSyncTest, ABadManifestOrAnUnexpectedVersionFailsTheRun) {
  TempFolder folder;
  write_bulk_set(folder);
  folder.write("courses.csv", "x");
  auto sync = make_sync(folder.path());
  auto batch = sync.next_batch({});
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error().detail,
            "manifest.csv: file.courses: is absent but courses.csv is in the set");
  folder.remove("courses.csv");

  auto pinned = make_sync(folder.path(), 5000, "1.2");
  EXPECT_EQ(pinned.next_batch({}).error().detail,
            "manifest.csv: oneroster.version: is not the version this connection expects");

  auto missing = make_sync(folder.path() / "nope");
  EXPECT_EQ(missing.next_batch({}).error().code, sdk::ErrorCode::upstream_unavailable);
}

TEST(OneRosterSyncTest, OneRoster12UsersWithoutARoleColumnAreRefused) {
  TempFolder folder;
  folder.write("manifest.csv", testing::manifest({{"users.csv", "bulk"}}, "1.2"));
  folder.write("users.csv",
               "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,"
               "familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,"
               "userMasterIdentifier,resourceSourcedIds,preferredGivenName,preferredMiddleName,"
               "preferredFamilyName,primaryOrgSourcedId,pronouns\n");
  auto sync = make_sync(folder.path());
  auto batch = sync.next_batch({});
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error().detail.rfind("users.csv: missing column role", 0), 0u);
}

TEST(OneRosterSyncTest, OneRoster12ColumnsAreMappedByName) {
  TempFolder folder;
  folder.write("manifest.csv",
               testing::manifest({{"users.csv", "bulk"}, {"orgs.csv", "bulk"}}, "1.2"));
  folder.write("orgs.csv", orgs());
  // Columns in another order, a role column kept by the exporter, and 1.2 extras.
  folder.write("users.csv",
               "role,sourcedId,givenName,familyName,status,dateLastModified,enabledUser,"
               "primaryOrgSourcedId,preferredGivenName,metadata.zz\n"
               "student,u1,Ana,Zzfamilycanary,,,true,s2,Annie,ZZSISCANARY\n");
  auto sync = make_sync(folder.path());
  RunResult result = run(sync);
  ASSERT_EQ(result.changes.size(), 1u);
  const auto& identity = std::get<RosterUserUpsert>(result.changes[0]).identity;
  EXPECT_EQ(identity.subject, "u1");
  EXPECT_EQ(identity.provider_district, "d1");
  EXPECT_EQ(identity.family_name, "Zzfamilycanary");
  EXPECT_EQ(identity.extra.at("preferredGivenName"), "Annie");
  EXPECT_EQ(identity.extra.at("metadata.zz"), "ZZSISCANARY");
  EXPECT_FALSE(result.batches[0].snapshot);  // classes and enrollments absent
}

TEST(OneRosterSyncTest, AnUnchangedSetIsNotReadAgainUnlessAFullReadIsAsked) {
  TempFolder folder;
  write_bulk_set(folder);
  auto sync = make_sync(folder.path());
  const RunResult first = run(sync);
  const std::string done = first.batches.back().next_cursor;

  auto again = sync.next_batch({done, false});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->finished);
  EXPECT_FALSE(again->snapshot);
  EXPECT_TRUE(again->changes.empty());
  EXPECT_EQ(again->next_cursor, done);

  const RunResult full = run(sync, done, true);
  EXPECT_EQ(full.changes, expected_bulk_changes());
  EXPECT_TRUE(full.batches[0].snapshot);

  folder.write("classes.csv", classes() + "c3,,,Art,,,,,,s2,,,,\n");
  const RunResult changed = run(sync, done);
  EXPECT_EQ(changed.changes.size(), expected_bulk_changes().size() + 1);
}

TEST(OneRosterSyncTest, ACursorOfAnotherFileSetStartsOver) {
  TempFolder folder;
  write_bulk_set(folder);
  auto stepping = make_sync(folder.path(), 2);
  auto first = stepping.next_batch({});
  ASSERT_TRUE(first.ok());
  folder.write("users.csv", users() + "u5,,,true,s1,student,,,Eva,Moe,,,,,,,,\n");
  auto fresh = make_sync(folder.path());
  const RunResult rest = run(fresh, first->next_cursor);
  EXPECT_EQ(rest.changes.size(), expected_bulk_changes().size() + 1);
  EXPECT_EQ(rest.batches[0].discarded.at("demographics.csv"), 1u);

  auto garbage = make_sync(folder.path());
  EXPECT_EQ(run(garbage, "oneroster.v1;zz;9;9;9").changes.size(),
            expected_bulk_changes().size() + 1);
}

}  // namespace
}  // namespace lmsgw::plugins::oneroster
