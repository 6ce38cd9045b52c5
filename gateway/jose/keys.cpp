#include "jose/keys.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <array>
#include <bit>
#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <cstdint>
#include <utility>

#include "common/crypto.h"
#include "jose/detail.h"

namespace lmsgw::jose {

namespace detail {

struct PublicKeyState {
  PkeyPtr pkey;
  Algorithm algorithm = Algorithm::es256;
  std::string kid;
  // The JWK members, base64url: x and y for EC, x for OKP, n and e for RSA.
  std::string x;
  std::string y;
  std::string n;
  std::string e;
  std::string thumbprint;
  std::size_t signature_size = 0;
};

struct SigningKeyState {
  PkeyPtr pkey;
  Algorithm algorithm = Algorithm::es256;
  std::string kid;
};

struct KeyAccess {
  static PublicKey make_public(std::shared_ptr<const PublicKeyState> state) noexcept {
    return PublicKey(std::move(state));
  }
  static SigningKey make_signing(std::shared_ptr<const SigningKeyState> state,
                                 PublicKey public_key) noexcept {
    return SigningKey(std::move(state), std::move(public_key));
  }
};

}  // namespace detail

namespace {

constexpr std::size_t kP256CoordinateBytes = 32;
constexpr std::size_t kEd25519KeyBytes = 32;
constexpr std::size_t kEs256SignatureBytes = 64;
constexpr std::size_t kEd25519SignatureBytes = 64;
constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;
// Larger public exponents buy nothing and make every verification slower.
constexpr std::size_t kMaxRsaExponentBytes = 4;
constexpr int kGeneratedRsaBits = 3072;
constexpr std::size_t kMaxPemBytes = 64 * 1024;
constexpr std::string_view kSelfTestMessage = "lmsgw jose signing key self-test";

// The raw public values of a key (bytes, not base64url), before they become an EVP key.
struct PublicParts {
  Algorithm algorithm = Algorithm::es256;
  std::string x;  // EC and OKP
  std::string y;  // EC
  std::string n;  // RSA
  std::string e;  // RSA
};

std::string encode(std::string_view bytes) { return crypto::base64url_encode(bytes); }

// A PEM password callback that refuses: an encrypted key is an error, never a terminal prompt.
int refuse_passphrase(char*, int, int, void*) { return -1; }

detail::PkeyPtr key_from_params(const char* type, const OSSL_PARAM* params) noexcept {
  detail::PkeyContextPtr context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &raw, EVP_PKEY_PUBLIC_KEY,
                        const_cast<OSSL_PARAM*>(params)) != 1) {
    return nullptr;
  }
  return detail::PkeyPtr(raw);
}

