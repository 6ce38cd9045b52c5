// HMAC-SHA-256 by OpenSSL directly, independent of the gateway's implementation, for the
// Facebook plugin's tests; it counts comparisons, so a test can prove the plugin compares
// through ctx.crypto().
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <string_view>

#include "lmsgw/sdk/context.h"

namespace lmsgw::plugins::facebook {

class OpenSslCrypto : public sdk::Crypto {
 public:
  std::string hmac_sha256(std::string_view key, std::string_view data) const noexcept override {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
    return std::string(reinterpret_cast<const char*>(out), size);
  }
  bool constant_time_equal(std::string_view a, std::string_view b) const noexcept override {
    ++comparisons;
    return a == b;
  }
  mutable int comparisons = 0;
};

}  // namespace lmsgw::plugins::facebook
