// JWT claim checks (RFC 7519 section 4.1; OpenID Connect Core 3.1.3.7 for nonce) on the payload
// of a verified JWS, and verify_jwt(), which does both.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jose/algorithm.h"
#include "jose/key_set.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::jose {

struct ClaimRules {
  // `iss` must equal one of these exactly. Empty refuses every token, so that a forgotten
  // setting can never mean "any issuer"; the same holds for `audiences`.
  std::vector<std::string> issuers;
  // `aud`, a string or an array of strings, must contain one of these.
  std::vector<std::string> audiences;
  // The time of the check, from the caller's clock. The epoch (a forgotten setting, which would
  // make every expired token look fresh) is refused.
  std::chrono::system_clock::time_point now;
  // Allowance for clock skew between the issuer and us, applied to exp, nbf, iat and max_age.
  std::chrono::seconds leeway{60};
  // exp is required unless this is false (security event tokens carry none); an exp that is
  // present is always checked.
  bool require_expiry = true;
  // When set, the `nonce` claim must equal it (compared in constant time).
  std::optional<std::string> nonce;
  // When set, `iat` is required and the token may be at most this old.
  std::optional<std::chrono::seconds> max_age;
};

// Checks `claims` against `rules`: iss, aud, exp (now < exp + leeway), nbf (now >= nbf - leeway),
// iat (not after now + leeway), nonce, max_age. exp, nbf and iat must be JSON numbers, never
// strings. Errors: token_invalid naming the claim and the rule (never a claim's value);
// internal when the rules themselves are unusable (no issuer, no audience, no time).
sdk::Result<void> check_claims(const boost::json::object& claims, const ClaimRules& rules) noexcept;

struct JwtRules {
  std::vector<Algorithm> algorithms;
  // When set, the header's typ must name this media type: compared case-insensitively, with or
  // without the "application/" prefix (RFC 7515 section 4.1.9). Explicit typing keeps one kind
  // of token from being accepted as another (RFC 8725 section 3.11).
  std::optional<std::string> typ;
  ClaimRules claims;
};

struct VerifiedJwt {
  boost::json::object header;
  boost::json::object claims;
  Algorithm algorithm = Algorithm::es256;
  std::string kid;
};

// verify(), then the typ rule, then the payload parsed as a JSON object, then check_claims().
sdk::Result<VerifiedJwt> verify_jwt(std::string_view compact, const KeySet& keys,
                                    const JwtRules& rules) noexcept;

}  // namespace lmsgw::jose
