// Internal to the jose module: owners for OpenSSL objects, the guard that keeps OpenSSL's error
// queue clean, strict base64url and the error constructors. Not for use outside gateway/jose/.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lmsgw/sdk/errors.h"

namespace lmsgw::jose::detail {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* object) const noexcept {
    Free(object);
  }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<&EVP_PKEY_free>>;
using PkeyContextPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<&EVP_PKEY_CTX_free>>;
using DigestContextPtr = std::unique_ptr<EVP_MD_CTX, Deleter<&EVP_MD_CTX_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<&BN_free>>;
using EcdsaSignaturePtr = std::unique_ptr<ECDSA_SIG, Deleter<&ECDSA_SIG_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<&BIO_free>>;
using ParamBuilderPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<&OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, Deleter<&OSSL_PARAM_free>>;

// OpenSSL reports failures on a thread-local queue. Left there, they would be read by whatever
// code on the thread next asks (a TLS read, another library), and blamed on it.
class ErrorQueueGuard {
 public:
  ErrorQueueGuard() = default;
  ~ErrorQueueGuard() { ERR_clear_error(); }
  ErrorQueueGuard(const ErrorQueueGuard&) = delete;
  ErrorQueueGuard& operator=(const ErrorQueueGuard&) = delete;
};

inline const unsigned char* bytes_of(std::string_view text) noexcept {
  return reinterpret_cast<const unsigned char*>(text.data());
}

// Unpadded base64url with canonical trailing bits only: each byte string has exactly one
// accepted text, so a token cannot be altered without changing what was signed.
std::optional<std::string> decode_base64url(std::string_view text);
bool is_base64url_text(std::string_view text) noexcept;

inline sdk::Error token_error(std::string detail) {
  return {sdk::ErrorCode::token_invalid, std::move(detail)};
}
inline sdk::Error key_error(std::string detail) {
  return {sdk::ErrorCode::invalid_request, std::move(detail)};
}
inline sdk::Error openssl_error(std::string_view step) {
  return {sdk::ErrorCode::internal, "OpenSSL failed: " + std::string(step)};
}

}  // namespace lmsgw::jose::detail
