// The minimal account: everything the gateway may persist about a person (PRIVACY.md A).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/crypto.h"
#include "lmsgw/sdk/identity.h"

namespace lmsgw::identity {

// Roles an account may hold (PRIVACY.md A). Providers' staff sign in as teachers. A guardian
// (a parent signing in through a family-facing provider) is an adult who holds no student data.
enum class AccountRole : std::uint8_t {
  student = 1,
  teacher = 2,
  district_admin = 3,
  guardian = 4
};

std::string_view to_string(AccountRole role) noexcept;
std::optional<AccountRole> account_role_from_string(std::string_view text) noexcept;

// Age in whole years as computed on `computed_on`; the birthdate itself is never kept.
struct AgeRecord {
  int years = 0;
  sdk::CivilDate computed_on;

  friend bool operator==(const AgeRecord&, const AgeRecord&) = default;
};

// Whole years elapsed from `from` to `to`, counting an anniversary of 29 February on
// 1 March in common years (the later candidate, so nobody is aged early). nullopt when either
// date is not a real calendar date (years 1..9999) or `to` is before `from`.
std::optional<int> whole_years_between(sdk::CivilDate from, sdk::CivilDate to) noexcept;

enum class AgeBand : std::uint8_t { under13, thirteen_plus };
std::string_view to_string(AgeBand band) noexcept;

// The band on `today`. Unknown age counts as under 13. Without the birthdate we only know a
// lower bound of the current age (years + whole years since computed_on), so a child is
// reported under 13 until that bound reaches 13: never too old, at most a year too young.
// A `today` before computed_on (a clock set back) gives no usable bound: under 13.
AgeBand age_band(const std::optional<AgeRecord>& age, sdk::CivilDate today) noexcept;

// The first day on which age_band() answers thirteen_plus, or nullopt if it never will
// (age unknown). Lets the hot path compare dates instead of recomputing.
std::optional<sdk::CivilDate> thirteen_plus_from(const std::optional<AgeRecord>& age) noexcept;

struct MinimalAccount {
  AccountRole role = AccountRole::student;
  std::optional<std::string> district_id;  // internal district id
  std::string display_name;
  std::optional<AgeRecord> age;              // students only
  std::optional<crypto::Digest> email_hash;  // keyed hash of a verified email; every role
  std::optional<std::string>
      email;  // plaintext: teachers and admins only, never students/guardians

  friend bool operator==(const MinimalAccount&, const MinimalAccount&) = default;
};

// Keyed hash of (identity namespace, provider subject): how an identity is found again
// without storing the provider's id.
struct IdentityKey {
  crypto::Digest subject_hash{};

  friend bool operator==(const IdentityKey&, const IdentityKey&) = default;
};

}  // namespace lmsgw::identity
