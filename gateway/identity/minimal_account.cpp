#include "identity/minimal_account.h"

namespace lmsgw::identity {
namespace {

constexpr int kAdultAge = 13;

bool is_leap_year(int year) noexcept {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned days_in_month(int year, unsigned month) noexcept {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && is_leap_year(year)) return 29;
  return kDays[month - 1];
}

bool is_valid(sdk::CivilDate date) noexcept {
  return date.year >= 1 && date.year <= 9999 && date.month >= 1 && date.month <= 12 &&
         date.day >= 1 && date.day <= days_in_month(date.year, date.month);
}

// The day in `year` on which `date` has its anniversary.
sdk::CivilDate anniversary(sdk::CivilDate date, int year) noexcept {
  if (date.month == 2 && date.day == 29 && !is_leap_year(year)) return {year, 3, 1};
  return {year, date.month, date.day};
}

}  // namespace

std::string_view to_string(AccountRole role) noexcept {
  switch (role) {
    case AccountRole::student:
      return "student";
    case AccountRole::teacher:
      return "teacher";
    case AccountRole::district_admin:
      return "district_admin";
    case AccountRole::guardian:
      return "guardian";
  }
  return "student";
}

std::optional<AccountRole> account_role_from_string(std::string_view text) noexcept {
  if (text == "student") return AccountRole::student;
  if (text == "teacher") return AccountRole::teacher;
  if (text == "district_admin") return AccountRole::district_admin;
  if (text == "guardian") return AccountRole::guardian;
  return std::nullopt;
}

std::optional<int> whole_years_between(sdk::CivilDate from, sdk::CivilDate to) noexcept {
  if (!is_valid(from) || !is_valid(to) || to < from) return std::nullopt;
  int years = to.year - from.year;
  if (to < anniversary(from, to.year)) --years;
  return years;
}

std::string_view to_string(AgeBand band) noexcept {
  switch (band) {
    case AgeBand::under13:
      return "under13";
    case AgeBand::thirteen_plus:
      return "13plus";
  }
  return "under13";
}

AgeBand age_band(const std::optional<AgeRecord>& age, sdk::CivilDate today) noexcept {
  // A negative age can only come from a corrupt record: treat it as unknown.
  if (!age || age->years < 0) return AgeBand::under13;
  const std::optional<int> elapsed = whole_years_between(age->computed_on, today);
  if (!elapsed) return AgeBand::under13;
  // 64-bit so that a corrupt, huge stored age cannot overflow into a false answer.
  const long long lower_bound = static_cast<long long>(age->years) + *elapsed;
  return lower_bound >= kAdultAge ? AgeBand::thirteen_plus : AgeBand::under13;
}

std::optional<sdk::CivilDate> thirteen_plus_from(const std::optional<AgeRecord>& age) noexcept {
  if (!age || !is_valid(age->computed_on) || age->years < 0) return std::nullopt;
  if (age->years >= kAdultAge) return age->computed_on;
  const int year = age->computed_on.year + (kAdultAge - age->years);
  if (year > 9999) return std::nullopt;
  return anniversary(age->computed_on, year);
}

}  // namespace lmsgw::identity
