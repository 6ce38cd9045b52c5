// The module against the published JOSE examples: deterministic signatures are remade byte for
// byte, randomised ones verify, thumbprints match, and the RFCs' other algorithms are refused.
#include <gtest/gtest.h>

#include <string>

#include "jose/jws.h"
#include "jose/key_set.h"
#include "jose/keys.h"
#include "tests/unit/jose/jose_test_support.h"
#include "tests/unit/jose/rfc_vectors.h"

namespace lmsgw::jose {
namespace {

using test::b64;
using test::public_key_from_jwk;
using test::signing_key_from_jwk;
using test::unb64;

KeySet set_of(const PublicKey& key) {
  KeySet keys;
  EXPECT_TRUE(keys.add(key).ok());
  return keys;
}

// The token with one byte of its decoded part `index` (0 header, 1 payload, 2 signature) XORed.
std::string flip_byte(std::string_view token, int index, std::size_t at) {
  std::string parts[3];
  std::size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    const std::size_t end = i == 2 ? token.size() : token.find('.', start);
    parts[i] = std::string(token.substr(start, end - start));
    start = end + 1;
  }
  std::string bytes = unb64(parts[index]);
  bytes[at % bytes.size()] = static_cast<char>(bytes[at % bytes.size()] ^ 0x01);
  parts[index] = b64(bytes);
  return parts[0] + "." + parts[1] + "." + parts[2];
}

TEST(JoseRfcVectors, Rfc7515A2Rs256VerifiesWithTheAppendixKey) {
  const KeySet keys = set_of(public_key_from_jwk(test::kRfc7515RsaJwk));
  auto verified = verify(test::kRfc7515Rs256Jws, keys, {Algorithm::rs256});
  ASSERT_TRUE(verified.ok()) << verified.error().detail;
  EXPECT_EQ(verified->payload, test::kRfc7515Payload);
  EXPECT_EQ(verified->algorithm, Algorithm::rs256);
  EXPECT_EQ(verified->header.at("alg").as_string(), "RS256");
}

TEST(JoseRfcVectors, Rfc7515A2Rs256SigningRemakesTheExactJws) {
  const SigningKey key = signing_key_from_jwk(test::kRfc7515RsaJwk, "");
  auto token = sign(key, test::kRfc7515Payload);
  ASSERT_TRUE(token.ok()) << token.error().detail;
  EXPECT_EQ(*token, test::kRfc7515Rs256Jws);
}

TEST(JoseRfcVectors, Rfc7515A3Es256VerifiesAndEveryTamperedPartFails) {
  const KeySet keys = set_of(public_key_from_jwk(test::kRfc7515EcJwk));
  auto verified = verify(test::kRfc7515Es256Jws, keys, {Algorithm::es256});
  ASSERT_TRUE(verified.ok()) << verified.error().detail;
  EXPECT_EQ(verified->payload, test::kRfc7515Payload);

  for (std::size_t at : {0u, 20u, 31u, 32u, 63u}) {
    auto tampered = verify(flip_byte(test::kRfc7515Es256Jws, 2, at), keys, {Algorithm::es256});
    ASSERT_FALSE(tampered.ok()) << "signature byte " << at;
    EXPECT_EQ(tampered.error().detail, "signature invalid");
  }
  auto payload = verify(flip_byte(test::kRfc7515Es256Jws, 1, 9), keys, {Algorithm::es256});
  ASSERT_FALSE(payload.ok());
  EXPECT_EQ(payload.error().detail, "signature invalid");
}

TEST(JoseRfcVectors, Rfc7515A3OurEs256SignatureIsRawRAndSAndVerifies) {
  const SigningKey key = signing_key_from_jwk(test::kRfc7515EcJwk, "");
  auto token = sign(key, test::kRfc7515Payload);
  ASSERT_TRUE(token.ok()) << token.error().detail;
  const std::string signature = unb64(token->substr(token->rfind('.') + 1));
  EXPECT_EQ(signature.size(), 64u);  // R || S, not DER
  EXPECT_TRUE(verify(*token, set_of(key.public_key()), {Algorithm::es256}).ok());
  // The appendix key's public half verifies our signature as well as the appendix's.
  EXPECT_TRUE(
      verify(*token, set_of(public_key_from_jwk(test::kRfc7515EcJwk)), {Algorithm::es256}).ok());
}

TEST(JoseRfcVectors, Rfc8037A4Ed25519SigningRemakesTheExactJws) {
  const SigningKey key = signing_key_from_jwk(test::kRfc8037Jwk, "");
  EXPECT_EQ(key.algorithm(), Algorithm::eddsa);
  auto token = sign(key, test::kRfc8037Payload);
  ASSERT_TRUE(token.ok()) << token.error().detail;
  EXPECT_EQ(*token, test::kRfc8037Jws);
}

TEST(JoseRfcVectors, Rfc8037A5Ed25519VerifiesAndATamperedByteFails) {
  const KeySet keys = set_of(public_key_from_jwk(test::kRfc8037Jwk));
  auto verified = verify(test::kRfc8037Jws, keys, {Algorithm::eddsa});
  ASSERT_TRUE(verified.ok()) << verified.error().detail;
  EXPECT_EQ(verified->payload, test::kRfc8037Payload);
  EXPECT_FALSE(verify(flip_byte(test::kRfc8037Jws, 2, 40), keys, {Algorithm::eddsa}).ok());
  EXPECT_FALSE(verify(flip_byte(test::kRfc8037Jws, 1, 3), keys, {Algorithm::eddsa}).ok());
}

TEST(JoseRfcVectors, Rfc8037A3Ed25519Thumbprint) {
  EXPECT_EQ(public_key_from_jwk(test::kRfc8037Jwk).thumbprint(), test::kRfc8037Thumbprint);
}

TEST(JoseRfcVectors, Rfc7638Section3_1RsaThumbprint) {
  auto key = PublicKey::from_jwk(test::parse_object(test::kRfc7638Jwk));
  ASSERT_TRUE(key.ok()) << key.error().detail;
  EXPECT_EQ(key->thumbprint(), test::kRfc7638Thumbprint);
  EXPECT_EQ(key->kid(), "2011-04-29");
}

TEST(JoseRfcVectors, EcThumbprintOfTheRfc7517A1Key) {
  // RFC 7517 A.1's EC key (its "use":"enc" left out, we only load signing keys); the thumbprint
  // is the one jwcrypto's test suite records for it, an independent computation.
  auto key = PublicKey::from_jwk(test::parse_object(
      R"({"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
          "y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM","kid":"1"})"));
  ASSERT_TRUE(key.ok()) << key.error().detail;
  EXPECT_EQ(key->thumbprint(), "cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s");
}

TEST(JoseRfcVectors, Rfc7520Section4_1Rs256VerifiesAndSigningRemakesIt) {
  const PublicKey public_key = public_key_from_jwk(test::kRfc7520RsaJwk);
  EXPECT_EQ(public_key.kid(), "bilbo.baggins@hobbiton.example");
  auto verified = verify(test::kRfc7520Rs256Jws, set_of(public_key), {Algorithm::rs256});
  ASSERT_TRUE(verified.ok()) << verified.error().detail;
  EXPECT_EQ(verified->payload, test::kRfc7520Payload);
  EXPECT_EQ(verified->kid, "bilbo.baggins@hobbiton.example");

  const SigningKey key = signing_key_from_jwk(test::kRfc7520RsaJwk, public_key.kid());
  auto token = sign(key, test::kRfc7520Payload);
  ASSERT_TRUE(token.ok()) << token.error().detail;
  EXPECT_EQ(*token, test::kRfc7520Rs256Jws);
}

TEST(JoseRfcVectors, Rfc7520UnsupportedAlgorithmsAreRefusedByName) {
  const KeySet keys = set_of(public_key_from_jwk(test::kRfc7520RsaJwk));
  const Algorithm all[] = {Algorithm::es256, Algorithm::eddsa, Algorithm::rs256};

  auto ps384 = verify(test::kRfc7520Ps384Jws, keys, all);  // section 4.2
  ASSERT_FALSE(ps384.ok());
  EXPECT_EQ(ps384.error().code, sdk::ErrorCode::token_invalid);
  EXPECT_EQ(ps384.error().detail, "alg PS384 is not supported");

  auto es512 = verify(test::kRfc7520Es512Jws, keys, all);  // section 4.3
  ASSERT_FALSE(es512.ok());
  EXPECT_EQ(es512.error().detail, "alg ES512 is not supported");

  auto hs256 = verify(test::kRfc7520Hs256Jws, keys, all);  // section 4.4
  ASSERT_FALSE(hs256.ok());
  EXPECT_EQ(hs256.error().detail, "HMAC algorithms are never accepted");

  // Nor are their keys: P-521 (figure 1) and the symmetric key (figure 5).
  auto p521 = PublicKey::from_jwk(test::parse_object(test::kRfc7520P521Jwk));
  ASSERT_FALSE(p521.ok());
  EXPECT_EQ(p521.error().detail, "EC curve not supported (P-256 is)");
  auto oct = PublicKey::from_jwk(test::parse_object(test::kRfc7520HmacJwk));
  ASSERT_FALSE(oct.ok());
  EXPECT_EQ(oct.error().detail, "symmetric keys (kty oct) are never accepted");
}

}  // namespace
}  // namespace lmsgw::jose
