// A JWK Set (RFC 7517 section 5): the keys a verifier trusts, found by kid.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jose/keys.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::jose {

// More keys than this in one JWKS document is refused: no provider publishes that many, and
// each costs a key validation.
inline constexpr std::size_t kMaxJwksKeys = 100;

struct LoadedKeySet;

class KeySet {
 public:
  KeySet() = default;

  // Refuses a key whose kid (possibly empty) is already in the set: a kid names one key.
  sdk::Result<void> add(PublicKey key) noexcept;

  // nullptr when no key has this kid.
  const PublicKey* find(std::string_view kid) const noexcept;
  std::span<const PublicKey> keys() const noexcept { return keys_; }
  std::size_t size() const noexcept { return keys_.size(); }
  bool empty() const noexcept { return keys_.empty(); }

  // {"keys": [...]} with each key's to_jwk(). Throws only std::bad_alloc.
  boost::json::object to_jwks() const;

  // A JWKS document {"keys": [...]}. Keys this module cannot use (other algorithms, encryption
  // keys, weak RSA, duplicate kids) are skipped, each with the reason; an error only when the
  // document itself is malformed or holds more than kMaxJwksKeys keys.
  static sdk::Result<LoadedKeySet> from_jwks(const boost::json::value& jwks) noexcept;
  // The same from the document's text (e.g. an HTTP response body).
  static sdk::Result<LoadedKeySet> from_jwks_text(std::string_view json) noexcept;

 private:
  std::vector<PublicKey> keys_;
};

struct LoadedKeySet {
  KeySet keys;
  // One entry per skipped key: "key 2: RSA modulus must have 2048 to 8192 bits".
  std::vector<std::string> skipped;
};

}  // namespace lmsgw::jose