// OpenSSL's full public-key validation: for EC the point is on the curve and in the group of
// the right order (the defence against invalid-curve attacks); for RSA the SP 800-56B checks.
bool passes_public_check(EVP_PKEY* pkey) noexcept {
  detail::PkeyContextPtr context(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  return context && EVP_PKEY_public_check(context.get()) == 1;
}

int bit_length(std::string_view big_endian) noexcept {
  if (big_endian.empty()) return 0;
  const auto first = static_cast<std::uint8_t>(big_endian.front());
  return static_cast<int>(big_endian.size() * 8) - std::countl_zero(first);
}

sdk::Result<PublicKey> make_public_key(const PublicParts& parts, std::string_view kid) {
  if (kid.size() > kMaxKidBytes) return detail::key_error("kid longer than 256 bytes");
  auto state = std::make_shared<detail::PublicKeyState>();
  state->algorithm = parts.algorithm;
  state->kid = std::string(kid);
  std::string canonical;  // RFC 7638: required members only, sorted, no whitespace
  switch (parts.algorithm) {
    case Algorithm::es256: {
      if (parts.x.size() != kP256CoordinateBytes || parts.y.size() != kP256CoordinateBytes) {
        return detail::key_error("EC x and y must be 32 bytes each");
      }
      std::string point = "\x04" + parts.x + parts.y;  // SEC 1 uncompressed form
      char group[] = "prime256v1";
      const OSSL_PARAM params[] = {
          OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
          OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
          OSSL_PARAM_construct_end()};
      state->pkey = key_from_params("EC", params);
      if (!state->pkey || !passes_public_check(state->pkey.get())) {
        return detail::key_error("EC point is not a valid P-256 public key");
      }
      state->x = encode(parts.x);
      state->y = encode(parts.y);
      state->signature_size = kEs256SignatureBytes;
      canonical = R"({"crv":"P-256","kty":"EC","x":")" + state->x + R"(","y":")" + state->y + "\"}";
      break;
    }
    case Algorithm::eddsa: {
      if (parts.x.size() != kEd25519KeyBytes) return detail::key_error("OKP x must be 32 bytes");
      state->pkey.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                                    detail::bytes_of(parts.x), parts.x.size()));
      if (!state->pkey) return detail::key_error("OKP x is not an Ed25519 public key");
      state->x = encode(parts.x);
      state->signature_size = kEd25519SignatureBytes;
      canonical = R"({"crv":"Ed25519","kty":"OKP","x":")" + state->x + "\"}";
      break;
    }
    case Algorithm::rs256: {
      if (parts.n.empty() || parts.n.front() == '\0' || parts.e.empty() ||
          parts.e.front() == '\0') {
        return detail::key_error("RSA n and e must be non-empty without leading zero bytes");
      }
      const int bits = bit_length(parts.n);
      if (bits < kMinRsaBits || bits > kMaxRsaBits) {
        return detail::key_error("RSA modulus must have 2048 to 8192 bits");
      }
      if (parts.e.size() > kMaxRsaExponentBytes) {
        return detail::key_error("RSA exponent longer than 32 bits");
      }
      detail::BignumPtr n(
          BN_bin2bn(detail::bytes_of(parts.n), static_cast<int>(parts.n.size()), nullptr));
      detail::BignumPtr e(
          BN_bin2bn(detail::bytes_of(parts.e), static_cast<int>(parts.e.size()), nullptr));
      detail::ParamBuilderPtr builder(OSSL_PARAM_BLD_new());
      if (!n || !e || !builder ||
          OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
          OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
        return detail::openssl_error("RSA parameters");
      }
      detail::ParamsPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
      if (!params) return detail::openssl_error("RSA parameters");
      state->pkey = key_from_params("RSA", params.get());
      if (!state->pkey || !passes_public_check(state->pkey.get())) {
        return detail::key_error("RSA public key fails validation");
      }
      state->n = encode(parts.n);
      state->e = encode(parts.e);
      state->signature_size = parts.n.size();
      canonical = R"({"e":")" + state->e + R"(","kty":"RSA","n":")" + state->n + "\"}";
      break;
    }
  }
  state->thumbprint = crypto::base64url_encode(crypto::sha256(canonical));
  return detail::KeyAccess::make_public(std::move(state));
}

sdk::Result<std::string> bignum_param(EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) return detail::openssl_error("key parameter");
  detail::BignumPtr number(raw);
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(number.get())), '\0');
  BN_bn2bin(number.get(), reinterpret_cast<unsigned char*>(bytes.data()));
  return bytes;
}

sdk::Result<std::string> padded(std::string bytes, std::size_t size) {
  if (bytes.size() > size) return detail::key_error("EC coordinate longer than the curve");
  bytes.insert(0, size - bytes.size(), '\0');
  return bytes;
}

