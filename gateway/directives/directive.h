// A district's retention directive (PRIVACY.md D; docs/directives.md): what the district says
// must be deleted, and when. Parsed from a JSON document with an allowlist of fields; every
// error names the field. Dates are calendar dates in UTC.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lmsgw/sdk/identity.h"
#include "lmsgw/sdk/result.h"
#include "store/directive_store.h"

namespace lmsgw::directives {

// Longer documents are refused unread.
inline constexpr std::size_t kMaxDirectiveBytes = 16 * 1024;
// "N days" above this (ten years) is refused as a mistake.
inline constexpr int kMaxDays = 3650;
// At most this many partial-disposal entries.
inline constexpr std::size_t kMaxPartialEntries = 16;

// Disposal of named categories only; `by` absent means as soon as possible.
struct PartialDisposal {
  std::vector<store::DisposalCategory> categories;
  std::optional<sdk::CivilDate> by;

  friend bool operator==(const PartialDisposal&, const PartialDisposal&) = default;
};

struct Directive {
  // Keep while on the roster; delete N days after the student left it.
  std::optional<int> after_leaving_roster_days;
  // Delete N days after the last sign-in (or creation, for an account that never signed in).
  std::optional<int> inactive_days;
  // End of contract: everything of the district is deleted on this date.
  std::optional<sdk::CivilDate> delete_all_by;
  // Everything of the district is deleted N days after its access was withdrawn.
  std::optional<int> after_revocation_days;
  std::vector<PartialDisposal> partial;

  friend bool operator==(const Directive&, const Directive&) = default;
};

// The platform's defaults (config `retention:`), for a district without a directive and for
// the fields its directive leaves out.
struct RetentionDefaults {
  // The platform's own inactivity policy; absent: none.
  std::optional<int> inactive_days;
  // PRIVACY.md C.1: after revocation the default is complete disposal, at once.
  int after_revocation_days = 0;
};

// Parses and validates a document a district submits. `today` (UTC) is the earliest date a
// date in it may name. Errors are invalid_request (limit_exceeded for an oversized document)
// with a detail naming the field: "directive: partial[0].categories[1]: unknown category
// \"grades\" (known: accounts, section_memberships, sections, email_hashes)".
sdk::Result<Directive> parse_directive(std::string_view document, sdk::CivilDate today);

// A document parse_directive() accepted earlier (its dates may since have passed).
sdk::Result<Directive> parse_stored_directive(std::string_view document);

// Canonical JSON: fields in a fixed order, absent ones left out.
std::string directive_json(const Directive& directive);

// The directive in force: the district's fields, the defaults where it has none.
Directive effective_directive(const std::optional<Directive>& directive,
                              const RetentionDefaults& defaults);

}  // namespace lmsgw::directives
