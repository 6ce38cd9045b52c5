// JWS compact serialization (RFC 7515 section 7.1): signing with one key, verifying against a
// key set under an explicit allowlist of algorithms.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "jose/algorithm.h"
#include "jose/key_set.h"
#include "jose/keys.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::jose {

// Longer tokens are refused unread (and never made): ours are a few hundred bytes, a Google id
// token about one kilobyte.
inline constexpr std::size_t kMaxCompactBytes = 16 * 1024;

// Header members besides alg and kid, which come from the key.
struct HeaderExtras {
  std::string typ;  // e.g. "at+jwt" (RFC 9068); omitted when empty
};

// header.payload.signature, with the protected header {"alg", "kid" (when the key has one),
// "typ" (when given)}. Errors: invalid_request for an empty payload, limit_exceeded for a token
// longer than kMaxCompactBytes, internal when OpenSSL fails.
sdk::Result<std::string> sign(const SigningKey& key, std::string_view payload,
                              const HeaderExtras& extras = {}) noexcept;

struct VerifiedJws {
  boost::json::object header;
  std::string payload;  // decoded bytes
  Algorithm algorithm = Algorithm::es256;
  std::string kid;  // of the key that verified it; empty when it has none
};

// Verifies a compact JWS. Refused, with ErrorCode::token_invalid and a detail naming the rule
// (never the token): more than kMaxCompactBytes; not exactly three non-empty parts of canonical
// unpadded base64url; a header that is not a JSON object; alg missing, not a string, not in
// `allowed`, "none" or HMAC; crit present (no extension is understood); kid not a string, unknown,
// or missing while the set holds more than one key; a key made for another algorithm than the
// header's alg; a signature of the wrong length or that does not verify.
// Other header members (jku, jwk, x5u, x5c, ...) are ignored: keys come only from `keys`.
// Duplicate JSON member names resolve to the last one, as RFC 7515 section 4 allows.
sdk::Result<VerifiedJws> verify(std::string_view compact, const KeySet& keys,
                                std::span<const Algorithm> allowed) noexcept;

inline sdk::Result<VerifiedJws> verify(std::string_view compact, const KeySet& keys,
                                       std::initializer_list<Algorithm> allowed) noexcept {
  return verify(compact, keys, std::span<const Algorithm>(allowed.begin(), allowed.size()));
}

}  // namespace lmsgw::jose
