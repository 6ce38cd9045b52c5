#include "directives/directive.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace lmsgw::directives {
namespace {

using ::testing::HasSubstr;

constexpr sdk::CivilDate kToday{2026, 3, 10};

std::string error_of(std::string_view document) {
  auto parsed = parse_directive(document, kToday);
  EXPECT_FALSE(parsed.ok()) << document;
  return parsed ? std::string() : parsed.error().detail;
}

TEST(DirectiveTest, ParsesEveryField) {
  auto parsed = parse_directive(
      R"({"after_leaving_roster_days": 30, "inactive_days": 365, "delete_all_by": "2027-06-30",
          "after_revocation_days": 0,
          "partial": [{"categories": ["section_memberships", "email_hashes"], "by": "asap"},
                      {"categories": ["sections"], "by": "2026-03-10"}]})",
      kToday);
  ASSERT_TRUE(parsed.ok()) << parsed.error().detail;
  EXPECT_EQ(parsed->after_leaving_roster_days, 30);
  EXPECT_EQ(parsed->inactive_days, 365);
  EXPECT_EQ(parsed->delete_all_by, (sdk::CivilDate{2027, 6, 30}));
  EXPECT_EQ(parsed->after_revocation_days, 0);
  ASSERT_EQ(parsed->partial.size(), 2u);
  EXPECT_EQ(parsed->partial[0].categories,
            (std::vector{store::DisposalCategory::section_memberships,
                         store::DisposalCategory::email_hashes}));
  EXPECT_FALSE(parsed->partial[0].by.has_value());
  EXPECT_EQ(parsed->partial[1].by, kToday);
}

TEST(DirectiveTest, CanonicalJsonRoundTrips) {
  auto parsed = parse_directive(
      R"({"partial": [{"by": "asap", "categories": ["accounts"]}], "inactive_days": 10})", kToday);
  ASSERT_TRUE(parsed.ok());
  const std::string canonical = directive_json(*parsed);
  EXPECT_EQ(canonical,
            R"({"inactive_days":10,"partial":[{"categories":["accounts"],"by":"asap"}]})");
  auto again = parse_stored_directive(canonical);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *parsed);
}

TEST(DirectiveTest, EmptyDirectiveIsValid) {
  auto parsed = parse_directive("{}", kToday);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, Directive{});
}

TEST(DirectiveTest, RefusesNegativeAndAbsurdDays) {
  EXPECT_THAT(error_of(R"({"inactive_days": -1})"), HasSubstr("inactive_days: must not be negative"));
  EXPECT_THAT(error_of(R"({"after_leaving_roster_days": 3651})"),
              HasSubstr("after_leaving_roster_days: more than 3650 days"));
  EXPECT_THAT(error_of(R"({"after_revocation_days": 1.5})"),
              HasSubstr("after_revocation_days: must be a whole number"));
  EXPECT_THAT(error_of(R"({"inactive_days": "30"})"), HasSubstr("inactive_days"));
  EXPECT_THAT(error_of(R"({"inactive_days": 18446744073709551615})"),
              HasSubstr("inactive_days: more than"));
}

TEST(DirectiveTest, RefusesUnknownFields) {
  EXPECT_THAT(error_of(R"({"inactive_days": 30, "keep_forever": true})"),
              HasSubstr("directive: keep_forever: unknown field"));
  EXPECT_THAT(error_of(R"({"partial": [{"categories": ["sections"], "when": "asap"}]})"),
              HasSubstr("partial[0].when: unknown field"));
}

TEST(DirectiveTest, RefusesUnknownAndRepeatedCategories) {
  EXPECT_THAT(error_of(R"({"partial": [{"categories": ["sections", "grades"]}]})"),
              HasSubstr("partial[0].categories[1]: unknown category (known: "));
  EXPECT_THAT(error_of(R"({"partial": [{"categories": ["sections", "sections"]}]})"),
              HasSubstr("partial[0].categories[1]: listed twice"));
  EXPECT_THAT(error_of(R"({"partial": [{"categories": []}]})"),
              HasSubstr("partial[0].categories: must be a non-empty list"));
  EXPECT_THAT(error_of(R"({"partial": [{"by": "asap"}]})"),
              HasSubstr("partial[0].categories: missing"));
}

TEST(DirectiveTest, RefusesPastAndMalformedDates) {
  EXPECT_THAT(error_of(R"({"delete_all_by": "2026-03-09"})"),
              HasSubstr("delete_all_by: date is in the past"));
  EXPECT_THAT(error_of(R"({"delete_all_by": "2026-02-30"})"),
              HasSubstr("delete_all_by: malformed date"));
  EXPECT_THAT(error_of(R"({"delete_all_by": "30/06/2027"})"),
              HasSubstr("delete_all_by: malformed date"));
  EXPECT_THAT(error_of(R"({"delete_all_by": "2300-01-01"})"), HasSubstr("date after 2200"));
  EXPECT_THAT(error_of(R"({"partial": [{"categories": ["sections"], "by": "2020-01-01"}]})"),
              HasSubstr("partial[0].by: date is in the past"));
  // A stored directive keeps its dates after they pass.
  EXPECT_TRUE(parse_stored_directive(R"({"delete_all_by": "2020-01-01"})").ok());
}

TEST(DirectiveTest, RefusesOversizedAndMalformedDocuments) {
  const std::string big = R"({"inactive_days": 1)" + std::string(kMaxDirectiveBytes, ' ') + "}";
  auto parsed = parse_directive(big, kToday);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, sdk::ErrorCode::limit_exceeded);
  EXPECT_THAT(error_of("[1]"), HasSubstr("document: must be a JSON object"));
  EXPECT_THAT(error_of("{\"inactive_days\": "), HasSubstr("document: not valid JSON"));
  std::string many = R"({"partial": [)";
  for (std::size_t i = 0; i <= kMaxPartialEntries; ++i) {
    many += std::string(i ? "," : "") + R"({"categories": ["sections"]})";
  }
  EXPECT_THAT(error_of(many + "]}"), HasSubstr("partial: more than 16 entries"));
}

TEST(DirectiveTest, EffectiveDirectiveFallsBackToDefaults) {
  const RetentionDefaults defaults{365, 0};
  const Directive none = effective_directive(std::nullopt, defaults);
  EXPECT_EQ(none.inactive_days, 365);
  EXPECT_EQ(none.after_revocation_days, 0);
  Directive own;
  own.inactive_days = 30;
  own.after_revocation_days = 60;
  const Directive kept = effective_directive(own, defaults);
  EXPECT_EQ(kept.inactive_days, 30);
  EXPECT_EQ(kept.after_revocation_days, 60);
}

}  // namespace
}  // namespace lmsgw::directives
