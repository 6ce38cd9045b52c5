#include "common/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

#include "lmsgw/sdk/encoding.h"

namespace lmsgw::crypto {

std::vector<std::uint8_t> random_bytes(std::size_t count) {
  std::vector<std::uint8_t> out(count);
  if (count > 0 && RAND_bytes(out.data(), static_cast<int>(count)) != 1) {
    std::fputs("fatal: the system random number generator failed\n", stderr);
    std::abort();
  }
  return out;
}

std::string random_token(std::size_t count) {
  auto bytes = random_bytes(count);
  return base64url_encode(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Digest sha256(std::string_view data) noexcept {
  Digest out{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &length, EVP_sha256(), nullptr);
  return out;
}

Digest hmac_sha256(std::string_view key, std::string_view data) noexcept {
  Digest out{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length);
  return out;
}

std::string base64url_encode(std::string_view bytes) { return sdk::base64url_encode(bytes); }

std::string base64url_encode(const Digest& digest) { return base64url_encode(as_view(digest)); }

std::string base64_encode(std::string_view bytes) { return sdk::base64_encode(bytes); }

std::optional<std::string> base64url_decode(std::string_view text) {
  return sdk::base64url_decode(text);
}

std::string hex_encode(std::string_view bytes) { return sdk::hex_encode(bytes); }

std::string hex_encode(const Digest& digest) { return hex_encode(as_view(digest)); }

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool constant_time_equal(const Digest& a, const Digest& b) noexcept {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace lmsgw::crypto