// The public values of an OpenSSL key of one of our three kinds; every other kind is refused.
sdk::Result<PublicParts> parts_of(EVP_PKEY* pkey) {
  PublicParts parts;
  if (EVP_PKEY_is_a(pkey, "EC")) {
    std::array<char, 64> group{};
    std::size_t length = 0;
    if (EVP_PKEY_get_group_name(pkey, group.data(), group.size(), &length) != 1) {
      return detail::key_error("EC keys must use a named curve (P-256)");
    }
    const std::string_view name(group.data(), length);
    if (name != "prime256v1" && name != "P-256") {
      return detail::key_error("EC keys must be on P-256");
    }
    auto x = bignum_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X);
    auto y = bignum_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y);
    if (!x) return x.error();
    if (!y) return y.error();
    auto px = padded(std::move(*x), kP256CoordinateBytes);
    auto py = padded(std::move(*y), kP256CoordinateBytes);
    if (!px) return px.error();
    if (!py) return py.error();
    parts.algorithm = Algorithm::es256;
    parts.x = std::move(*px);
    parts.y = std::move(*py);
    return parts;
  }
  if (EVP_PKEY_is_a(pkey, "ED25519")) {
    std::string x(kEd25519KeyBytes, '\0');
    std::size_t length = x.size();
    const int read =
        EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(x.data()), &length);
    if (read != 1 || length != kEd25519KeyBytes) {
      return detail::openssl_error("Ed25519 public key");
    }
    parts.algorithm = Algorithm::eddsa;
    parts.x = std::move(x);
    return parts;
  }
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    auto n = bignum_param(pkey, OSSL_PKEY_PARAM_RSA_N);
    auto e = bignum_param(pkey, OSSL_PKEY_PARAM_RSA_E);
    if (!n) return n.error();
    if (!e) return e.error();
    parts.algorithm = Algorithm::rs256;
    parts.n = std::move(*n);
    parts.e = std::move(*e);
    return parts;
  }
  return detail::key_error("key type not supported (P-256, Ed25519 and RSA are)");
}

// A member that, when present, must be a string.
sdk::Result<std::optional<std::string_view>> optional_string(const boost::json::object& jwk,
                                                             std::string_view name) {
  const boost::json::value* member = jwk.if_contains(name);
  if (member == nullptr) return std::optional<std::string_view>();
  if (!member->is_string()) {
    return detail::key_error("JWK member " + std::string(name) + " is not a string");
  }
  return std::optional<std::string_view>(member->get_string());
}

sdk::Result<std::string> required_bytes(const boost::json::object& jwk, std::string_view name) {
  auto text = optional_string(jwk, name);
  if (!text) return text.error();
  if (!*text) return detail::key_error("JWK member " + std::string(name) + " is missing");
  auto bytes = detail::decode_base64url(**text);
  if (!bytes) {
    return detail::key_error("JWK member " + std::string(name) + " is not canonical base64url");
  }
  return std::move(*bytes);
}

sdk::Result<void> check_key_ops(const boost::json::object& jwk) {
  const boost::json::value* ops = jwk.if_contains("key_ops");
  if (ops == nullptr) return {};
  if (!ops->is_array()) return detail::key_error("JWK key_ops is not an array");
  bool verify = false;
  for (const boost::json::value& op : ops->get_array()) {
    if (!op.is_string()) return detail::key_error("JWK key_ops holds a non-string");
    if (op.get_string() == "verify") verify = true;
  }
  if (!verify) return detail::key_error("JWK key_ops does not allow verify");
  return {};
}

sdk::Result<PublicParts> parts_of_jwk(const boost::json::object& jwk, std::string_view kty) {
  PublicParts parts;
  if (kty == "EC" || kty == "OKP") {
    auto crv = optional_string(jwk, "crv");
    if (!crv) return crv.error();
    const std::string_view wanted = kty == "EC" ? "P-256" : "Ed25519";
    if (*crv != wanted) {
      return detail::key_error(kty == "EC" ? "EC curve not supported (P-256 is)"
                                           : "OKP curve not supported (Ed25519 is)");
    }
    auto x = required_bytes(jwk, "x");
    if (!x) return x.error();
    parts.x = std::move(*x);
    if (kty == "OKP") {
      parts.algorithm = Algorithm::eddsa;
      return parts;
    }
    auto y = required_bytes(jwk, "y");
    if (!y) return y.error();
    parts.y = std::move(*y);
    parts.algorithm = Algorithm::es256;
    return parts;
  }
  if (kty == "RSA") {
    auto n = required_bytes(jwk, "n");
    if (!n) return n.error();
    auto e = required_bytes(jwk, "e");
    if (!e) return e.error();
    parts.algorithm = Algorithm::rs256;
    parts.n = std::move(*n);
    parts.e = std::move(*e);
    return parts;
  }
  return detail::key_error("JWK kty not supported (EC, OKP and RSA are)");
}

