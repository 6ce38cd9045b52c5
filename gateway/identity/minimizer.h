// The minimizer: the one place the privacy contract (PRIVACY.md A and B) is enforced.
// It copies into a MinimalAccount only what the allowlist names; every other claim of the
// ExternalIdentity, including the `extra` bag and any claim a provider adds tomorrow, is
// dropped because nothing copies it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "identity/minimal_account.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/identity.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::identity {

enum class StudentNameStyle : std::uint8_t { first_name, initial };
enum class StaffNameStyle : std::uint8_t { first_name, full_name };

// Per-district choices the contract leaves open.
struct NamePolicy {
  StudentNameStyle students = StudentNameStyle::first_name;
  StaffNameStyle staff = StaffNameStyle::first_name;
};

struct Minimized {
  MinimalAccount account;
  IdentityKey key;
};

class Minimizer {
 public:
  static constexpr std::size_t kMinPepperBytes = 32;

  // `pepper` keys every hash. A pepper shorter than kMinPepperBytes is refused
  // (config_invalid): a short key would let a stolen database be brute-forced back to emails.
  static sdk::Result<Minimizer> create(sdk::Secret pepper);

  // `identity_namespace` separates subjects of different providers (e.g. "clever").
  // `district_id` is the internal district the core resolved, if any. `today` is the date
  // the age is computed on. Fails with not_permitted for a role that may not hold an account
  // (unknown) and invalid_request for an empty subject or namespace.
  sdk::Result<Minimized> minimize(const sdk::ExternalIdentity& identity,
                                  std::string_view identity_namespace,
                                  std::optional<std::string> district_id, const NamePolicy& policy,
                                  sdk::CivilDate today) const;

  IdentityKey identity_key(std::string_view identity_namespace, std::string_view subject) const;
  crypto::Digest email_hash(std::string_view email) const;

 private:
  explicit Minimizer(sdk::Secret pepper);

  sdk::Secret pepper_;
};

// Whole years from `birthdate` to `today`; nullopt when the birthdate is in the future,
// invalid, or implausibly old (> 130 years). A 29 February birthday counts as 1 March in
// common years (the later of the two candidates, so a child is never aged early).
std::optional<int> age_in_years(sdk::CivilDate birthdate, sdk::CivilDate today) noexcept;

// First name for display: the given name, or the first word of a full name; control
// characters (C0 incl. CR/LF/TAB, DEL, C1) and invalid UTF-8 removed, trimmed, at most 64 bytes
// (cut on a UTF-8 boundary). Empty when the identity has neither. The result never holds CR,
// LF or any other control character, so it cannot split an HTTP header.
std::string display_first_name(const sdk::ExternalIdentity& identity);

}  // namespace lmsgw::identity
