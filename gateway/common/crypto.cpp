#include "common/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>

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
  // Fetched once and a context per thread, reused: EVP_Digest would allocate a context and
  // look the algorithm up again on every call, and session cookies are hashed per request.
  static EVP_MD* const algorithm = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct ContextDeleter {
    void operator()(EVP_MD_CTX* context) const noexcept { EVP_MD_CTX_free(context); }
  };
  thread_local const std::unique_ptr<EVP_MD_CTX, ContextDeleter> context(EVP_MD_CTX_new());
  Digest out{};
  unsigned int length = 0;
  if (algorithm == nullptr || !context ||
      EVP_DigestInit_ex2(context.get(), algorithm, nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), out.data(), &length) != 1) {
    std::fputs("fatal: SHA-256 failed\n", stderr);
    std::abort();
  }
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

namespace {

constexpr std::size_t kGcmNonceBytes = 12;
constexpr std::size_t kGcmTagBytes = 16;

struct CipherContextDeleter {
  void operator()(EVP_CIPHER_CTX* context) const noexcept { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextDeleter>;

const unsigned char* bytes_of(std::string_view text) noexcept {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

std::string aead_seal(std::string_view key, std::string_view plaintext,
                      std::string_view associated) {
  if (key.size() != 32) std::abort();  // a programming error, never input-dependent
  const std::vector<std::uint8_t> nonce = random_bytes(kGcmNonceBytes);
  std::string sealed(kGcmNonceBytes + plaintext.size() + kGcmTagBytes, '\0');
  std::copy(nonce.begin(), nonce.end(), sealed.begin());
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());

  CipherContext context(EVP_CIPHER_CTX_new());
  int length = 0;
  const bool ok = context &&
                  EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, bytes_of(key),
                                     nonce.data()) == 1 &&
                  EVP_EncryptUpdate(context.get(), nullptr, &length, bytes_of(associated),
                                    static_cast<int>(associated.size())) == 1 &&
                  EVP_EncryptUpdate(context.get(), out + kGcmNonceBytes, &length,
                                    bytes_of(plaintext), static_cast<int>(plaintext.size())) == 1 &&
                  EVP_EncryptFinal_ex(context.get(), out + kGcmNonceBytes + length, &length) == 1 &&
                  EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagBytes,
                                      out + kGcmNonceBytes + plaintext.size()) == 1;
  if (!ok) {
    std::fputs("fatal: AES-256-GCM encryption failed\n", stderr);
    std::abort();
  }
  return sealed;
}

std::optional<std::string> aead_open(std::string_view key, std::string_view sealed,
                                     std::string_view associated) {
  if (key.size() != 32 || sealed.size() < kGcmNonceBytes + kGcmTagBytes) return std::nullopt;
  const std::size_t text_size = sealed.size() - kGcmNonceBytes - kGcmTagBytes;
  std::string plaintext(text_size, '\0');
  std::string tag(sealed.substr(kGcmNonceBytes + text_size));
  CipherContext context(EVP_CIPHER_CTX_new());
  int length = 0;
  const bool ok =
      context &&
      EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, bytes_of(key),
                         bytes_of(sealed)) == 1 &&
      EVP_DecryptUpdate(context.get(), nullptr, &length, bytes_of(associated),
                        static_cast<int>(associated.size())) == 1 &&
      EVP_DecryptUpdate(context.get(), reinterpret_cast<unsigned char*>(plaintext.data()), &length,
                        bytes_of(sealed.substr(kGcmNonceBytes)),
                        static_cast<int>(text_size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagBytes, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(
          context.get(), reinterpret_cast<unsigned char*>(plaintext.data()) + length, &length) == 1;
  if (!ok) return std::nullopt;
  return plaintext;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool constant_time_equal(const Digest& a, const Digest& b) noexcept {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace lmsgw::crypto
