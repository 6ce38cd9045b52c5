// JWK and PEM loading: what is accepted, what is refused and why, what is exported.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <string>
#include <type_traits>

#include "jose/jws.h"
#include "jose/key_set.h"
#include "jose/keys.h"
#include "tests/unit/jose/jose_test_support.h"
#include "tests/unit/jose/rfc_vectors.h"

namespace lmsgw::jose {
namespace {

using test::generated;

using test::b64;
using test::parse_object;
using test::unb64;

constexpr std::string_view kEcJwk = R"({"kty":"EC","crv":"P-256","kid":"ec-1",
  "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
  "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";
constexpr std::string_view kOkpJwk =
    R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";

std::string public_rsa_jwk() {
  boost::json::object jwk = parse_object(test::kRfc7520RsaJwk);
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi"}) jwk.erase(member);
  return boost::json::serialize(jwk);
}

// The JWK text with one member replaced, or removed for nullptr.
template <class Value>
boost::json::object with(std::string_view jwk_json, std::string_view member, const Value& value) {
  boost::json::object jwk = parse_object(jwk_json);
  if constexpr (std::is_same_v<Value, std::nullptr_t>) {
    jwk.erase(member);
  } else if constexpr (std::is_convertible_v<Value, std::string_view>) {
    jwk[member] = std::string_view(value);
  } else {
    jwk[member] = value;
  }
  return jwk;
}

void expect_refused(const boost::json::object& jwk, std::string_view detail) {
  auto key = PublicKey::from_jwk(jwk);
  ASSERT_FALSE(key.ok()) << "accepted, expected: " << detail;
  EXPECT_EQ(key.error().code, sdk::ErrorCode::invalid_request);
  EXPECT_EQ(key.error().detail, detail);
}

TEST(JoseKeys, EachKeyTypeLoadsBoundToItsAlgorithm) {
  auto ec = PublicKey::from_jwk(parse_object(kEcJwk));
  ASSERT_TRUE(ec.ok()) << ec.error().detail;
  EXPECT_EQ(ec->algorithm(), Algorithm::es256);
  EXPECT_EQ(ec->kid(), "ec-1");
  EXPECT_EQ(ec->signature_size(), 64u);
  auto okp = PublicKey::from_jwk(parse_object(kOkpJwk));
  ASSERT_TRUE(okp.ok()) << okp.error().detail;
  EXPECT_EQ(okp->algorithm(), Algorithm::eddsa);
  EXPECT_EQ(okp->kid(), "");
  auto rsa = PublicKey::from_jwk(parse_object(public_rsa_jwk()));
  ASSERT_TRUE(rsa.ok()) << rsa.error().detail;
  EXPECT_EQ(rsa->algorithm(), Algorithm::rs256);
  EXPECT_EQ(rsa->signature_size(), 256u);
  // Matching optional members are fine.
  boost::json::object full = parse_object(kEcJwk);
  full["alg"] = "ES256";
  full["use"] = "sig";
  full["key_ops"] = boost::json::array{"verify"};
  EXPECT_TRUE(PublicKey::from_jwk(full).ok());
}

TEST(JoseKeys, ToJwkNeverCarriesPrivateMembers) {
  std::vector<PublicKey> keys;
  for (Algorithm algorithm : {Algorithm::es256, Algorithm::eddsa, Algorithm::rs256}) {
    keys.push_back(generated(algorithm, "k").public_key());
  }
  keys.push_back(test::signing_key_from_jwk(test::kRfc7515EcJwk, "a").public_key());
  keys.push_back(test::signing_key_from_jwk(test::kRfc8037Jwk, "b").public_key());
  keys.push_back(test::signing_key_from_jwk(test::kRfc7520RsaJwk, "c").public_key());
  for (const PublicKey& key : keys) {
    const boost::json::object jwk = key.to_jwk();
    for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
      EXPECT_FALSE(jwk.contains(member)) << member << " in " << boost::json::serialize(jwk);
    }
    EXPECT_EQ(jwk.at("use").as_string(), "sig");
    EXPECT_EQ(jwk.at("alg").as_string(), to_string(key.algorithm()));
    // It loads back as the same key.
    auto again = PublicKey::from_jwk(jwk);
    ASSERT_TRUE(again.ok()) << again.error().detail;
    EXPECT_EQ(again->thumbprint(), key.thumbprint());
    EXPECT_EQ(again->kid(), key.kid());
  }
}

TEST(JoseKeys, ToJwkOfTheRfcKeysIsExact) {
  auto ec = PublicKey::from_jwk(parse_object(kEcJwk));
  ASSERT_TRUE(ec.ok());
  EXPECT_EQ(boost::json::serialize(ec->to_jwk()),
            R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
            R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"ec-1","alg":"ES256",)"
            R"("use":"sig"})");
}

