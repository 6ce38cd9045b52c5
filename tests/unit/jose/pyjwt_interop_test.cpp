// Interoperability with an independent implementation, PyJWT (with pyca/cryptography), in both
// directions: PyJWT verifies the gateway's tokens against its JWKS, and the gateway verifies
// tokens PyJWT made from our PEM keys and from PyJWT's own keys and JWKs.
//
// PyJWT is a test dependency installed by tools/install-deps (python3-jwt, python3-cryptography)
// for the system interpreter. When it is missing the tests fail: skipping would let CI pass
// without ever checking interoperability.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "jose/jws.h"
#include "jose/jwt.h"
#include "jose/key_set.h"
#include "jose/keys.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/jose/jose_test_support.h"

namespace lmsgw::jose {
namespace {

using test::generated;

constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kScript = LMSGW_PYJWT_INTEROP_SCRIPT;
constexpr std::string_view kIssuer = "https://gateway.example";
constexpr std::string_view kAudience = "platform-backend";

struct ScriptRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

class JosePyJwtInteropTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string probe =
        std::string(kPython) + " -c 'import jwt, cryptography; print(jwt.__version__)' 2>&1";
    FILE* pipe = ::popen(probe.c_str(), "r");
    std::string output;
    if (pipe != nullptr) {
      std::array<char, 256> buffer{};
      while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) output += buffer.data();
      const int status = ::pclose(pipe);
      available_ = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    problem_ = available_ ? ""
                          : "PyJWT is not usable with " + std::string(kPython) + ": " + output +
                                " -- install python3-jwt and python3-cryptography "
                                "(tools/install-deps does)";
  }

  void SetUp() override { ASSERT_TRUE(available_) << problem_; }

  // Runs the interop script with `arguments`; stdout and stderr are kept apart.
  ScriptRun run(const std::string& arguments) const {
    const std::filesystem::path err = directory_.path() / "stderr.txt";
    const std::string command = std::string(kPython) + " " + quoted(kScript) + " " + arguments +
                                " 2>" + quoted(err.string());
    ScriptRun result;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return result;
    std::array<char, 4096> buffer{};
    std::size_t read = 0;
    while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
      result.out.append(buffer.data(), read);
    }
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.err = testing::read_file(err);
    return result;
  }

  std::string write(std::string_view name, std::string_view content) const {
    return directory_.write(name, content);
  }

  static std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  static boost::json::object claims(std::string_view subject) {
    boost::json::object claims;
    claims["iss"] = kIssuer;
    claims["aud"] = kAudience;
    claims["sub"] = subject;
    claims["iat"] = now_seconds();
    claims["exp"] = now_seconds() + 300;
    return claims;
  }

  static JwtRules rules(Algorithm algorithm) {
    JwtRules rules;
    rules.algorithms = {algorithm};
    rules.claims.issuers = {std::string(kIssuer)};
    rules.claims.audiences = {std::string(kAudience)};
    rules.claims.now = std::chrono::system_clock::now();
    return rules;
  }

  static SigningKey key_for(Algorithm algorithm) {
    // One key per algorithm for the whole suite: RSA generation is the slow part.
    static const std::array<SigningKey, 3> keys = {generated(Algorithm::es256, "gw-es"),
                                                   generated(Algorithm::eddsa, "gw-ed"),
                                                   generated(Algorithm::rs256, "gw-rs")};
    return keys[static_cast<std::size_t>(algorithm)];
  }

  static KeySet gateway_keys() {
    KeySet keys;
    for (Algorithm algorithm : kAlgorithms)
      EXPECT_TRUE(keys.add(key_for(algorithm).public_key()).ok());
    return keys;
  }

  static constexpr Algorithm kAlgorithms[] = {Algorithm::es256, Algorithm::eddsa, Algorithm::rs256};
  static inline bool available_ = false;
  static inline std::string problem_;
  testing::TempDir directory_;
};

TEST_F(JosePyJwtInteropTest, PyJwtVerifiesGatewayTokensAgainstTheGatewayJwks) {
  const std::string jwks = write("jwks.json", boost::json::serialize(gateway_keys().to_jwks()));
  for (Algorithm algorithm : kAlgorithms) {
    const std::string alg(to_string(algorithm));
    auto token =
        sign(key_for(algorithm), boost::json::serialize(claims("acct-" + alg)), {.typ = "at+jwt"});
    ASSERT_TRUE(token.ok()) << token.error().detail;
    const ScriptRun result =
        run("verify --jwks " + quoted(jwks) + " --token " + quoted(write("token-" + alg, *token)) +
            " --alg " + alg + " --iss " + quoted(std::string(kIssuer)) + " --aud " +
            quoted(std::string(kAudience)));
    ASSERT_EQ(result.exit_code, 0) << alg << ": " << result.err;
    const boost::json::object verified = boost::json::parse(result.out).as_object();
    EXPECT_EQ(verified.at("claims").at("sub").as_string(), "acct-" + alg);
    EXPECT_EQ(verified.at("header").at("kid").as_string(), key_for(algorithm).kid());
    EXPECT_EQ(verified.at("header").at("typ").as_string(), "at+jwt");
  }
}

