// verify() refuses every malformed, unsigned, confused or altered token, one rule per test; each
// forged token is otherwise well signed, so the refusal comes from the rule under test.
#include <gtest/gtest.h>
#include <openssl/err.h>

#include <boost/json/serialize.hpp>
#include <string>

#include "common/crypto.h"
#include "jose/jws.h"
#include "jose/key_set.h"
#include "jose/keys.h"
#include "tests/unit/jose/jose_test_support.h"
#include "tests/unit/jose/rfc_vectors.h"

namespace lmsgw::jose {
namespace {

using test::generated;

using test::b64;
using test::sign_with_header;
using test::unb64;

constexpr std::string_view kPayload = R"({"sub":"a1b2","iss":"https://gw.example"})";
constexpr Algorithm kAll[] = {Algorithm::es256, Algorithm::eddsa, Algorithm::rs256};

class JoseVerifyTest : public ::testing::Test {
 protected:
  JoseVerifyTest() {
    for (const SigningKey* key : {&es_, &ed_, &rs_}) {
      EXPECT_TRUE(keys_.add(key->public_key()).ok());
    }
  }

  std::string signed_token(const SigningKey& key) {
    auto token = sign(key, kPayload);
    EXPECT_TRUE(token.ok());
    return token.ok() ? *token : std::string();
  }

  // Expects a token_invalid refusal with exactly `detail`, which never quotes the token.
  void expect_refused(std::string_view token, std::string_view detail,
                      std::span<const Algorithm> allowed = kAll) {
    auto result = verify(token, keys_, allowed);
    ASSERT_FALSE(result.ok()) << "accepted, expected: " << detail;
    EXPECT_EQ(result.error().code, sdk::ErrorCode::token_invalid);
    EXPECT_EQ(result.error().detail, detail);
    if (token.size() > 8) {
      EXPECT_EQ(result.error().detail.find(token.substr(0, 8)), std::string::npos);
    }
  }

  SigningKey es_ = generated(Algorithm::es256, "es-1");
  SigningKey ed_ = generated(Algorithm::eddsa, "ed-1");
  SigningKey rs_ = test::signing_key_from_jwk(test::kRfc7520RsaJwk, "rs-1");
  KeySet keys_;
};

TEST_F(JoseVerifyTest, AcceptsEachAlgorithmWithItsOwnKey) {
  for (const SigningKey* key : {&es_, &ed_, &rs_}) {
    auto token = sign(*key, kPayload, {.typ = "at+jwt"});
    ASSERT_TRUE(token.ok()) << token.error().detail;
    auto verified = verify(*token, keys_, kAll);
    ASSERT_TRUE(verified.ok()) << verified.error().detail;
    EXPECT_EQ(verified->payload, kPayload);
    EXPECT_EQ(verified->algorithm, key->algorithm());
    EXPECT_EQ(verified->kid, key->kid());
    EXPECT_EQ(boost::json::serialize(verified->header),
              R"({"alg":")" + std::string(to_string(key->algorithm())) + R"(","kid":")" +
                  key->kid() + R"(","typ":"at+jwt"})");
  }
}

TEST_F(JoseVerifyTest, RefusesAlgNone) {
  const std::string header = b64(R"({"alg":"none","kid":"es-1"})");
  // The unsigned form has an empty signature...
  expect_refused(header + "." + b64(kPayload) + ".", "empty part");
  // ... and a forged non-empty one is refused for the algorithm itself.
  expect_refused(header + "." + b64(kPayload) + "." + b64("x"),
                 "alg none (an unsigned token) is never accepted");
  expect_refused(sign_with_header(es_, R"({"alg":"NONE","kid":"es-1"})", kPayload),
                 "alg none (an unsigned token) is never accepted");
}

TEST_F(JoseVerifyTest, RefusesHs256MadeWithThePublicKeyAsTheSecret) {
  // The classic confusion: a verifier that takes alg from the header would check an HMAC keyed
  // with the RSA public key, which the attacker knows.
  const std::string modulus = unb64(test::parse_object(test::kRfc7520RsaJwk).at("n").as_string());
  const std::string jwk_text = boost::json::serialize(rs_.public_key().to_jwk());
  for (const std::string& secret : {jwk_text, modulus}) {
    const std::string input = b64(R"({"alg":"HS256","kid":"rs-1"})") + "." + b64(kPayload);
    const std::string mac(crypto::as_view(crypto::hmac_sha256(secret, input)));
    expect_refused(input + "." + b64(mac), "HMAC algorithms are never accepted");
    // Relabelled RS256, the MAC is not an RSA signature (nor its length).
    const std::string relabelled = b64(R"({"alg":"RS256","kid":"rs-1"})") + "." + b64(kPayload);
    const std::string mac2(crypto::as_view(crypto::hmac_sha256(secret, relabelled)));
    expect_refused(relabelled + "." + b64(mac2), "signature has the wrong length");
  }
}

