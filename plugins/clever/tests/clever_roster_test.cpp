#include "clever_roster.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "clever_user.h"

namespace lmsgw::plugins::clever {
namespace {

using ::testing::ElementsAre;

constexpr std::string_view kDistrict = "6620aa00000000000000d001";

boost::json::object parse(std::string_view text) { return boost::json::parse(text).as_object(); }

constexpr std::string_view kStudent = R"({
  "id": "6620aa00000000000000b001", "district": "6620aa00000000000000d001",
  "email": "ana.canary@example.org", "name": {"first": "Ana", "last": "Diazcanary"},
  "roles": {"student": {"dob": "3/4/2015", "gender": "F", "sis_id": "S-CANARY-1"}}})";

sdk::RosterEnrollmentUpsert enrollment(std::string user, sdk::Role role) {
  return {"5ec0000000000000000000a1", std::move(user), role};
}

sdk::RosterRemoval left(std::string user) {
  return {sdk::RosterRecordKind::enrollment, "5ec0000000000000000000a1/" + std::move(user)};
}

TEST(CleverRoster, AUserIsReportedExactlyAsSignInReportsIt) {
  auto change = user_change(parse(kStudent), kDistrict);
  ASSERT_TRUE(change.ok()) << change.error().detail;
  auto signed_in = identity_from_user(parse(kStudent));
  ASSERT_TRUE(signed_in.ok());
  EXPECT_EQ(change->identity, *signed_in);
}

TEST(CleverRoster, AUserWithoutDistrictGetsTheTokensDistrictAndAForeignOneIsRejected) {
  auto bare = user_change(parse(R"({"id": "6620aa00000000000000b009", "roles": {"teacher": {}}})"),
                          kDistrict);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->identity.provider_district, kDistrict);

  auto foreign = user_change(parse(R"({"id": "6620aa00000000000000b009",
                                       "district": "6620aa00000000000000d999"})"),
                             kDistrict);
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().detail, "record belongs to another district");
  auto no_id = user_change(parse(R"({"name": {"first": "Ana"}})"), kDistrict);
  ASSERT_FALSE(no_id.ok());
  EXPECT_EQ(no_id.error().detail.find("Ana"), std::string::npos);
}

TEST(CleverRoster, ASectionBecomesASectionAndOneEnrollmentPerMember) {
  std::vector<sdk::RosterChange> out;
  auto done = section_changes(parse(R"({"id": "5ec0000000000000000000a1",
      "district": "6620aa00000000000000d001", "name": "Math 3 canary", "sis_id": "SEC-CANARY",
      "students": ["u2", "u1"], "teachers": ["t1"], "teacher": "t2"})"),
                              kDistrict, out);
  ASSERT_TRUE(done.ok()) << done.error().detail;
  EXPECT_THAT(out, ElementsAre(sdk::RosterChange(sdk::RosterSectionUpsert{
                                   "5ec0000000000000000000a1", std::string(kDistrict)}),
                               sdk::RosterChange(enrollment("t1", sdk::Role::teacher)),
                               sdk::RosterChange(enrollment("t2", sdk::Role::teacher)),
                               sdk::RosterChange(enrollment("u1", sdk::Role::student)),
                               sdk::RosterChange(enrollment("u2", sdk::Role::student))));
}

TEST(CleverRoster, ASectionWithABadMemberIsRejectedWhole) {
  std::vector<sdk::RosterChange> out;
  auto done = section_changes(
      parse(R"({"id": "5ec0000000000000000000a1", "students": ["u1", "../admin"]})"), kDistrict,
      out);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().detail, "section member id is not valid");
  EXPECT_TRUE(out.empty());
}

