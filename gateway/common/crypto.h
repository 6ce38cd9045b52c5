// Small wrappers over OpenSSL for what the core needs: randomness, hashes, HMAC, encodings
// (the encoders forward to lmsgw/sdk/encoding.h, shared with plugins),
// constant-time comparison. Nothing here allocates secrets on the log path.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmsgw::crypto {

using Digest = std::array<std::uint8_t, 32>;

// Cryptographically secure random bytes (OpenSSL RAND_bytes). Aborts if the CSPRNG fails:
// continuing without randomness would mint guessable session ids.
std::vector<std::uint8_t> random_bytes(std::size_t count);
// `count` random bytes as unpadded base64url (e.g. 32 bytes -> 43 characters).
std::string random_token(std::size_t count);

Digest sha256(std::string_view data) noexcept;
Digest hmac_sha256(std::string_view key, std::string_view data) noexcept;

std::string base64url_encode(std::string_view bytes);
std::string base64url_encode(const Digest& digest);
// Accepts unpadded and padded input; nullopt on any character outside the alphabet.
std::optional<std::string> base64url_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);  // standard alphabet, padded
std::string hex_encode(std::string_view bytes);
std::string hex_encode(const Digest& digest);

// AES-256-GCM with a random 96-bit nonce. The sealed form is nonce || ciphertext || tag, so
// it is 28 bytes longer than the plaintext. `key` must be 32 bytes. `associated` is
// authenticated but not encrypted (it binds the box to a context, e.g. the OAuth state).
std::string aead_seal(std::string_view key, std::string_view plaintext,
                      std::string_view associated);
// nullopt when the box was altered, made with another key or another associated text.
std::optional<std::string> aead_open(std::string_view key, std::string_view sealed,
                                     std::string_view associated);

// Compares without an early exit, so the time taken does not reveal where inputs differ.
// Different lengths compare unequal (length is not secret for our uses).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;
bool constant_time_equal(const Digest& a, const Digest& b) noexcept;

inline std::string_view as_view(const Digest& digest) noexcept {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

}  // namespace lmsgw::crypto
