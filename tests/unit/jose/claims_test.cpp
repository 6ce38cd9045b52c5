// check_claims() and verify_jwt(): each claim rule refuses exactly what it should, with the
// leeway applied at the edges.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <chrono>
#include <string>

#include "jose/jws.h"
#include "jose/jwt.h"
#include "tests/unit/jose/jose_test_support.h"
#include "tests/unit/jose/rfc_vectors.h"

namespace lmsgw::jose {
namespace {

using std::chrono::seconds;
using test::parse_object;

constexpr std::int64_t kNow = 1'750'000'000;

ClaimRules rules() {
  ClaimRules rules;
  rules.issuers = {"https://accounts.google.com", "accounts.google.com"};
  rules.audiences = {"client-123"};
  rules.now = std::chrono::system_clock::time_point(seconds(kNow));
  return rules;
}

boost::json::object claims() {
  boost::json::object claims;
  claims["iss"] = "https://accounts.google.com";
  claims["aud"] = "client-123";
  claims["sub"] = "1100";
  claims["iat"] = kNow - 10;
  claims["exp"] = kNow + 3600;
  return claims;
}

void expect_refused(const boost::json::object& claims, const ClaimRules& rules,
                    std::string_view detail) {
  auto result = check_claims(claims, rules);
  ASSERT_FALSE(result.ok()) << "accepted, expected: " << detail;
  EXPECT_EQ(result.error().code, sdk::ErrorCode::token_invalid);
  EXPECT_EQ(result.error().detail, detail);
}

TEST(JoseClaims, AcceptsValidClaims) {
  EXPECT_TRUE(check_claims(claims(), rules()).ok());
  auto array_audience = claims();
  array_audience["aud"] = boost::json::array{"other", "client-123"};
  EXPECT_TRUE(check_claims(array_audience, rules()).ok());
  auto second_issuer = claims();
  second_issuer["iss"] = "accounts.google.com";
  EXPECT_TRUE(check_claims(second_issuer, rules()).ok());
}

TEST(JoseClaims, RefusesAnExpiredToken) {
  auto expired = claims();
  expired["exp"] = kNow - 60;  // now < exp + leeway fails at exactly the leeway
  expect_refused(expired, rules(), "token expired");
  expired["exp"] = kNow - 59;
  EXPECT_TRUE(check_claims(expired, rules()).ok());
  auto strict = rules();
  strict.leeway = seconds(0);
  expired["exp"] = kNow;
  expect_refused(expired, strict, "token expired");
}

TEST(JoseClaims, RefusesATokenNotYetValid) {
  auto early = claims();
  early["nbf"] = kNow + 61;
  expect_refused(early, rules(), "token not yet valid");
  early["nbf"] = kNow + 60;
  EXPECT_TRUE(check_claims(early, rules()).ok());
}

TEST(JoseClaims, RefusesAnIatInTheFuture) {
  auto future = claims();
  future["iat"] = kNow + 61;
  expect_refused(future, rules(), "iat in the future");
  future["iat"] = kNow + 60;
  EXPECT_TRUE(check_claims(future, rules()).ok());
}

TEST(JoseClaims, RefusesAWrongIssuer) {
  for (const char* issuer : {"https://accounts.google.com/", "https://evil.example",
                             "HTTPS://ACCOUNTS.GOOGLE.COM", ""}) {
    auto wrong = claims();
    wrong["iss"] = issuer;
    expect_refused(wrong, rules(), "iss not accepted");
  }
  auto number = claims();
  number["iss"] = 1;
  expect_refused(number, rules(), "iss not accepted");
  auto missing = claims();
  missing.erase("iss");
  expect_refused(missing, rules(), "iss missing");
}

TEST(JoseClaims, RefusesAWrongAudience) {
  auto wrong = claims();
  wrong["aud"] = "client-1234";
  expect_refused(wrong, rules(), "aud not accepted");
  wrong["aud"] = boost::json::array{"a", "b"};
  expect_refused(wrong, rules(), "aud not accepted");
  wrong["aud"] = boost::json::array{};
  expect_refused(wrong, rules(), "aud not accepted");
  wrong["aud"] = boost::json::array{"client-123", 5};
  expect_refused(wrong, rules(), "aud holds a non-string");
  wrong["aud"] = 123;
  expect_refused(wrong, rules(), "aud is neither a string nor an array");
  wrong.erase("aud");
  expect_refused(wrong, rules(), "aud missing");
}

TEST(JoseClaims, RefusesAMissingExp) {
  auto missing = claims();
  missing.erase("exp");
  expect_refused(missing, rules(), "exp missing");
  // Security event tokens carry no exp; a present one is still checked.
  auto no_expiry = rules();
  no_expiry.require_expiry = false;
  EXPECT_TRUE(check_claims(missing, no_expiry).ok());
  missing["exp"] = kNow - 3600;
  expect_refused(missing, no_expiry, "token expired");
}

TEST(JoseClaims, RefusesNumericClaimsThatAreNotNumbers) {
  auto text = claims();
  text["exp"] = std::to_string(kNow + 3600);
  expect_refused(text, rules(), "exp is not a number");
  auto boolean = claims();
  boolean["exp"] = true;
  expect_refused(boolean, rules(), "exp is not a number");
  auto nbf = claims();
  nbf["nbf"] = "0";
  expect_refused(nbf, rules(), "nbf is not a number");
  auto iat = claims();
  iat["iat"] = nullptr;
  expect_refused(iat, rules(), "iat is not a number");
}

TEST(JoseClaims, AcceptsFractionalAndHugeNumericDates) {
  auto fractional = claims();
  fractional["exp"] = static_cast<double>(kNow) - 59.5;
  EXPECT_TRUE(check_claims(fractional, rules()).ok());
  fractional["exp"] = static_cast<double>(kNow) - 60.5;
  expect_refused(fractional, rules(), "token expired");
  auto huge = claims();
  huge["exp"] = 1e300;
  EXPECT_TRUE(check_claims(huge, rules()).ok());
  huge["exp"] = std::numeric_limits<std::uint64_t>::max();
  EXPECT_TRUE(check_claims(huge, rules()).ok());
  huge["exp"] = std::numeric_limits<std::int64_t>::min();
  expect_refused(huge, rules(), "token expired");
}

TEST(JoseClaims, RefusesAWrongNonce) {
  auto with_nonce = rules();
  with_nonce.nonce = "n-0S6_WzA2Mj";
  auto token = claims();
  expect_refused(token, with_nonce, "nonce missing");
  token["nonce"] = "n-0S6_WzA2Mk";
  expect_refused(token, with_nonce, "nonce mismatch");
  token["nonce"] = "n-0S6_WzA2M";
  expect_refused(token, with_nonce, "nonce mismatch");
  token["nonce"] = 12;
  expect_refused(token, with_nonce, "nonce mismatch");
  token["nonce"] = "n-0S6_WzA2Mj";
  EXPECT_TRUE(check_claims(token, with_nonce).ok());
}

TEST(JoseClaims, RefusesATokenOlderThanMaxAge) {
  auto fresh_only = rules();
  fresh_only.max_age = seconds(300);
  auto old = claims();
  old["iat"] = kNow - 361;
  expect_refused(old, fresh_only, "token too old");
  old["iat"] = kNow - 360;
  EXPECT_TRUE(check_claims(old, fresh_only).ok());
  old.erase("iat");
  expect_refused(old, fresh_only, "iat missing");
}

TEST(JoseClaims, UnusableRulesAreAnInternalError) {
  auto no_issuer = rules();
  no_issuer.issuers.clear();
  auto no_audience = rules();
  no_audience.audiences.clear();
  auto no_time = rules();
  no_time.now = {};
  auto negative = rules();
  negative.leeway = seconds(-1);
  for (const ClaimRules& broken : {no_issuer, no_audience, no_time, negative}) {
    auto result = check_claims(claims(), broken);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, sdk::ErrorCode::internal);
  }
}

class JoseVerifyJwtTest : public ::testing::Test {
 protected:
  JoseVerifyJwtTest() { EXPECT_TRUE(keys_.add(key_.public_key()).ok()); }

