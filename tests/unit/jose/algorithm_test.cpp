#include "jose/algorithm.h"

#include <gtest/gtest.h>

namespace lmsgw::jose {
namespace {

TEST(JoseAlgorithm, NamesRoundTrip) {
  for (Algorithm algorithm : {Algorithm::es256, Algorithm::eddsa, Algorithm::rs256}) {
    EXPECT_EQ(algorithm_from_string(to_string(algorithm)), algorithm);
  }
  EXPECT_EQ(to_string(Algorithm::es256), "ES256");
  EXPECT_EQ(to_string(Algorithm::eddsa), "EdDSA");
  EXPECT_EQ(to_string(Algorithm::rs256), "RS256");
}

TEST(JoseAlgorithm, EveryOtherNameIsRefused) {
  for (const char* name :
       {"none",  "None",  "NONE",  "HS256", "HS384",  "HS512",  "ES384",   "ES512",
        "PS256", "PS384", "PS512", "RS384", "RS512",  "ES256K", "Ed25519", "Ed448",
        "es256", "rs256", "EDDSA", "",      "ES256 ", " RS256"}) {
    EXPECT_FALSE(algorithm_from_string(name).has_value()) << name;
  }
}

TEST(JoseAlgorithm, RefusalReasonsNameRegisteredAlgorithmsOnly) {
  EXPECT_EQ(refusal_reason("none"), "alg none (an unsigned token) is never accepted");
  EXPECT_EQ(refusal_reason("nOnE"), "alg none (an unsigned token) is never accepted");
  EXPECT_EQ(refusal_reason("HS256"), "HMAC algorithms are never accepted");
  EXPECT_EQ(refusal_reason("hs512"), "HMAC algorithms are never accepted");
  EXPECT_EQ(refusal_reason("PS256"), "alg PS256 is not supported");
  // Attacker-chosen text is not echoed.
  EXPECT_EQ(refusal_reason("<script>"), "alg is not a supported algorithm");
}

}  // namespace
}  // namespace lmsgw::jose