// DER ECDSA-Sig-Value (what OpenSSL makes) -> the fixed 64-byte R || S of RFC 7518 3.4.
sdk::Result<std::string> ecdsa_der_to_raw(std::string_view der) {
  const unsigned char* cursor = detail::bytes_of(der);
  detail::EcdsaSignaturePtr signature(
      d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())));
  if (!signature) return detail::openssl_error("ECDSA signature decoding");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(signature.get(), &r, &s);
  std::string raw(kEs256SignatureBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, kP256CoordinateBytes) != kP256CoordinateBytes ||
      BN_bn2binpad(s, out + kP256CoordinateBytes, kP256CoordinateBytes) != kP256CoordinateBytes) {
    return detail::openssl_error("ECDSA signature encoding");
  }
  return raw;
}

// R || S -> DER, for OpenSSL's verifier. Returns the DER length, or 0 on failure.
int ecdsa_raw_to_der(std::string_view raw, std::array<unsigned char, 80>& der) noexcept {
  detail::EcdsaSignaturePtr signature(ECDSA_SIG_new());
  detail::BignumPtr r(BN_bin2bn(detail::bytes_of(raw), kP256CoordinateBytes, nullptr));
  detail::BignumPtr s(
      BN_bin2bn(detail::bytes_of(raw) + kP256CoordinateBytes, kP256CoordinateBytes, nullptr));
  if (!signature || !r || !s || ECDSA_SIG_set0(signature.get(), r.get(), s.get()) != 1) return 0;
  r.release();  // owned by the signature now
  s.release();
  const int length = i2d_ECDSA_SIG(signature.get(), nullptr);
  if (length <= 0 || static_cast<std::size_t>(length) > der.size()) return 0;
  unsigned char* cursor = der.data();
  return i2d_ECDSA_SIG(signature.get(), &cursor);
}

sdk::Result<SigningKey> make_signing_key(detail::PkeyPtr pkey, std::string_view kid) {
  auto parts = parts_of(pkey.get());
  if (!parts) return parts.error();
  auto public_key = make_public_key(*parts, kid);
  if (!public_key) return public_key.error();
  auto state = std::make_shared<detail::SigningKeyState>();
  state->pkey = std::move(pkey);
  state->algorithm = public_key->algorithm();
  state->kid = std::string(kid);
  SigningKey key = detail::KeyAccess::make_signing(std::move(state), *public_key);
  // Catches a damaged key file (a private part that does not belong to its public part) at
  // start-up rather than in the first relying party that rejects our tokens.
  auto signature = key.signature(kSelfTestMessage);
  if (!signature) return signature.error();
  if (!public_key->check_signature(kSelfTestMessage, *signature)) {
    return detail::key_error("private key does not match its public key");
  }
  return key;
}

}  // namespace

// ---- PublicKey ---------------------------------------------------------------------------

PublicKey::PublicKey(std::shared_ptr<const detail::PublicKeyState> state) noexcept
    : state_(std::move(state)) {}

