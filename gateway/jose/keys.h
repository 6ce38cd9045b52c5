// JSON Web Keys (RFC 7517) for the three algorithms of algorithm.h, over OpenSSL 3 EVP keys.
//
// A key is bound to exactly one algorithm when it is made (P-256 -> ES256, Ed25519 -> EdDSA,
// RSA -> RS256) and verification never uses it with another. That binding, not a check of the
// token's header, is what defeats algorithm confusion (an RS256 key "verifying" an HS256 token
// made with the public key as the secret, an ES256 key asked to check RS256).
//
// Key errors carry ErrorCode::invalid_request and a detail naming the member or the rule; the
// caller re-codes them for its context (config_invalid for a configured key, upstream_malformed
// for a provider's JWKS).
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "jose/algorithm.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::jose {

// A key id longer than this is refused: kids are echoed into headers and JWKS documents.
inline constexpr std::size_t kMaxKidBytes = 256;

namespace detail {
struct PublicKeyState;
struct SigningKeyState;
struct KeyAccess;
}  // namespace detail

// A public key that verifies signatures of one algorithm. Immutable; copies share the key, so
// it is cheap to copy and safe to use from many threads at once.
class PublicKey {
 public:
  // A public JWK: kty EC (crv P-256, x, y of 32 bytes each, the point on the curve), OKP (crv
  // Ed25519, x of 32 bytes) or RSA (n of 2048 to 8192 bits, e of at most 32 bits, both without
  // leading zero bytes). Optional members must agree: alg names the algorithm of the key type,
  // use is "sig", key_ops contains "verify", kid is a string. Refused: symmetric keys, any
  // private member (d, p, q, dp, dq, qi, oth), other curves and key types.
  static sdk::Result<PublicKey> from_jwk(const boost::json::object& jwk) noexcept;
  // A SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY") of a P-256, Ed25519 or RSA key, held to the
  // same rules as from_jwk().
  static sdk::Result<PublicKey> from_pem(std::string_view pem, std::string_view kid) noexcept;

  Algorithm algorithm() const noexcept;
  // Empty when the key has no id.
  const std::string& kid() const noexcept;
  // RFC 7638 thumbprint: base64url(SHA-256) of the key's required members in canonical JSON.
  const std::string& thumbprint() const noexcept;
  // The length a valid signature has: 64 for ES256 and EdDSA, the modulus length for RS256.
  std::size_t signature_size() const noexcept;

  // Public members, then kid (when set), alg and use "sig". Never a private member.
  // Throws only std::bad_alloc.
  boost::json::object to_jwk() const;

  // True when `signature`, in its JWS form (R || S for ES256), is valid for `signing_input`.
  bool check_signature(std::string_view signing_input, std::string_view signature) const noexcept;

 private:
  friend struct detail::KeyAccess;
  explicit PublicKey(std::shared_ptr<const detail::PublicKeyState> state) noexcept;

  std::shared_ptr<const detail::PublicKeyState> state_;
};

// A private key that signs with one algorithm. Immutable; copies share the key.
class SigningKey {
 public:
  // A PEM private key (PKCS#8 "BEGIN PRIVATE KEY", or the traditional EC/RSA forms), not
  // encrypted: P-256 -> ES256, Ed25519 -> EdDSA, RSA of 2048 to 8192 bits -> RS256; anything
  // else is refused. The key signs and verifies a test message before it is accepted.
  static sdk::Result<SigningKey> from_pem(std::string_view pem, std::string_view kid) noexcept;
  // A fresh key from OpenSSL's CSPRNG; RSA keys get 3072 bits.
  static sdk::Result<SigningKey> generate(Algorithm algorithm, std::string_view kid) noexcept;

  Algorithm algorithm() const noexcept;
  const std::string& kid() const noexcept;
  const PublicKey& public_key() const noexcept;

  // Unencrypted PKCS#8 PEM: a secret, for a file only the gateway can read.
  sdk::Result<std::string> to_pem() const noexcept;

  // The JWS signature over `signing_input`, in its JWS form (R || S for ES256).
  sdk::Result<std::string> signature(std::string_view signing_input) const noexcept;

 private:
  friend struct detail::KeyAccess;
  SigningKey(std::shared_ptr<const detail::SigningKeyState> state, PublicKey public_key) noexcept;

  std::shared_ptr<const detail::SigningKeyState> state_;
  PublicKey public_key_;
};

}  // namespace lmsgw::jose
