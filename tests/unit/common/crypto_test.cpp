#include "common/crypto.h"

#include <gtest/gtest.h>

#include <set>

#include "lmsgw/sdk/encoding.h"

namespace lmsgw::crypto {
namespace {

// RFC 4648 section 10 test vectors.
TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Url, RoundTripsEveryByteWithoutPadding) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  const std::string encoded = base64url_encode(all);
  EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
  EXPECT_EQ(base64url_decode(encoded), all);
}

TEST(Base64Url, RejectsForeignCharactersAndNonCanonicalInput) {
  EXPECT_FALSE(base64url_decode("Zm9v+mFy").has_value());
  EXPECT_FALSE(base64url_decode("Z").has_value());
  // "Zh" decodes to 'f' only if its unused low bits are zero; they are not.
  EXPECT_FALSE(base64url_decode("Zh").has_value());
  EXPECT_EQ(base64url_decode("Zg"), "f");
  EXPECT_EQ(base64url_decode("Zg=="), "f");
  EXPECT_EQ(sdk::base64_decode("Zm9vYmE="), "fooba");
}

TEST(Sha256, MatchesFips180Vector) {
  EXPECT_EQ(hex_encode(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// RFC 4231 test case 2.
TEST(HmacSha256, MatchesRfc4231Vector) {
  EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_TRUE(constant_time_equal(std::string_view{}, std::string_view{}));
  EXPECT_TRUE(constant_time_equal(sha256("a"), sha256("a")));
  EXPECT_FALSE(constant_time_equal(sha256("a"), sha256("b")));
}

TEST(Aead, OpensWhatItSealedAndNothingElse) {
  const std::string key(32, 'k');
  const std::string sealed = aead_seal(key, "the plaintext", "state-1");
  EXPECT_EQ(sealed.size(), 13u + 28u);
  EXPECT_EQ(sealed.find("the plaintext"), std::string::npos);
  EXPECT_EQ(aead_open(key, sealed, "state-1"), "the plaintext");
  // Another context, another key, or one flipped bit anywhere: refused.
  EXPECT_FALSE(aead_open(key, sealed, "state-2").has_value());
  EXPECT_FALSE(aead_open(std::string(32, 'x'), sealed, "state-1").has_value());
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::string altered = sealed;
    altered[i] = static_cast<char>(altered[i] ^ 1);
    EXPECT_FALSE(aead_open(key, altered, "state-1").has_value()) << "byte " << i;
  }
  EXPECT_FALSE(aead_open(key, sealed.substr(0, 20), "state-1").has_value());
  // A fresh nonce each time: sealing twice never gives the same box.
  EXPECT_NE(aead_seal(key, "the plaintext", "state-1"), sealed);
  EXPECT_EQ(aead_open(key, aead_seal(key, "", "a"), "a"), "");
}

TEST(RandomToken, HasRequestedEntropyAndDoesNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string token = random_token(32);
    EXPECT_EQ(token.size(), 43u);
    EXPECT_TRUE(seen.insert(token).second);
  }
}

}  // namespace
}  // namespace lmsgw::crypto
