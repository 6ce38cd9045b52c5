#include "lti_roles.h"

#include <gtest/gtest.h>

namespace lmsgw::plugins::lti13 {
namespace {

using sdk::Role;

constexpr std::string_view kMembership = "http://purl.imsglobal.org/vocab/lis/v2/membership#";
constexpr std::string_view kInstitution =
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#";

std::string membership(std::string_view name) {
  return std::string(kMembership) + std::string(name);
}
std::string institution(std::string_view name) {
  return std::string(kInstitution) + std::string(name);
}

struct Row {
  std::string uri;
  Role role;
};

TEST(LtiRolesTest, EachRoleUriMapsAsDocumented) {
  const Row table[] = {
      {membership("Learner"), Role::student},
      {membership("Instructor"), Role::teacher},
      {membership("ContentDeveloper"), Role::teacher},
      {membership("Administrator"), Role::staff},
      {membership("Mentor"), Role::guardian},
      {membership("Member"), Role::unknown},
      {membership("Manager"), Role::unknown},
      {membership("Officer"), Role::unknown},
      {"http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
       Role::teacher},
      {"http://purl.imsglobal.org/vocab/lis/v2/membership/Learner#NonCreditLearner", Role::student},
      {"http://purl.imsglobal.org/vocab/lis/v2/membership/Mentor#Advisor", Role::guardian},
      {"http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#", Role::unknown},
      {"http://purl.imsglobal.org/vocab/lis/v2/membership/Member#Anything", Role::unknown},
      {institution("Student"), Role::student},
      {institution("Learner"), Role::student},
      {institution("Faculty"), Role::teacher},
      {institution("Instructor"), Role::teacher},
      {institution("Staff"), Role::staff},
      {institution("Administrator"), Role::staff},
      {institution("Mentor"), Role::guardian},
      {institution("Guest"), Role::unknown},
      {institution("Alumni"), Role::unknown},
      {institution("Other"), Role::unknown},
      {"http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator", Role::unknown},
      {"http://purl.imsglobal.org/vocab/lis/v2/system/person#SysAdmin", Role::unknown},
      // Simple names are allowed for context roles only (LTI Core 1.3 A.2.3).
      {"Learner", Role::student},
      {"Instructor", Role::teacher},
      {"TeachingAssistant", Role::teacher},
      {"ContentDeveloper", Role::teacher},
      {"Administrator", Role::staff},
      {"Mentor", Role::guardian},
      {"Student", Role::unknown},
      {"Faculty", Role::unknown},
      // Near misses: case, scheme and prefix must be exact.
      {"http://purl.imsglobal.org/vocab/lis/v2/membership#learner", Role::unknown},
      {"https://purl.imsglobal.org/vocab/lis/v2/membership#Learner", Role::unknown},
      {"urn:lti:role:ims/lis/Instructor", Role::unknown},
      {"http://evil.example/membership#Instructor", Role::unknown},
      {"", Role::unknown},
  };
  for (const Row& row : table) {
    EXPECT_EQ(role_of_uri(row.uri), row.role) << row.uri;
  }
}

TEST(LtiRolesTest, TheMostRestrictiveRoleWins) {
  EXPECT_EQ(role_of({membership("Instructor"), membership("Learner")}), Role::student);
  EXPECT_EQ(role_of({institution("Faculty"), membership("Learner")}), Role::student);
  EXPECT_EQ(role_of({institution("Student"), membership("Instructor")}), Role::student);
  EXPECT_EQ(role_of({membership("Administrator"), membership("Instructor")}), Role::teacher);
  EXPECT_EQ(role_of({membership("Mentor"), institution("Staff")}), Role::staff);
  EXPECT_EQ(role_of({membership("Member"), membership("Mentor")}), Role::guardian);
}

TEST(LtiRolesTest, NoKnownRoleIsUnknown) {
  EXPECT_EQ(role_of({}), Role::unknown);
  EXPECT_EQ(role_of({membership("Member"), institution("Guest")}), Role::unknown);
}

}  // namespace
}  // namespace lmsgw::plugins::lti13
