#include "facebook_profile.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace lmsgw::plugins::facebook {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

boost::json::object object_of(std::string_view text) {
  return boost::json::parse(text).as_object();
}

TEST(FacebookProfileTest, MapsTheMinimalAnswer) {
  auto identity = identity_from_me(object_of(R"({"id":"10215241773831025","first_name":"Pat"})"),
                                   sdk::Role::guardian);
  ASSERT_TRUE(identity.ok()) << identity.error().detail;
  EXPECT_EQ(identity->subject, "10215241773831025");
  EXPECT_EQ(identity->role, sdk::Role::guardian);
  EXPECT_EQ(identity->given_name, "Pat");
  EXPECT_FALSE(identity->provider_district);
  EXPECT_FALSE(identity->birthdate);
  EXPECT_FALSE(identity->email);
  EXPECT_TRUE(identity->extra.empty());
}

TEST(FacebookProfileTest, ReportsEverythingElseFaithfullyAndNeverVouchesForTheEmail) {
  auto identity = identity_from_me(
      object_of(R"({"id":"42","first_name":"Pat","last_name":"Lee","name":"Pat Lee",
                    "email":"pat@example.org","birthday":"01/02/1980","gender":"x",
                    "picture":{"data":{"url":"https://pics.example/p.jpg","is_silhouette":false}},
                    "location":{"id":"7","name":"Springfield"},"link":null,
                    "age_range":{"min":21}})"),
      sdk::Role::teacher);
  ASSERT_TRUE(identity.ok()) << identity.error().detail;
  EXPECT_EQ(identity->family_name, "Lee");
  EXPECT_EQ(identity->full_name, "Pat Lee");
  EXPECT_EQ(identity->email, "pat@example.org");
  EXPECT_FALSE(identity->email_verified);
  EXPECT_EQ(identity->extra.at("birthday"), "01/02/1980");
  EXPECT_EQ(identity->extra.at("gender"), "x");
  EXPECT_EQ(identity->extra.at("picture.data.url"), "https://pics.example/p.jpg");
  EXPECT_EQ(identity->extra.at("picture.data.is_silhouette"), "false");
  EXPECT_EQ(identity->extra.at("location.name"), "Springfield");
  EXPECT_EQ(identity->extra.at("age_range.min"), "21");
  EXPECT_FALSE(identity->extra.contains("link"));
  EXPECT_FALSE(identity->extra.contains("first_name"));
}

TEST(FacebookProfileTest, RefusesAnAnswerWithoutAUsableId) {
  for (const char* body :
       {R"({"first_name":"Pat"})", R"({"id":42})", R"({"id":""})", R"({"id":"../me"})",
        R"({"id":"12 34"})", R"({"id":"123456789012345678901234567890123"})"}) {
    auto identity = identity_from_me(object_of(body), sdk::Role::teacher);
    ASSERT_FALSE(identity.ok()) << body;
    EXPECT_EQ(identity.error().code, sdk::ErrorCode::upstream_malformed) << body;
  }
}

TEST(FacebookProfileTest, RefusesTypedFieldsOfTheWrongTypeOrSize) {
  auto number = identity_from_me(object_of(R"({"id":"1","first_name":7})"), sdk::Role::teacher);
  EXPECT_EQ(number.error().code, sdk::ErrorCode::upstream_malformed);
  EXPECT_EQ(number.error().detail, "/me field first_name is not a string");

  const std::string long_name = R"({"id":"1","first_name":")" + std::string(300, 'a') + "\"}";
  auto too_long = identity_from_me(object_of(long_name), sdk::Role::teacher);
  EXPECT_EQ(too_long.error().code, sdk::ErrorCode::limit_exceeded);
  EXPECT_THAT(too_long.error().detail, Not(HasSubstr("aaaa")));

  std::string many = R"({"id":"1")";
  for (int i = 0; i < 70; ++i) many += ",\"f" + std::to_string(i) + "\":\"v\"";
  auto crowded = identity_from_me(object_of(many + "}"), sdk::Role::teacher);
  EXPECT_EQ(crowded.error().code, sdk::ErrorCode::limit_exceeded);
}

TEST(FacebookProfileTest, FlatteningStopsAtASmallDepth) {
  auto identity = identity_from_me(
      object_of(R"({"id":"1","a":{"b":{"c":{"d":"deep enough","e":{"f":"too deep"}}}}})"),
      sdk::Role::teacher);
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(identity->extra.at("a.b.c.d"), "deep enough");
  EXPECT_FALSE(identity->extra.contains("a.b.c.e.f"));
}

TEST(FacebookProfileTest, GraphErrorSummaryKeepsOnlyTheNumbers) {
  EXPECT_EQ(graph_error_summary(R"({"error":{"message":"Invalid appsecret_proof for token EAAB",)"
                                R"("type":"GraphMethodException","code":100,"fbtrace_id":"AbC"}})"),
            " (Graph error code 100)");
  EXPECT_EQ(
      graph_error_summary(R"({"error":{"message":"Session has expired","type":"OAuthException",)"
                          R"("code":190,"error_subcode":463}})"),
      " (Graph error code 190, subcode 463)");
  EXPECT_EQ(graph_error_summary("<html>bad gateway</html>"), "");
  EXPECT_EQ(graph_error_summary(R"({"error":"invalid_grant"})"), "");
  EXPECT_EQ(graph_error_summary(R"({"error":{"code":"190"}})"), "");
}

TEST(FacebookProfileTest, AppScopedIdsAreDigits) {
  EXPECT_TRUE(is_app_scoped_id("10215241773831025"));
  EXPECT_FALSE(is_app_scoped_id(""));
  EXPECT_FALSE(is_app_scoped_id("1e5"));
  EXPECT_FALSE(is_app_scoped_id("-1"));
}

}  // namespace
}  // namespace lmsgw::plugins::facebook
