#include "claims.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace lmsgw::plugins::google {
namespace {

using ::testing::Contains;
using ::testing::Key;
using ::testing::Not;
using ::testing::Pair;

OidcConfig restricted() {
  OidcConfig config;
  config.client_id = "client-1";
  config.hosted_domains = {"students.springfield.example", "staff.springfield.example"};
  config.domain_roles = {{"staff.springfield.example", sdk::Role::teacher}};
  return config;
}

sdk::Result<sdk::ExternalIdentity> identity(std::string_view json,
                                            const OidcConfig& config = restricted()) {
  return identity_from_claims(boost::json::parse(json).as_object(), config);
}

TEST(ClaimsTest, ReportsEveryClaimWithTheDomainAsProviderDistrict) {
  auto reported = identity(R"({"iss":"https://accounts.google.com","aud":"client-1",
    "azp":"client-1","sub":"1101","hd":"Students.Springfield.example",
    "email":"ana@students.springfield.example","email_verified":true,"name":"Ana Zzcanary",
    "given_name":"Ana","family_name":"Zzcanary","picture":"https://example.invalid/p.jpg",
    "locale":"en","birthdate":"2015-03-04","nonce":"n","exp":1,"iat":0,
    "address":{"street_address":"Zzstreet"}})");
  ASSERT_TRUE(reported.ok()) << reported.error().detail;
  EXPECT_EQ(reported->subject, "1101");
  EXPECT_EQ(reported->role, sdk::Role::student);
  EXPECT_EQ(reported->provider_district, "students.springfield.example");
  EXPECT_EQ(reported->given_name, "Ana");
  EXPECT_EQ(reported->family_name, "Zzcanary");
  EXPECT_EQ(reported->full_name, "Ana Zzcanary");
  EXPECT_EQ(reported->email, "ana@students.springfield.example");
  EXPECT_TRUE(reported->email_verified);
  EXPECT_EQ(reported->birthdate, (sdk::CivilDate{2015, 3, 4}));
  EXPECT_THAT(reported->extra, Contains(Pair("picture", "https://example.invalid/p.jpg")));
  EXPECT_THAT(reported->extra, Contains(Pair("locale", "en")));
  EXPECT_THAT(reported->extra, Contains(Pair("address.street_address", "Zzstreet")));
  EXPECT_THAT(reported->extra, Not(Contains(Key("nonce"))));
  EXPECT_THAT(reported->extra, Not(Contains(Key("sub"))));
}

TEST(ClaimsTest, RoleFollowsTheDomain) {
  auto teacher = identity(R"({"sub":"1","hd":"staff.springfield.example"})");
  ASSERT_TRUE(teacher.ok());
  EXPECT_EQ(teacher->role, sdk::Role::teacher);
}

TEST(ClaimsTest, ADomainNotAllowedIsNotPermitted) {
  auto other = identity(R"({"sub":"1","hd":"shelbyville.example"})");
  EXPECT_EQ(other.error().code, sdk::ErrorCode::not_permitted);
}

TEST(ClaimsTest, AnEmailThatLooksAllowedWithoutHdIsNotPermitted) {
  auto personal =
      identity(R"({"sub":"1","email":"ana@students.springfield.example","email_verified":true})");
  EXPECT_EQ(personal.error().code, sdk::ErrorCode::not_permitted);
}

TEST(ClaimsTest, WithoutADomainRuleHdIsOnlyReported) {
  OidcConfig open;
  open.client_id = "client-1";
  open.default_role = sdk::Role::guardian;
  auto reported = identity(R"({"sub":"1","hd":"anything.example","email_verified":"true",
                               "email":"p@anything.example"})",
                           open);
  ASSERT_TRUE(reported.ok()) << reported.error().detail;
  EXPECT_EQ(reported->role, sdk::Role::guardian);
  EXPECT_FALSE(reported->provider_district.has_value());
  EXPECT_TRUE(reported->email_verified);
  EXPECT_THAT(reported->extra, Contains(Pair("hd", "anything.example")));
}

TEST(ClaimsTest, UnverifiedOrAbsentEmailIsNeverMarkedVerified) {
  auto unverified = identity(R"({"sub":"1","hd":"students.springfield.example",
                                 "email":"a@students.springfield.example"})");
  ASSERT_TRUE(unverified.ok());
  EXPECT_FALSE(unverified->email_verified);
  auto no_email =
      identity(R"({"sub":"1","hd":"students.springfield.example","email_verified":true})");
  ASSERT_TRUE(no_email.ok());
  EXPECT_FALSE(no_email->email_verified);
}

TEST(ClaimsTest, MalformedClaimsAreRefused) {
  for (const char* json :
       {R"({"hd":"students.springfield.example"})",
        R"({"sub":"","hd":"students.springfield.example"})",
        R"({"sub":42,"hd":"students.springfield.example"})", R"({"sub":"1","hd":7})",
        R"({"sub":"1","hd":"students.springfield.example","email":["a"]})",
        R"({"sub":"1","hd":"students.springfield.example","given_name":{"x":1}})",
        R"({"sub":"1","hd":"students.springfield.example","email_verified":"yes"})",
        R"({"sub":"1","hd":"students.springfield.example","azp":"client-2"})",
        R"({"sub":"1","hd":"students.springfield.example","aud":["client-1","client-2"]})"}) {
    auto refused = identity(json);
    ASSERT_FALSE(refused.ok()) << json;
    EXPECT_EQ(refused.error().code, sdk::ErrorCode::upstream_malformed) << json;
  }
  EXPECT_FALSE(
      identity(R"({"sub":")" + std::string(256, 's') + R"(","hd":"students.springfield.example"})")
          .ok());
}

TEST(ClaimsTest, BirthdatesOnlyInTheStandardForm) {
  EXPECT_EQ(parse_birthdate("2015-03-04"), (sdk::CivilDate{2015, 3, 4}));
  EXPECT_FALSE(parse_birthdate("0000-03-04"));
  EXPECT_FALSE(parse_birthdate("2015-13-04"));
  EXPECT_FALSE(parse_birthdate("3/4/2015"));
  EXPECT_FALSE(parse_birthdate("2015-03-4"));
  auto unreadable =
      identity(R"({"sub":"1","hd":"students.springfield.example","birthdate":"March 2015"})");
  ASSERT_TRUE(unreadable.ok());
  EXPECT_FALSE(unreadable->birthdate);
  EXPECT_THAT(unreadable->extra, Contains(Pair("birthdate", "March 2015")));
}

}  // namespace
}  // namespace lmsgw::plugins::google
