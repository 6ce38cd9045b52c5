// The claims of a verified ID token -> sdk::ExternalIdentity, with the connection's domain rule
// and role. Everything the token holds is reported (typed where the SDK has a field, the rest
// flattened into `extra`); the core's minimizer decides what is kept.
#pragma once

#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

#include "lmsgw/sdk/identity.h"
#include "lmsgw/sdk/result.h"
#include "oidc_config.h"

namespace lmsgw::plugins::google {

// Errors: upstream_malformed (no usable `sub`, a typed claim of the wrong JSON type, azp for
// another client), not_permitted (the connection restricts hosted domains and the token's `hd`
// is absent or not among them: the email's domain is never consulted).
sdk::Result<sdk::ExternalIdentity> identity_from_claims(const boost::json::object& claims,
                                                        const OidcConfig& config);

// OpenID Connect's `birthdate` is "YYYY-MM-DD"; nullopt when it is anything else (including
// Core 5.1's year-omitted "0000-MM-DD", which gives no age).
std::optional<sdk::CivilDate> parse_birthdate(std::string_view text) noexcept;

}  // namespace lmsgw::plugins::google
