#include "tests/unit/jose/jose_test_support.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <boost/json/parse.hpp>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#include "lmsgw/sdk/encoding.h"

namespace lmsgw::jose::test {

namespace {

std::string member_bytes(const boost::json::object& jwk, std::string_view name) {
  return unb64(jwk.at(name).as_string());
}

struct Bignums {
  std::vector<BIGNUM*> owned;
  ~Bignums() {
    for (BIGNUM* number : owned) BN_clear_free(number);
  }
  const BIGNUM* make(std::string_view bytes) {
    owned.push_back(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                              static_cast<int>(bytes.size()), nullptr));
    return owned.back();
  }
};

EVP_PKEY* key_from_builder(const char* type, OSSL_PARAM_BLD* builder) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(builder);
  EVP_PKEY_CTX* context = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  if (params == nullptr || context == nullptr || EVP_PKEY_fromdata_init(context) != 1 ||
      EVP_PKEY_fromdata(context, &key, EVP_PKEY_KEYPAIR, params) != 1) {
    key = nullptr;
  }
  EVP_PKEY_CTX_free(context);
  OSSL_PARAM_free(params);
  return key;
}

EVP_PKEY* private_key_of(const boost::json::object& jwk) {
  const std::string_view kty = jwk.at("kty").as_string();
  if (kty == "OKP") {
    const std::string d = member_bytes(jwk, "d");
    return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                        reinterpret_cast<const unsigned char*>(d.data()), d.size());
  }
  Bignums numbers;
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> builder(OSSL_PARAM_BLD_new(),
                                                                          &OSSL_PARAM_BLD_free);
  if (kty == "EC") {
    std::string point = "\x04" + member_bytes(jwk, "x") + member_bytes(jwk, "y");
    OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                     point.size());
    OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY,
                           numbers.make(member_bytes(jwk, "d")));
    return key_from_builder("EC", builder.get());
  }
  const std::pair<const char*, const char*> members[] = {
      {"n", OSSL_PKEY_PARAM_RSA_N},          {"e", OSSL_PKEY_PARAM_RSA_E},
      {"d", OSSL_PKEY_PARAM_RSA_D},          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
      {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
      {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};
  for (const auto& [member, param] : members) {
    OSSL_PARAM_BLD_push_BN(builder.get(), param, numbers.make(member_bytes(jwk, member)));
  }
  return key_from_builder("RSA", builder.get());
}

}  // namespace

boost::json::object parse_object(std::string_view json) {
  return boost::json::parse(json).as_object();
}

std::string private_jwk_to_pem(const boost::json::object& jwk) {
  EVP_PKEY* key = private_key_of(jwk);
  if (key == nullptr) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  std::string pem;
  if (PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1) {
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    pem.assign(data, static_cast<std::size_t>(length));
  }
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

SigningKey generated(Algorithm algorithm, std::string_view kid) {
  auto key = SigningKey::generate(algorithm, kid);
  if (!key) throw std::runtime_error("key generation failed: " + key.error().detail);
  return *key;
}

SigningKey signing_key_from_jwk(std::string_view jwk_json, std::string_view kid) {
  const std::string pem = private_jwk_to_pem(parse_object(jwk_json));
  if (pem.empty()) throw std::runtime_error("the private JWK did not convert");
  auto key = SigningKey::from_pem(pem, kid);
  if (!key) {
    throw std::runtime_error("private key refused: " + key.error().detail);
  }
  return *key;
}

PublicKey public_key_from_jwk(std::string_view jwk_json) {
  boost::json::object jwk = parse_object(jwk_json);
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi"}) jwk.erase(member);
  auto key = PublicKey::from_jwk(jwk);
  if (!key) {
    throw std::runtime_error("public JWK refused: " + key.error().detail);
  }
  return *key;
}

std::string sign_with_header(const SigningKey& key, std::string_view header_json,
                             std::string_view payload) {
  const std::string input = b64(header_json) + "." + b64(payload);
  auto signature = key.signature(input);
  EXPECT_TRUE(signature.ok());
  return input + "." + b64(signature.ok() ? *signature : std::string());
}

namespace {

std::string pem_text(const std::function<int(BIO*)>& write) {
  BIO* bio = BIO_new(BIO_s_mem());
  std::string pem;
  if (write(bio) == 1) {
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    pem.assign(data, static_cast<std::size_t>(length));
  }
  BIO_free(bio);
  if (pem.empty()) throw std::runtime_error("OpenSSL could not write the PEM");
  return pem;
}

std::string private_pem(EVP_PKEY* key) {
  if (key == nullptr) throw std::runtime_error("OpenSSL could not make the key");
  std::string pem = pem_text([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
  EVP_PKEY_free(key);
  return pem;
}

EVP_PKEY* read_private(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) throw std::runtime_error("OpenSSL could not read the PEM");
  return key;
}

}  // namespace

std::string p384_private_pem() {
  return private_pem(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
}

std::string rsa_private_pem(int bits) {
  return private_pem(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
}

std::string x25519_private_pem() {
  return private_pem(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
}

std::string encrypted_private_pem(const std::string& private_pem_text,
                                  const std::string& password) {
  EVP_PKEY* key = read_private(private_pem_text);
  std::string pem = pem_text([&](BIO* bio) {
    return PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), password.data(),
                                         static_cast<int>(password.size()), nullptr, nullptr);
  });
  EVP_PKEY_free(key);
  return pem;
}

std::string public_pem_of(const std::string& private_pem_text) {
  EVP_PKEY* key = read_private(private_pem_text);
  std::string pem = pem_text([&](BIO* bio) { return PEM_write_bio_PUBKEY(bio, key); });
  EVP_PKEY_free(key);
  return pem;
}

std::string b64(std::string_view bytes) { return sdk::base64url_encode(bytes); }

std::string unb64(std::string_view text) { return sdk::base64url_decode(text).value(); }

}  // namespace lmsgw::jose::test