sdk::Result<PublicKey> PublicKey::from_jwk(const boost::json::object& jwk) noexcept {
  return sdk::guarded([&]() -> sdk::Result<PublicKey> {
    detail::ErrorQueueGuard guard;
    auto kty = optional_string(jwk, "kty");
    if (!kty) return kty.error();
    if (!*kty) return detail::key_error("JWK has no kty");
    if (**kty == "oct") return detail::key_error("symmetric keys (kty oct) are never accepted");
    for (std::string_view member : {"d", "p", "q", "dp", "dq", "qi", "oth"}) {
      if (jwk.contains(member)) return detail::key_error("JWK carries private key members");
    }
    auto use = optional_string(jwk, "use");
    if (!use) return use.error();
    if (*use && **use != "sig") return detail::key_error("JWK use is not sig");
    if (auto ops = check_key_ops(jwk); !ops) return ops.error();
    auto kid = optional_string(jwk, "kid");
    if (!kid) return kid.error();
    auto alg = optional_string(jwk, "alg");
    if (!alg) return alg.error();

    auto parts = parts_of_jwk(jwk, **kty);
    if (!parts) return parts.error();
    if (*alg) {
      const auto named = algorithm_from_string(**alg);
      if (!named) return detail::key_error("JWK alg not supported");
      if (*named != parts->algorithm) return detail::key_error("JWK alg does not fit its kty");
    }
    return make_public_key(*parts, kid->value_or(std::string_view()));
  });
}

sdk::Result<PublicKey> PublicKey::from_pem(std::string_view pem, std::string_view kid) noexcept {
  return sdk::guarded([&]() -> sdk::Result<PublicKey> {
    detail::ErrorQueueGuard guard;
    if (pem.empty()) return detail::key_error("empty PEM");
    if (pem.size() > kMaxPemBytes) return detail::key_error("PEM larger than 64 KiB");
    detail::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return detail::openssl_error("memory BIO");
    detail::PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, &refuse_passphrase, nullptr));
    if (!pkey) return detail::key_error("not a PEM public key (BEGIN PUBLIC KEY)");
    auto parts = parts_of(pkey.get());
    if (!parts) return parts.error();
    return make_public_key(*parts, kid);
  });
}

Algorithm PublicKey::algorithm() const noexcept { return state_->algorithm; }

const std::string& PublicKey::kid() const noexcept { return state_->kid; }

const std::string& PublicKey::thumbprint() const noexcept { return state_->thumbprint; }

std::size_t PublicKey::signature_size() const noexcept { return state_->signature_size; }

boost::json::object PublicKey::to_jwk() const {
  const detail::PublicKeyState& state = *state_;
  boost::json::object jwk;
  switch (state.algorithm) {
    case Algorithm::es256:
      jwk["kty"] = "EC";
      jwk["crv"] = "P-256";
      jwk["x"] = state.x;
      jwk["y"] = state.y;
      break;
    case Algorithm::eddsa:
      jwk["kty"] = "OKP";
      jwk["crv"] = "Ed25519";
      jwk["x"] = state.x;
      break;
    case Algorithm::rs256:
      jwk["kty"] = "RSA";
      jwk["n"] = state.n;
      jwk["e"] = state.e;
      break;
  }
  if (!state.kid.empty()) jwk["kid"] = state.kid;
  jwk["alg"] = to_string(state.algorithm);
  jwk["use"] = "sig";
  return jwk;
}

bool PublicKey::check_signature(std::string_view signing_input,
                                std::string_view signature) const noexcept {
  detail::ErrorQueueGuard guard;
  const detail::PublicKeyState& state = *state_;
  if (signature.size() != state.signature_size) return false;
  detail::DigestContextPtr context(EVP_MD_CTX_new());
  if (!context) return false;
  // ES256 signatures travel as R || S; OpenSSL verifies the DER form.
  std::array<unsigned char, 80> der{};
  std::string_view checked = signature;
  if (state.algorithm == Algorithm::es256) {
    const int der_length = ecdsa_raw_to_der(signature, der);
    if (der_length <= 0) return false;
    checked = {reinterpret_cast<const char*>(der.data()), static_cast<std::size_t>(der_length)};
  }
  EVP_PKEY_CTX* key_context = nullptr;
  const EVP_MD* digest = state.algorithm == Algorithm::eddsa ? nullptr : EVP_sha256();
  if (EVP_DigestVerifyInit(context.get(), &key_context, digest, nullptr, state.pkey.get()) != 1) {
    return false;
  }
  if (state.algorithm == Algorithm::rs256 &&
      EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PADDING) != 1) {
    return false;
  }
  return EVP_DigestVerify(context.get(), detail::bytes_of(checked), checked.size(),
                          detail::bytes_of(signing_input), signing_input.size()) == 1;
}

