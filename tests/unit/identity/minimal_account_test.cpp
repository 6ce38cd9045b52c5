#include "identity/minimal_account.h"

#include <gtest/gtest.h>

#include <vector>

namespace lmsgw::identity {
namespace {

using sdk::CivilDate;

CivilDate next_day(CivilDate date) {
  const bool leap = (date.year % 4 == 0 && date.year % 100 != 0) || date.year % 400 == 0;
  const unsigned days[] = {31, leap ? 29u : 28u, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (date.day < days[date.month - 1]) return {date.year, date.month, date.day + 1};
  if (date.month < 12) return {date.year, date.month + 1, 1};
  return {date.year + 1, 1, 1};
}

TEST(AccountRoleText, RoundTripsEveryRole) {
  for (AccountRole role :
       {AccountRole::student, AccountRole::teacher, AccountRole::district_admin}) {
    EXPECT_EQ(account_role_from_string(to_string(role)), role);
  }
  EXPECT_EQ(to_string(AccountRole::district_admin), "district_admin");
  EXPECT_EQ(account_role_from_string("staff"), std::nullopt);
  EXPECT_EQ(account_role_from_string("Student"), std::nullopt);
  EXPECT_EQ(account_role_from_string(""), std::nullopt);
}

TEST(WholeYearsBetween, CountsAnniversaries) {
  EXPECT_EQ(whole_years_between({2020, 5, 10}, {2020, 5, 10}), 0);
  EXPECT_EQ(whole_years_between({2020, 5, 10}, {2021, 5, 9}), 0);
  EXPECT_EQ(whole_years_between({2020, 5, 10}, {2021, 5, 10}), 1);
  EXPECT_EQ(whole_years_between({2020, 2, 29}, {2021, 2, 28}), 0);
  EXPECT_EQ(whole_years_between({2020, 2, 29}, {2021, 3, 1}), 1);
  EXPECT_EQ(whole_years_between({2020, 5, 10}, {2020, 5, 9}), std::nullopt);
  EXPECT_EQ(whole_years_between({2020, 2, 30}, {2021, 5, 9}), std::nullopt);
  EXPECT_EQ(whole_years_between({2020, 1, 1}, {2021, 13, 1}), std::nullopt);
}

TEST(AgeBand, TextForms) {
  EXPECT_EQ(to_string(AgeBand::under13), "under13");
  EXPECT_EQ(to_string(AgeBand::thirteen_plus), "13plus");
}

TEST(AgeBand, UnknownAgeIsUnder13AndNeverThirteenPlus) {
  EXPECT_EQ(age_band(std::nullopt, {2024, 1, 1}), AgeBand::under13);
  EXPECT_EQ(age_band(std::nullopt, {2099, 1, 1}), AgeBand::under13);
  EXPECT_EQ(thirteen_plus_from(std::nullopt), std::nullopt);
}

TEST(AgeBand, TwelveBecomesThirteenPlusOnTheAnniversaryOfComputation) {
  const AgeRecord age{12, {2024, 9, 3}};
  EXPECT_EQ(age_band(age, {2024, 9, 3}), AgeBand::under13);
  EXPECT_EQ(age_band(age, {2025, 9, 2}), AgeBand::under13);
  EXPECT_EQ(age_band(age, {2025, 9, 3}), AgeBand::thirteen_plus);
  EXPECT_EQ(thirteen_plus_from(age), (CivilDate{2025, 9, 3}));
}

TEST(AgeBand, ThirteenIsThirteenPlusFromTheDayComputed) {
  const AgeRecord age{13, {2024, 9, 3}};
  EXPECT_EQ(age_band(age, {2024, 9, 3}), AgeBand::thirteen_plus);
  EXPECT_EQ(thirteen_plus_from(age), (CivilDate{2024, 9, 3}));
  // A clock set back before the computation date gives no usable lower bound.
  EXPECT_EQ(age_band(age, {2024, 9, 2}), AgeBand::under13);
}

TEST(AgeBand, YoungChildCountsSeveralYears) {
  const AgeRecord age{5, {2020, 1, 15}};
  EXPECT_EQ(thirteen_plus_from(age), (CivilDate{2028, 1, 15}));
  EXPECT_EQ(age_band(age, {2028, 1, 14}), AgeBand::under13);
  EXPECT_EQ(age_band(age, {2028, 1, 15}), AgeBand::thirteen_plus);
}

TEST(AgeBand, ComputedOnLeapDayUsesTheLeapDayRule) {
  const AgeRecord age{12, {2024, 2, 29}};
  EXPECT_EQ(age_band(age, {2025, 2, 28}), AgeBand::under13);
  EXPECT_EQ(age_band(age, {2025, 3, 1}), AgeBand::thirteen_plus);
  EXPECT_EQ(thirteen_plus_from(age), (CivilDate{2025, 3, 1}));

  const AgeRecord four_years{9, {2024, 2, 29}};
  EXPECT_EQ(thirteen_plus_from(four_years), (CivilDate{2028, 2, 29}));
  EXPECT_EQ(age_band(four_years, {2028, 2, 28}), AgeBand::under13);
  EXPECT_EQ(age_band(four_years, {2028, 2, 29}), AgeBand::thirteen_plus);
}

TEST(AgeBand, CorruptRecordsCountAsUnder13) {
  EXPECT_EQ(age_band(AgeRecord{40, {2024, 2, 30}}, {2030, 1, 1}), AgeBand::under13);
  EXPECT_EQ(thirteen_plus_from(AgeRecord{40, {2024, 2, 30}}), std::nullopt);
  EXPECT_EQ(age_band(AgeRecord{-1, {2000, 1, 1}}, {2030, 1, 1}), AgeBand::under13);
  EXPECT_EQ(thirteen_plus_from(AgeRecord{-1, {2000, 1, 1}}), std::nullopt);
}

// thirteen_plus_from exists so the hot path can compare dates: it must agree with age_band
// on every day.
TEST(AgeBand, ThirteenPlusFromAgreesWithAgeBandEveryDay) {
  const std::vector<AgeRecord> records = {
      {12, {2023, 12, 31}}, {12, {2024, 2, 29}}, {11, {2023, 3, 1}},
      {13, {2024, 6, 30}},  {0, {2024, 1, 1}},   {10, {2020, 2, 29}},
  };
  for (const AgeRecord& record : records) {
    const std::optional<CivilDate> from = thirteen_plus_from(record);
    ASSERT_TRUE(from.has_value());
    for (CivilDate day{2020, 1, 1}; day < CivilDate{2039, 1, 1}; day = next_day(day)) {
      const AgeBand expected =
          day >= *from && day >= record.computed_on ? AgeBand::thirteen_plus : AgeBand::under13;
      ASSERT_EQ(age_band(record, day), expected)
          << record.years << " on " << record.computed_on.year << "-" << record.computed_on.month
          << "-" << record.computed_on.day << ", day " << day.year << "-" << day.month << "-"
          << day.day;
    }
  }
}

}  // namespace
}  // namespace lmsgw::identity
