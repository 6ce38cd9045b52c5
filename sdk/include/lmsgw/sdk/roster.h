/// @file
/// @brief `RosterChange`: one change a district's roster source reports.
///
/// Like sign-in identities, roster records carry whatever the source sent; the core's
/// minimizer keeps only the minimal account.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "lmsgw/sdk/identity.h"

namespace lmsgw::sdk {

/// Create or update a person.
struct RosterUserUpsert {
  ExternalIdentity identity;

  friend bool operator==(const RosterUserUpsert&, const RosterUserUpsert&) = default;
};

/// Create or update a section (a class). `provider_id` is the source's id for it.
struct RosterSectionUpsert {
  std::string provider_id;
  std::optional<std::string> provider_district;

  friend bool operator==(const RosterSectionUpsert&, const RosterSectionUpsert&) = default;
};

/// A person's membership in a section.
struct RosterEnrollmentUpsert {
  std::string section_provider_id;
  std::string user_subject;
  Role role = Role::student;

  friend bool operator==(const RosterEnrollmentUpsert&, const RosterEnrollmentUpsert&) = default;
};

enum class RosterRecordKind : std::uint8_t { user = 1, section = 2, enrollment = 3 };

/// A record left the roster (deleted, unshared, `tobedeleted`). For enrollments,
/// `provider_id` is "<section>/<user subject>".
struct RosterRemoval {
  RosterRecordKind kind = RosterRecordKind::user;
  std::string provider_id;

  friend bool operator==(const RosterRemoval&, const RosterRemoval&) = default;
};

/// The district withdrew the app from its roster source.
struct RosterDistrictRevoked {
  std::string provider_district;

  friend bool operator==(const RosterDistrictRevoked&, const RosterDistrictRevoked&) = default;
};

using RosterChange = std::variant<RosterUserUpsert, RosterSectionUpsert, RosterEnrollmentUpsert,
                                  RosterRemoval, RosterDistrictRevoked>;

/// A record the source sent that could not be used, with where and why.
/// `location` is e.g. "users.csv:42"; `reason` names the problem, never a value from the row.
struct RejectedRecord {
  std::string location;
  std::string reason;

  friend bool operator==(const RejectedRecord&, const RejectedRecord&) = default;
};

}  // namespace lmsgw::sdk