TEST(JoseKeys, RefusesSymmetricAndPrivateJwks) {
  expect_refused(parse_object(R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ"})"),
                 "symmetric keys (kty oct) are never accepted");
  expect_refused(parse_object(test::kRfc7515EcJwk), "JWK carries private key members");
  expect_refused(parse_object(test::kRfc7520RsaJwk), "JWK carries private key members");
  expect_refused(parse_object(test::kRfc8037Jwk), "JWK carries private key members");
}

TEST(JoseKeys, RefusesKeysNotMeantForVerifying) {
  expect_refused(with(kEcJwk, "use", "enc"), "JWK use is not sig");
  expect_refused(with(kEcJwk, "key_ops", boost::json::array{"encrypt", "sign"}),
                 "JWK key_ops does not allow verify");
  expect_refused(with(kEcJwk, "key_ops", "verify"), "JWK key_ops is not an array");
}

TEST(JoseKeys, RefusesAnAlgThatDoesNotFitTheKeyType) {
  expect_refused(with(kEcJwk, "alg", "RS256"), "JWK alg does not fit its kty");
  expect_refused(with(kEcJwk, "alg", "ES384"), "JWK alg not supported");
  expect_refused(with(public_rsa_jwk(), "alg", "PS256"), "JWK alg not supported");
  expect_refused(with(public_rsa_jwk(), "alg", "HS256"), "JWK alg not supported");
  expect_refused(with(kOkpJwk, "alg", "ES256"), "JWK alg does not fit its kty");
}

TEST(JoseKeys, RefusesOtherCurvesAndKeyTypes) {
  expect_refused(with(kEcJwk, "crv", "P-384"), "EC curve not supported (P-256 is)");
  expect_refused(with(kEcJwk, "crv", "secp256k1"), "EC curve not supported (P-256 is)");
  expect_refused(with(kEcJwk, "crv", nullptr), "EC curve not supported (P-256 is)");
  expect_refused(with(kOkpJwk, "crv", "X25519"), "OKP curve not supported (Ed25519 is)");
  expect_refused(with(kOkpJwk, "crv", "Ed448"), "OKP curve not supported (Ed25519 is)");
  expect_refused(with(kEcJwk, "kty", "EC-X"), "JWK kty not supported (EC, OKP and RSA are)");
  expect_refused(with(kEcJwk, "kty", nullptr), "JWK has no kty");
  expect_refused(with(kEcJwk, "kty", 1), "JWK member kty is not a string");
}

TEST(JoseKeys, RefusesEcPointsNotOnTheCurve) {
  std::string y = unb64(parse_object(kEcJwk).at("y").as_string());
  y[31] = static_cast<char>(y[31] ^ 0x01);
  expect_refused(with(kEcJwk, "y", b64(y)), "EC point is not a valid P-256 public key");
  expect_refused(with(kEcJwk, "x", b64(std::string(32, '\0'))),
                 "EC point is not a valid P-256 public key");
}

TEST(JoseKeys, RefusesCoordinatesOfTheWrongLength) {
  // RFC 7518 section 6.2.1.2: the full 32 bytes, leading zeros kept.
  const std::string x = unb64(parse_object(kEcJwk).at("x").as_string());
  expect_refused(with(kEcJwk, "x", b64(x.substr(1))), "EC x and y must be 32 bytes each");
  expect_refused(with(kEcJwk, "x", b64(std::string(1, '\0') + x)),
                 "EC x and y must be 32 bytes each");
  expect_refused(with(kEcJwk, "y", nullptr), "JWK member y is missing");
  expect_refused(with(kOkpJwk, "x", b64(std::string(31, 'a'))), "OKP x must be 32 bytes");
}

TEST(JoseKeys, RefusesNonCanonicalBase64url) {
  const std::string x(parse_object(kEcJwk).at("x").as_string());
  expect_refused(with(kEcJwk, "x", x + "="), "JWK member x is not canonical base64url");
  expect_refused(with(public_rsa_jwk(), "e", "AQAB=="), "JWK member e is not canonical base64url");
  expect_refused(with(public_rsa_jwk(), "e", "AQB"), "JWK member e is not canonical base64url");
  expect_refused(with(kEcJwk, "x", 5), "JWK member x is not a string");
}

