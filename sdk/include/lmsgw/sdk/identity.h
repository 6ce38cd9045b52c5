/// @file
/// @brief `ExternalIdentity`: what a provider says about a person, as a plain value.
///
/// A plugin fills in everything the provider told it, including personal data. The core's
/// minimizer then keeps only what the privacy contract allows (an allowlist) and drops the
/// rest before anything is stored, logged or passed on. A plugin therefore never needs to
/// decide what is sensitive; it only needs to report faithfully.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmsgw::sdk {

/// A calendar date as the provider gave it (no time zone: birthdates are civil dates).
struct CivilDate {
  int year = 0;
  unsigned month = 0;  ///< 1..12
  unsigned day = 0;    ///< 1..31

  friend auto operator<=>(const CivilDate&, const CivilDate&) = default;
};

/// The role a provider reports. The minimizer decides which roles may hold an account.
enum class Role : std::uint8_t {
  unknown = 0,
  student = 1,
  teacher = 2,
  staff = 3,
  district_admin = 4,
  guardian = 5,
};

constexpr std::string_view to_string(Role role) noexcept {
  switch (role) {
    case Role::unknown:
      return "unknown";
    case Role::student:
      return "student";
    case Role::teacher:
      return "teacher";
    case Role::staff:
      return "staff";
    case Role::district_admin:
      return "district_admin";
    case Role::guardian:
      return "guardian";
  }
  return "unknown";
}

/// One person as a provider describes them.
///
/// `subject` is the provider's stable id for the person (Clever user id, OIDC `sub`).
/// `provider_district` is the provider's id for the district the person belongs to, when
/// the provider has one (Clever's `district`); the core maps it to its own district id.
/// Typed claims cover what the privacy contract needs to reason about; anything else the
/// provider sent goes into `extra`, which the core never stores.
struct ExternalIdentity {
  std::string subject;
  Role role = Role::unknown;
  std::optional<std::string> provider_district;

  std::optional<std::string> given_name;
  std::optional<std::string> middle_name;
  std::optional<std::string> family_name;
  /// A full name when the provider only has one string (e.g. Facebook `name`).
  std::optional<std::string> full_name;
  std::optional<std::string> email;
  /// Whether the provider vouches that `email` belongs to the person.
  bool email_verified = false;
  std::optional<CivilDate> birthdate;
  /// Provider section/class ids the person is a member of, when the sign-in carries them
  /// (e.g. an LTI context).
  std::vector<std::string> provider_sections;

  /// Every other claim the provider returned, flattened to strings ("roles.student.gender").
  std::map<std::string, std::string> extra;

  friend bool operator==(const ExternalIdentity&, const ExternalIdentity&) = default;
};

}  // namespace lmsgw::sdk