TEST_F(JoseVerifyTest, RefusesAnRs256TokenForAnEs256Key) {
  // The RSA key signs under the kid of the ES256 key: the key decides, not the header.
  const std::string token = sign_with_header(rs_, R"({"alg":"RS256","kid":"es-1"})", kPayload);
  expect_refused(token, "alg does not match the key's algorithm");
  const Algorithm es_only[] = {Algorithm::es256};
  expect_refused(token, "alg RS256 is not allowed here", es_only);
  // And the other way round.
  expect_refused(sign_with_header(es_, R"({"alg":"ES256","kid":"rs-1"})", kPayload),
                 "alg does not match the key's algorithm");
}

TEST_F(JoseVerifyTest, RefusesAnAlgorithmOutsideTheAllowlist) {
  const Algorithm eddsa_only[] = {Algorithm::eddsa};
  expect_refused(signed_token(es_), "alg ES256 is not allowed here", eddsa_only);
  expect_refused(signed_token(es_), "alg ES256 is not allowed here", {});
}

TEST_F(JoseVerifyTest, RefusesAnUnknownKid) {
  expect_refused(sign_with_header(es_, R"({"alg":"ES256","kid":"es-2"})", kPayload), "kid unknown");
}

TEST_F(JoseVerifyTest, RefusesAMissingKidWhenTheSetHoldsSeveralKeys) {
  const std::string token = sign_with_header(es_, R"({"alg":"ES256"})", kPayload);
  expect_refused(token, "header has no kid and the key set holds several keys");
  // With the one key alone it is that key.
  KeySet single;
  ASSERT_TRUE(single.add(es_.public_key()).ok());
  EXPECT_TRUE(verify(token, single, kAll).ok());
  EXPECT_FALSE(verify(token, KeySet(), kAll).ok());
}

TEST_F(JoseVerifyTest, RefusesAKidThatIsNotAString) {
  expect_refused(sign_with_header(es_, R"({"alg":"ES256","kid":7})", kPayload),
                 "header kid is not a string");
}

TEST_F(JoseVerifyTest, RefusesACritHeader) {
  expect_refused(
      sign_with_header(es_, R"({"alg":"ES256","kid":"es-1","crit":["exp"],"exp":1})", kPayload),
      "crit header is not supported");
}

TEST_F(JoseVerifyTest, RefusesAHeaderThatIsNotAJsonObject) {
  expect_refused(sign_with_header(es_, R"(["alg","ES256"])", kPayload),
                 "header is not a JSON object");
  expect_refused(sign_with_header(es_, R"({"alg":"ES256",})", kPayload),
                 "header is not a JSON object");
  expect_refused(sign_with_header(es_, R"({"alg":256,"kid":"es-1"})", kPayload),
                 "header alg is not a string");
  expect_refused(sign_with_header(es_, R"({"kid":"es-1"})", kPayload), "header has no alg");
}

TEST_F(JoseVerifyTest, RefusesPaddedBase64url) {
  const std::string token = signed_token(ed_);  // 64-byte signature: 86 characters + "=="
  expect_refused(token + "==", "not base64url");
  const std::size_t dot = token.find('.');
  expect_refused(token.substr(0, dot) + "=" + token.substr(dot), "not base64url");
}

TEST_F(JoseVerifyTest, RefusesPlainBase64Characters) {
  std::string token = signed_token(es_);
  const std::size_t last = token.rfind('.') + 1;
  for (char c : {'+', '/'}) {
    std::string altered = token;
    altered[last + 3] = c;
    expect_refused(altered, "not base64url");
  }
}

TEST_F(JoseVerifyTest, RefusesWhitespace) {
  const std::string token = signed_token(es_);
  expect_refused(token + "\n", "not base64url");
  expect_refused(" " + token, "not base64url");
  std::string inner = token;
  inner.insert(token.rfind('.') + 10, " ");
  expect_refused(inner, "not base64url");
}