TEST(CleverRoster, UserEventsUpsertOrRemove) {
  std::vector<sdk::RosterChange> out;
  auto created = event_changes(
      parse(R"({"id": "e1", "type": "users.created", "data": {"object": )" +
            std::string(kStudent) + "}}"),
      kDistrict, out);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(*created, EventEffect::applied);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<sdk::RosterUserUpsert>(out[0]));

  out.clear();
  auto deleted = event_changes(parse(R"({"id": "e2", "type": "users.deleted",
      "data": {"object": {"id": "6620aa00000000000000b001"}}})"),
                               kDistrict, out);
  ASSERT_TRUE(deleted.ok());
  EXPECT_THAT(out, ElementsAre(sdk::RosterChange(sdk::RosterRemoval{
                       sdk::RosterRecordKind::user, "6620aa00000000000000b001"})));
}

TEST(CleverRoster, ASectionUpdateRemovesMembersListedOnlyInPreviousAttributes) {
  std::vector<sdk::RosterChange> out;
  auto updated = event_changes(parse(R"({"id": "e3", "type": "sections.updated", "data": {
      "object": {"id": "5ec0000000000000000000a1", "students": ["u1"], "teachers": ["t1"]},
      "previous_attributes": {"students": ["u1", "u9"]}}})"),
                               kDistrict, out);
  ASSERT_TRUE(updated.ok());
  EXPECT_THAT(out, ElementsAre(sdk::RosterChange(sdk::RosterSectionUpsert{
                                   "5ec0000000000000000000a1", std::string(kDistrict)}),
                               sdk::RosterChange(enrollment("t1", sdk::Role::teacher)),
                               sdk::RosterChange(enrollment("u1", sdk::Role::student)),
                               sdk::RosterChange(left("u9"))));
}

TEST(CleverRoster, ASectionDeletionRemovesItsEnrollmentsThenTheSection) {
  std::vector<sdk::RosterChange> out;
  auto deleted = event_changes(parse(R"({"id": "e4", "type": "sections.deleted", "data": {
      "object": {"id": "5ec0000000000000000000a1", "students": ["u1"]}}})"),
                               kDistrict, out);
  ASSERT_TRUE(deleted.ok());
  EXPECT_THAT(out, ElementsAre(sdk::RosterChange(left("u1")),
                               sdk::RosterChange(sdk::RosterRemoval{
                                   sdk::RosterRecordKind::section, "5ec0000000000000000000a1"})));
}

TEST(CleverRoster, ADistrictsDeletedEventRevokesTheDistrict) {
  std::vector<sdk::RosterChange> out;
  auto deleted = event_changes(parse(R"({"id": "e5", "type": "districts.deleted",
      "data": {"object": {"id": "6620aa00000000000000d001"}}})"),
                               kDistrict, out);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, EventEffect::district_revoked);
  EXPECT_THAT(out, ElementsAre(sdk::RosterChange(sdk::RosterDistrictRevoked{std::string(kDistrict)})));

  out.clear();
  auto other = event_changes(parse(R"({"id": "e6", "type": "districts.deleted",
      "data": {"object": {"id": "6620aa00000000000000d999"}}})"),
                             kDistrict, out);
  EXPECT_FALSE(other.ok());
  EXPECT_TRUE(out.empty());
}

TEST(CleverRoster, OtherEventsAreIgnoredAndBrokenOnesRejected) {
  std::vector<sdk::RosterChange> out;
  for (std::string_view type : {"schools.created", "terms.updated", "courses.deleted",
                                "districts.updated", "users.archived"}) {
    auto effect = event_changes(parse(R"({"id": "e7", "type": ")" + std::string(type) +
                                      R"(", "data": {"object": {"id": "x1"}}})"),
                                kDistrict, out);
    ASSERT_TRUE(effect.ok()) << type;
    EXPECT_EQ(*effect, EventEffect::ignored) << type;
  }
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(event_changes(parse(R"({"id": "e8", "type": "users.created"})"), kDistrict, out).ok());
  EXPECT_FALSE(event_changes(parse(R"({"id": "e9"})"), kDistrict, out).ok());
}

}  // namespace
}  // namespace lmsgw::plugins::clever
