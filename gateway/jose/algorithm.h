// The JWS algorithms the gateway signs and verifies with, and nothing else (RFC 7518, RFC 8037).
// Every other registered name is refused by name: "none" and the HMAC family because a verifier
// that accepts them can be fooled with a public key used as a shared secret; the others because
// we have no caller for them and every extra algorithm is extra attack surface.
#pragma once

#include <optional>
#include <string_view>

namespace lmsgw::jose {

enum class Algorithm {
  es256,  // ECDSA P-256 with SHA-256; signatures are the 64-byte R || S form
  eddsa,  // Ed25519 (RFC 8037)
  rs256,  // RSASSA-PKCS1-v1_5 with SHA-256, RSA keys of 2048 to 8192 bits
};

// "ES256", "EdDSA", "RS256".
std::string_view to_string(Algorithm algorithm) noexcept;

// Exact, case-sensitive match of one of the three names; nullopt for anything else.
std::optional<Algorithm> algorithm_from_string(std::string_view name) noexcept;

// Why `name`, which algorithm_from_string() refused, is not accepted: for an error detail. It
// echoes `name` only when it is a registered JWS algorithm name, so that attacker-chosen text
// stays out of logs.
std::string_view refusal_reason(std::string_view name) noexcept;

}  // namespace lmsgw::jose