TEST_F(JoseVerifyTest, RefusesNonCanonicalTrailingBits) {
  // 64 bytes take 86 characters with 4 spare bits, which must be zero: 'A' -> 'B' sets one.
  std::string token = signed_token(es_);
  const char last = token.back();
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  token.back() = alphabet[alphabet.find(last) + 1];
  expect_refused(token, "signature is not canonical base64url");
}

TEST_F(JoseVerifyTest, RefusesTwoParts) {
  const std::string token = signed_token(es_);
  expect_refused(token.substr(0, token.rfind('.')), "fewer than three parts");
  expect_refused("abc", "fewer than three parts");
}

TEST_F(JoseVerifyTest, RefusesFourParts) {
  expect_refused(signed_token(es_) + "." + b64("x"), "more than three parts");
}

TEST_F(JoseVerifyTest, RefusesAnOversizedToken) {
  const std::string big(9000, 'a');
  const std::string payload = R"({"pad":")" + big + "\"}";
  // Our own signer refuses to make it...
  auto made = sign(es_, payload + payload);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().code, sdk::ErrorCode::limit_exceeded);
  // ... and a token one byte over the limit is refused unread.
  std::string token = signed_token(es_);
  token.insert(token.find('.') + 1, std::string(kMaxCompactBytes + 1 - token.size(), 'A'));
  ASSERT_EQ(token.size(), kMaxCompactBytes + 1);
  expect_refused(token, "token longer than 16 KiB");
  // Just under the limit is fine.
  auto fits = sign(es_, payload);
  ASSERT_TRUE(fits.ok());
  EXPECT_TRUE(verify(*fits, keys_, kAll).ok());
}

TEST_F(JoseVerifyTest, RefusesATamperedPayload) {
  const std::string token = signed_token(es_);
  const std::size_t first = token.find('.');
  const std::size_t second = token.rfind('.');
  const std::string forged = token.substr(0, first + 1) +
                             b64(R"({"sub":"admin","iss":"https://gw.example"})") +
                             token.substr(second);
  expect_refused(forged, "signature invalid");
}

TEST_F(JoseVerifyTest, RefusesATamperedHeader) {
  const std::string token = signed_token(es_);
  const std::string forged =
      b64(R"({"alg":"ES256","kid":"es-1","typ":"at+jwt"})") + token.substr(token.find('.'));
  expect_refused(forged, "signature invalid");
}

TEST_F(JoseVerifyTest, RefusesATamperedSignature) {
  for (const SigningKey* key : {&es_, &ed_, &rs_}) {
    const std::string token = signed_token(*key);
    const std::size_t last = token.rfind('.') + 1;
    std::string signature = unb64(token.substr(last));
    signature[signature.size() / 2] = static_cast<char>(signature[signature.size() / 2] ^ 0x80);
    expect_refused(token.substr(0, last) + b64(signature), "signature invalid");
  }
}

TEST_F(JoseVerifyTest, RefusesAnEs256SignatureOfTheWrongLength) {
  const std::string token = signed_token(es_);
  const std::size_t last = token.rfind('.') + 1;
  const std::string signature = unb64(token.substr(last));
  // Truncated, one byte over, and the length of the DER form some libraries emit.
  for (const std::string& wrong :
       {signature.substr(0, 63), signature + "\x01", std::string(72, '\x30')}) {
    expect_refused(token.substr(0, last) + b64(wrong), "signature has the wrong length");
  }
}

TEST_F(JoseVerifyTest, LeavesNoOpenSslErrorBehind) {
  ERR_clear_error();
  const std::string token = signed_token(rs_);
  const std::size_t last = token.rfind('.') + 1;
  std::string signature = unb64(token.substr(last));
  signature[0] = static_cast<char>(signature[0] ^ 0xff);  // may exceed the modulus
  EXPECT_FALSE(verify(token.substr(0, last) + b64(signature), keys_, kAll).ok());
  EXPECT_EQ(ERR_peek_error(), 0u);
  EXPECT_FALSE(
      PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "x")
          .ok());
  EXPECT_EQ(ERR_peek_error(), 0u);
  EXPECT_FALSE(SigningKey::from_pem("not a key", "x").ok());
  EXPECT_EQ(ERR_peek_error(), 0u);
}

}  // namespace
}  // namespace lmsgw::jose