TEST(JoseKeys, RefusesWeakOrOddRsaKeys) {
  const std::string n = unb64(parse_object(public_rsa_jwk()).at("n").as_string());
  expect_refused(with(public_rsa_jwk(), "n", b64(n.substr(0, 128))),
                 "RSA modulus must have 2048 to 8192 bits");
  expect_refused(with(public_rsa_jwk(), "n", b64(std::string(1, '\0') + n)),
                 "RSA n and e must be non-empty without leading zero bytes");
  expect_refused(with(public_rsa_jwk(), "e", b64(std::string("\0\1\0\1", 4))),
                 "RSA n and e must be non-empty without leading zero bytes");
  expect_refused(with(public_rsa_jwk(), "e", b64(std::string("\1\0\0\0\1", 5))),
                 "RSA exponent longer than 32 bits");
  expect_refused(with(public_rsa_jwk(), "e", b64("\2")), "RSA public key fails validation");
  std::string even = n;
  even.back() = static_cast<char>(even.back() & 0xfe);
  expect_refused(with(public_rsa_jwk(), "n", b64(even)), "RSA public key fails validation");
}

TEST(JoseKeys, RefusesABadKid) {
  expect_refused(with(kEcJwk, "kid", 7), "JWK member kid is not a string");
  expect_refused(with(kEcJwk, "kid", std::string(kMaxKidBytes + 1, 'k')),
                 "kid longer than 256 bytes");
}

TEST(JoseKeys, PemRoundTripKeepsTheKey) {
  for (Algorithm algorithm : {Algorithm::es256, Algorithm::eddsa, Algorithm::rs256}) {
    const SigningKey key = generated(algorithm, "round");
    auto pem = key.to_pem();
    ASSERT_TRUE(pem.ok()) << pem.error().detail;
    EXPECT_EQ(pem->rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);  // PKCS#8
    auto loaded = SigningKey::from_pem(*pem, "round");
    ASSERT_TRUE(loaded.ok()) << loaded.error().detail;
    EXPECT_EQ(loaded->algorithm(), algorithm);
    EXPECT_EQ(loaded->public_key().thumbprint(), key.public_key().thumbprint());
    // A token from the reloaded key verifies with the original public key.
    KeySet keys;
    ASSERT_TRUE(keys.add(key.public_key()).ok());
    auto token = sign(*loaded, "{}");
    ASSERT_TRUE(token.ok());
    EXPECT_TRUE(verify(*token, keys, {algorithm}).ok());
    // And the public PEM loads as the same public key.
    auto public_key = PublicKey::from_pem(test::public_pem_of(*pem), "round");
    ASSERT_TRUE(public_key.ok()) << public_key.error().detail;
    EXPECT_EQ(public_key->thumbprint(), key.public_key().thumbprint());
    EXPECT_EQ(public_key->algorithm(), algorithm);
  }
}

TEST(JoseKeys, PemLoadersRefuseOtherKeyTypes) {
  auto p384 = SigningKey::from_pem(test::p384_private_pem(), "k");
  ASSERT_FALSE(p384.ok());
  EXPECT_EQ(p384.error().detail, "EC keys must be on P-256");
  auto small = SigningKey::from_pem(test::rsa_private_pem(1024), "k");
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.error().detail, "RSA modulus must have 2048 to 8192 bits");
  auto x25519 = SigningKey::from_pem(test::x25519_private_pem(), "k");
  ASSERT_FALSE(x25519.ok());
  EXPECT_EQ(x25519.error().detail, "key type not supported (P-256, Ed25519 and RSA are)");
  auto public_p384 = PublicKey::from_pem(test::public_pem_of(test::p384_private_pem()), "k");
  ASSERT_FALSE(public_p384.ok());
  EXPECT_EQ(public_p384.error().detail, "EC keys must be on P-256");
}

TEST(JoseKeys, PemLoadersRefuseEncryptedAndMalformedInputWithoutPrompting) {
  auto generated_pem = generated(Algorithm::es256, "k").to_pem();
  ASSERT_TRUE(generated_pem.ok());
  const std::string& pem = *generated_pem;
  auto encrypted = SigningKey::from_pem(test::encrypted_private_pem(pem, "secret"), "k");
  ASSERT_FALSE(encrypted.ok());
  EXPECT_EQ(encrypted.error().detail, "not an unencrypted PEM private key");
  EXPECT_FALSE(SigningKey::from_pem("", "k").ok());
  EXPECT_EQ(PublicKey::from_pem(std::string_view(), "k").error().detail, "empty PEM");
  EXPECT_FALSE(SigningKey::from_pem(test::public_pem_of(pem), "k").ok());
  EXPECT_FALSE(PublicKey::from_pem(pem.substr(0, pem.size() / 2), "k").ok());
  auto huge = PublicKey::from_pem(std::string(65 * 1024, 'A'), "k");
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().detail, "PEM larger than 64 KiB");
}