TEST_F(JosePyJwtInteropTest, PyJwtRefusesATamperedGatewayToken) {
  // Shows the script really verifies: the same path as above, one payload byte changed.
  const std::string jwks = write("jwks.json", boost::json::serialize(gateway_keys().to_jwks()));
  auto token = sign(key_for(Algorithm::es256), boost::json::serialize(claims("acct-1")));
  ASSERT_TRUE(token.ok());
  std::string tampered = *token;
  const std::size_t at = tampered.find('.') + 5;
  tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
  const ScriptRun result =
      run("verify --jwks " + quoted(jwks) + " --token " + quoted(write("token", tampered)) +
          " --alg ES256 --iss " + quoted(std::string(kIssuer)) + " --aud " +
          quoted(std::string(kAudience)));
  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_NE(result.err.find("pyjwt refused"), std::string::npos) << result.err;
}

TEST_F(JosePyJwtInteropTest, GatewayVerifiesPyJwtTokensMadeWithGatewayPemKeys) {
  const KeySet keys = gateway_keys();
  for (Algorithm algorithm : kAlgorithms) {
    const std::string alg(to_string(algorithm));
    const SigningKey& key = key_for(algorithm);
    auto pem = key.to_pem();
    ASSERT_TRUE(pem.ok());
    const ScriptRun result =
        run("mint --key " + quoted(write("key-" + alg + ".pem", *pem)) + " --alg " + alg +
            " --kid " + key.kid() + " --typ at+jwt --claims " +
            quoted(write("claims.json", boost::json::serialize(claims("py-" + alg)))));
    ASSERT_EQ(result.exit_code, 0) << alg << ": " << result.err;
    std::string token = result.out;
    while (!token.empty() && token.back() == '\n') token.pop_back();
    JwtRules jwt = rules(algorithm);
    jwt.typ = "at+jwt";
    auto verified = verify_jwt(token, keys, jwt);
    ASSERT_TRUE(verified.ok()) << alg << ": " << verified.error().detail;
    EXPECT_EQ(verified->claims.at("sub").as_string(), "py-" + alg);
    EXPECT_EQ(verified->kid, key.kid());
    // Only the algorithm the key was made for: the others are refused.
    for (Algorithm other : kAlgorithms) {
      if (other == algorithm) continue;
      EXPECT_FALSE(verify_jwt(token, keys, rules(other)).ok()) << alg << " as " << to_string(other);
    }
  }
}

TEST_F(JosePyJwtInteropTest, GatewayLoadsPyJwtJwksAndVerifiesTheirTokens) {
  for (Algorithm algorithm : kAlgorithms) {
    const std::string alg(to_string(algorithm));
    const ScriptRun result =
        run("mint-own --alg " + alg + " --kid py-" + alg + " --claims " +
            quoted(write("claims.json", boost::json::serialize(claims("own-" + alg)))));
    ASSERT_EQ(result.exit_code, 0) << alg << ": " << result.err;
    const boost::json::object minted = boost::json::parse(result.out).as_object();
    auto key = PublicKey::from_jwk(minted.at("jwk").as_object());
    ASSERT_TRUE(key.ok()) << alg << ": " << key.error().detail;
    EXPECT_EQ(key->algorithm(), algorithm);
    KeySet keys;
    ASSERT_TRUE(keys.add(*key).ok());
    const std::string token(minted.at("token").as_string());
    auto verified = verify_jwt(token, keys, rules(algorithm));
    ASSERT_TRUE(verified.ok()) << alg << ": " << verified.error().detail;
    EXPECT_EQ(verified->claims.at("sub").as_string(), "own-" + alg);
    // PyJWT writes typ "JWT" by default; a verifier that wants at+jwt refuses it.
    JwtRules typed = rules(algorithm);
    typed.typ = "at+jwt";
    EXPECT_FALSE(verify_jwt(token, keys, typed).ok());
  }
}

}  // namespace
}  // namespace lmsgw::jose
