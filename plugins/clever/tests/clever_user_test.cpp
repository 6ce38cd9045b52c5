#include "clever_user.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace lmsgw::plugins::clever {
namespace {

boost::json::object parse(std::string_view text) { return boost::json::parse(text).as_object(); }

constexpr std::string_view kStudent = R"({
  "id": "6620aa00000000000000b001", "district": "6620aa00000000000000d001",
  "email": "ana.canary@example.org",
  "name": {"first": "Ana", "middle": "Quincanary", "last": "Diazcanary"},
  "roles": {"student": {"dob": "3/4/2015", "gender": "F", "race": "Unknown",
            "sis_id": "S-CANARY-1", "state_id": "IL-CANARY", "grade": "3",
            "schools": ["6620aa00000000000000c001"], "credentials": {"district_username": "adiaz"}}}
})";

TEST(IdentityFromUser, ReportsTypedClaimsAndPutsEverythingElseInExtra) {
  auto identity = identity_from_user(parse(kStudent));
  ASSERT_TRUE(identity.ok()) << identity.error().detail;
  EXPECT_EQ(identity->subject, "6620aa00000000000000b001");
  EXPECT_EQ(identity->provider_district, "6620aa00000000000000d001");
  EXPECT_EQ(identity->role, sdk::Role::student);
  EXPECT_EQ(identity->given_name, "Ana");
  EXPECT_EQ(identity->middle_name, "Quincanary");
  EXPECT_EQ(identity->family_name, "Diazcanary");
  EXPECT_EQ(identity->email, "ana.canary@example.org");
  EXPECT_FALSE(identity->email_verified);
  EXPECT_EQ(identity->birthdate, (sdk::CivilDate{2015, 3, 4}));
  EXPECT_EQ(identity->extra.at("roles.student.gender"), "F");
  EXPECT_EQ(identity->extra.at("roles.student.sis_id"), "S-CANARY-1");
  EXPECT_EQ(identity->extra.at("roles.student.schools[0]"), "6620aa00000000000000c001");
  EXPECT_EQ(identity->extra.at("roles.student.credentials.district_username"), "adiaz");
}

TEST(IdentityFromUser, PicksTheMostRestrictiveRole) {
  auto both = identity_from_user(parse(R"({"id": "u1", "roles": {"teacher": {}, "student": {}}})"));
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->role, sdk::Role::student);

  auto staff = identity_from_user(parse(R"({"id": "u2", "roles": {"staff": {}}})"));
  EXPECT_EQ(staff->role, sdk::Role::staff);
  auto admin = identity_from_user(parse(R"({"id": "u3", "roles": {"district_admin": {}}})"));
  EXPECT_EQ(admin->role, sdk::Role::district_admin);
  auto contact = identity_from_user(parse(R"({"id": "u4", "roles": {"contact": {}}})"));
  EXPECT_EQ(contact->role, sdk::Role::guardian);
  auto none = identity_from_user(parse(R"({"id": "u5"})"));
  EXPECT_EQ(none->role, sdk::Role::unknown);
}

TEST(IdentityFromUser, RefusesARecordWithoutAUsableId) {
  EXPECT_EQ(identity_from_user(parse(R"({"name": {"first": "A"}})")).error().code,
            sdk::ErrorCode::upstream_malformed);
  EXPECT_FALSE(identity_from_user(parse(R"({"id": "../districts"})")).ok());
  EXPECT_FALSE(identity_from_user(parse(R"({"id": 42})")).ok());
}

TEST(IdentityFromUser, TreatsNullAndEmptyNamesAsAbsent) {
  auto identity = identity_from_user(
      parse(R"({"id": "u1", "email": null, "name": {"first": "", "last": null}})"));
  ASSERT_TRUE(identity.ok());
  EXPECT_FALSE(identity->given_name.has_value());
  EXPECT_FALSE(identity->family_name.has_value());
  EXPECT_FALSE(identity->email.has_value());
}

TEST(ParseCleverDob, AcceptsTheDocumentedShapeOnly) {
  EXPECT_EQ(parse_clever_dob("3/4/2015"), (sdk::CivilDate{2015, 3, 4}));
  EXPECT_EQ(parse_clever_dob("12/31/2010"), (sdk::CivilDate{2010, 12, 31}));
  EXPECT_EQ(parse_clever_dob("02/29/2016"), (sdk::CivilDate{2016, 2, 29}));
  EXPECT_FALSE(parse_clever_dob("2015-03-04").has_value());
  EXPECT_FALSE(parse_clever_dob("3/4/15").has_value());
  EXPECT_FALSE(parse_clever_dob("3/4/2015x").has_value());
  EXPECT_FALSE(parse_clever_dob("").has_value());
  EXPECT_FALSE(parse_clever_dob("123/4/2015").has_value());
}

TEST(IsSafeId, AllowsIdsAndRefusesPathTricks) {
  EXPECT_TRUE(is_safe_id("6620aa00000000000000b001"));
  EXPECT_FALSE(is_safe_id(""));
  EXPECT_FALSE(is_safe_id("a/b"));
  EXPECT_FALSE(is_safe_id(".."));
  EXPECT_FALSE(is_safe_id("a?b"));
  EXPECT_FALSE(is_safe_id(std::string(65, 'a')));
}

}  // namespace
}  // namespace lmsgw::plugins::clever