TEST(JoseKeys, GeneratedKeysAreDistinctAndCarryTheirKid) {
  const SigningKey a = generated(Algorithm::es256, "a");
  const SigningKey b = generated(Algorithm::es256, "b");
  EXPECT_NE(a.public_key().thumbprint(), b.public_key().thumbprint());
  EXPECT_EQ(a.kid(), "a");
  EXPECT_EQ(a.public_key().kid(), "a");
  EXPECT_EQ(a.public_key().thumbprint().size(), 43u);
}

TEST(JoseKeySet, FindsByKidAndRefusesDuplicates) {
  KeySet keys;
  const SigningKey a = generated(Algorithm::es256, "a");
  ASSERT_TRUE(keys.add(a.public_key()).ok());
  ASSERT_TRUE(keys.add(generated(Algorithm::eddsa, "b").public_key()).ok());
  auto duplicate = keys.add(generated(Algorithm::es256, "a").public_key());
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(keys.size(), 2u);
  ASSERT_NE(keys.find("a"), nullptr);
  EXPECT_EQ(keys.find("a")->thumbprint(), a.public_key().thumbprint());
  EXPECT_EQ(keys.find("c"), nullptr);
  EXPECT_EQ(keys.find(""), nullptr);
}

TEST(JoseKeySet, FromJwksSkipsWhatItCannotUseAndSaysWhy) {
  boost::json::array entries;
  entries.push_back(parse_object(kEcJwk));
  entries.push_back(with(kOkpJwk, "kid", "okp-1"));
  entries.push_back(with(public_rsa_jwk(), "kid", "rsa-1"));
  entries.push_back(parse_object(test::kRfc7520HmacJwk));
  entries.push_back(with(kEcJwk, "use", "enc"));
  entries.push_back(parse_object(test::kRfc7520P521Jwk));
  entries.push_back(with(kEcJwk, "kid", "ec-1"));  // duplicate kid
  entries.push_back("not an object");
  boost::json::object document;
  document["keys"] = std::move(entries);

  auto loaded = KeySet::from_jwks_text(boost::json::serialize(document));
  ASSERT_TRUE(loaded.ok()) << loaded.error().detail;
  EXPECT_EQ(loaded->keys.size(), 3u);
  ASSERT_EQ(loaded->skipped.size(), 5u);
  EXPECT_EQ(loaded->skipped[0], "key 3: symmetric keys (kty oct) are never accepted");
  EXPECT_EQ(loaded->skipped[1], "key 4: JWK use is not sig");
  EXPECT_EQ(loaded->skipped[2], "key 5: EC curve not supported (P-256 is)");
  EXPECT_EQ(loaded->skipped[3], "key 6: a key with this kid is already set");
  EXPECT_EQ(loaded->skipped[4], "key 7: not a JSON object");

  // to_jwks() loads back to the same keys, none skipped.
  auto again = KeySet::from_jwks(loaded->keys.to_jwks());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->skipped.empty());
  ASSERT_EQ(again->keys.size(), 3u);
  for (const PublicKey& key : loaded->keys.keys()) {
    ASSERT_NE(again->keys.find(key.kid()), nullptr);
    EXPECT_EQ(again->keys.find(key.kid())->thumbprint(), key.thumbprint());
  }
}

TEST(JoseKeySet, FromJwksRefusesMalformedDocuments) {
  EXPECT_EQ(KeySet::from_jwks_text("{").error().detail, "JWKS is not valid JSON");
  EXPECT_EQ(KeySet::from_jwks_text("[]").error().detail, "JWKS is not a JSON object");
  EXPECT_EQ(KeySet::from_jwks_text(R"({"keys":{}})").error().detail, "JWKS has no keys array");
  boost::json::array many;
  for (std::size_t i = 0; i <= kMaxJwksKeys; ++i) many.push_back(parse_object(kOkpJwk));
  boost::json::object document;
  document["keys"] = std::move(many);
  auto too_many = KeySet::from_jwks(std::move(document));
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().code, sdk::ErrorCode::limit_exceeded);
}

}  // namespace
}  // namespace lmsgw::jose