// ---- SigningKey --------------------------------------------------------------------------

SigningKey::SigningKey(std::shared_ptr<const detail::SigningKeyState> state,
                       PublicKey public_key) noexcept
    : state_(std::move(state)), public_key_(std::move(public_key)) {}

sdk::Result<SigningKey> SigningKey::from_pem(std::string_view pem, std::string_view kid) noexcept {
  return sdk::guarded([&]() -> sdk::Result<SigningKey> {
    detail::ErrorQueueGuard guard;
    if (pem.empty()) return detail::key_error("empty PEM");
    if (pem.size() > kMaxPemBytes) return detail::key_error("PEM larger than 64 KiB");
    detail::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return detail::openssl_error("memory BIO");
    detail::PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, &refuse_passphrase, nullptr));
    if (!pkey) return detail::key_error("not an unencrypted PEM private key");
    return make_signing_key(std::move(pkey), kid);
  });
}

sdk::Result<SigningKey> SigningKey::generate(Algorithm algorithm, std::string_view kid) noexcept {
  return sdk::guarded([&]() -> sdk::Result<SigningKey> {
    detail::ErrorQueueGuard guard;
    detail::PkeyPtr pkey;
    switch (algorithm) {
      case Algorithm::es256:
        pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
        break;
      case Algorithm::eddsa:
        pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
        break;
      case Algorithm::rs256:
        pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA",
                                     static_cast<std::size_t>(kGeneratedRsaBits)));
        break;
    }
    if (!pkey) return detail::openssl_error("key generation");
    return make_signing_key(std::move(pkey), kid);
  });
}

Algorithm SigningKey::algorithm() const noexcept { return state_->algorithm; }

const std::string& SigningKey::kid() const noexcept { return state_->kid; }

const PublicKey& SigningKey::public_key() const noexcept { return public_key_; }

sdk::Result<std::string> SigningKey::to_pem() const noexcept {
  return sdk::guarded([&]() -> sdk::Result<std::string> {
    detail::ErrorQueueGuard guard;
    // A secure-memory BIO is wiped when freed, so the only copy left is the one returned.
    detail::BioPtr bio(BIO_new(BIO_s_secmem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), state_->pkey.get(), nullptr, nullptr, 0,
                                         nullptr, nullptr) != 1) {
      return detail::openssl_error("PEM encoding");
    }
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    if (length <= 0 || data == nullptr) return detail::openssl_error("PEM encoding");
    return std::string(data, static_cast<std::size_t>(length));
  });
}

sdk::Result<std::string> SigningKey::signature(std::string_view signing_input) const noexcept {
  return sdk::guarded([&]() -> sdk::Result<std::string> {
    detail::ErrorQueueGuard guard;
    const detail::SigningKeyState& state = *state_;
    detail::DigestContextPtr context(EVP_MD_CTX_new());
    EVP_PKEY_CTX* key_context = nullptr;
    // Ed25519 hashes internally (PureEdDSA) and takes no digest.
    const EVP_MD* digest = state.algorithm == Algorithm::eddsa ? nullptr : EVP_sha256();
    if (!context ||
        EVP_DigestSignInit(context.get(), &key_context, digest, nullptr, state.pkey.get()) != 1) {
      return detail::openssl_error("signature setup");
    }
    if (state.algorithm == Algorithm::rs256 &&
        EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PADDING) != 1) {
      return detail::openssl_error("RSA padding");
    }
    std::string signature(static_cast<std::size_t>(EVP_PKEY_get_size(state.pkey.get())), '\0');
    std::size_t length = signature.size();
    if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                       detail::bytes_of(signing_input), signing_input.size()) != 1) {
      return detail::openssl_error("signing");
    }
    signature.resize(length);
    if (state.algorithm == Algorithm::es256) return ecdsa_der_to_raw(signature);
    return signature;
  });
}

}  // namespace lmsgw::jose