  JwtRules jwt_rules() const {
    JwtRules jwt;
    jwt.algorithms = {Algorithm::es256};
    jwt.typ = "at+jwt";
    jwt.claims = rules();
    return jwt;
  }

  SigningKey key_ = test::generated(Algorithm::es256, "gw-1");
  KeySet keys_;
};

TEST_F(JoseVerifyJwtTest, ReturnsHeaderAndClaims) {
  auto token = sign(key_, boost::json::serialize(claims()), {.typ = "at+jwt"});
  ASSERT_TRUE(token.ok());
  auto verified = verify_jwt(*token, keys_, jwt_rules());
  ASSERT_TRUE(verified.ok()) << verified.error().detail;
  EXPECT_EQ(verified->claims.at("sub").as_string(), "1100");
  EXPECT_EQ(verified->header.at("typ").as_string(), "at+jwt");
  EXPECT_EQ(verified->kid, "gw-1");
  EXPECT_EQ(verified->algorithm, Algorithm::es256);
}

TEST_F(JoseVerifyJwtTest, ChecksTheClaims) {
  auto expired = claims();
  expired["exp"] = kNow - 3600;
  auto token = sign(key_, boost::json::serialize(expired), {.typ = "at+jwt"});
  ASSERT_TRUE(token.ok());
  auto verified = verify_jwt(*token, keys_, jwt_rules());
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().detail, "token expired");
}

TEST_F(JoseVerifyJwtTest, TypIsComparedAsAMediaType) {
  for (const char* typ : {"at+jwt", "AT+JWT", "application/at+jwt", "Application/At+JWT"}) {
    auto token = sign(key_, boost::json::serialize(claims()), {.typ = typ});
    ASSERT_TRUE(token.ok());
    EXPECT_TRUE(verify_jwt(*token, keys_, jwt_rules()).ok()) << typ;
  }
  for (const char* typ : {"JWT", "", "logout+jwt", "application/"}) {
    auto token = sign(key_, boost::json::serialize(claims()), {.typ = typ});
    ASSERT_TRUE(token.ok());
    auto verified = verify_jwt(*token, keys_, jwt_rules());
    ASSERT_FALSE(verified.ok()) << typ;
    EXPECT_EQ(verified.error().detail, "typ is not the expected type");
  }
}

TEST_F(JoseVerifyJwtTest, RefusesAPayloadThatIsNotAJsonObject) {
  // RFC 8037's example JWS is valid but signs a sentence, not a claims set.
  KeySet rfc_keys;
  ASSERT_TRUE(rfc_keys.add(test::public_key_from_jwk(test::kRfc8037Jwk)).ok());
  JwtRules eddsa = jwt_rules();
  eddsa.algorithms = {Algorithm::eddsa};
  eddsa.typ.reset();
  auto verified = verify_jwt(test::kRfc8037Jws, rfc_keys, eddsa);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().detail, "payload is not a JSON object");

  auto array = sign(key_, "[1,2]", {.typ = "at+jwt"});
  ASSERT_TRUE(array.ok());
  EXPECT_EQ(verify_jwt(*array, keys_, jwt_rules()).error().detail, "payload is not a JSON object");
}

}  // namespace
}  // namespace lmsgw::jose
