// Signing and verifying compact tokens the size of the gateway's access tokens, end to end:
// header JSON, base64url, the signature, and (for verify) parsing, key lookup and checks.
// Compare with `openssl speed ecdsap256 ed25519 rsa2048`, which times the bare primitive.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "jose/jws.h"
#include "jose/jwt.h"
#include "jose/key_set.h"
#include "jose/keys.h"

namespace lmsgw::jose {
namespace {

constexpr std::int64_t kIssuedAt = 1'750'000'000;

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "benchmark setup failed: %s\n", why.c_str());
  std::exit(1);
}

std::string access_token_claims() {
  boost::json::object claims;
  claims["iss"] = "https://gateway.example.org";
  claims["sub"] = "acc_5Jx0rQk2Vb8mWz1LcT9pYd";
  claims["aud"] = "platform";
  claims["iat"] = kIssuedAt;
  claims["exp"] = kIssuedAt + 900;
  claims["sid"] = "ses_Yt3nQ8rLw0ZpKx2Vc7Bm";
  claims["role"] = "student";
  claims["district"] = "d-4821";
  claims["age_band"] = "under13";
  claims["name"] = "Ana";
  return boost::json::serialize(claims);
}

// RS256 is benchmarked with a 2048-bit key, the size Google signs id tokens with (and the one
// `openssl speed rsa2048` uses); SigningKey::generate() would make 3072 bits.
SigningKey rsa2048_key() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
  BIO* bio = BIO_new(BIO_s_mem());
  if (pkey == nullptr || bio == nullptr ||
      PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    fail("RSA key generation");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  auto key = SigningKey::from_pem(std::string_view(data, static_cast<std::size_t>(length)), "rs");
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  if (!key) fail(key.error().detail);
  return *key;
}

SigningKey key_for(Algorithm algorithm) {
  if (algorithm == Algorithm::rs256) return rsa2048_key();
  auto key = SigningKey::generate(algorithm, algorithm == Algorithm::es256 ? "es" : "ed");
  if (!key) fail(key.error().detail);
  return *key;
}

void sign_token(benchmark::State& state, Algorithm algorithm) {
  const SigningKey key = key_for(algorithm);
  const std::string payload = access_token_claims();
  for (auto _ : state) {
    auto token = sign(key, payload, {.typ = "at+jwt"});
    if (!token) fail(token.error().detail);
    benchmark::DoNotOptimize(token);
  }
}

void verify_token(benchmark::State& state, Algorithm algorithm) {
  const SigningKey key = key_for(algorithm);
  KeySet keys;
  if (!keys.add(key.public_key())) fail("key set");
  auto token = sign(key, access_token_claims(), {.typ = "at+jwt"});
  if (!token) fail(token.error().detail);
  const Algorithm allowed[] = {algorithm};
  for (auto _ : state) {
    auto verified = verify(*token, keys, allowed);
    if (!verified) fail(verified.error().detail);
    benchmark::DoNotOptimize(verified);
  }
}

// The signature check alone (PublicKey::check_signature), to separate the token handling
// (split, base64url, header JSON, key lookup) from the EVP call.
void check_signature_only(benchmark::State& state, Algorithm algorithm) {
  const SigningKey key = key_for(algorithm);
  const std::string input = "eyJhbGciOiJFUzI1NiJ9." + access_token_claims();
  auto signature = key.signature(input);
  if (!signature) fail(signature.error().detail);
  const PublicKey& public_key = key.public_key();
  for (auto _ : state) {
    if (!public_key.check_signature(input, *signature)) fail("signature");
  }
}

// The gateway's real check of one of its access tokens: verify() plus typ and claims.
void verify_access_token(benchmark::State& state) {
  const SigningKey key = key_for(Algorithm::es256);
  KeySet keys;
  if (!keys.add(key.public_key())) fail("key set");
  auto token = sign(key, access_token_claims(), {.typ = "at+jwt"});
  if (!token) fail(token.error().detail);
  JwtRules rules;
  rules.algorithms = {Algorithm::es256};
  rules.typ = "at+jwt";
  rules.claims.issuers = {"https://gateway.example.org"};
  rules.claims.audiences = {"platform"};
  rules.claims.now = std::chrono::system_clock::time_point(std::chrono::seconds(kIssuedAt + 60));
  for (auto _ : state) {
    auto verified = verify_jwt(*token, keys, rules);
    if (!verified) fail(verified.error().detail);
    benchmark::DoNotOptimize(verified);
  }
}

BENCHMARK_CAPTURE(sign_token, ES256, Algorithm::es256);
BENCHMARK_CAPTURE(verify_token, ES256, Algorithm::es256);
BENCHMARK_CAPTURE(check_signature_only, ES256, Algorithm::es256);
BENCHMARK(verify_access_token);
BENCHMARK_CAPTURE(sign_token, EdDSA, Algorithm::eddsa);
BENCHMARK_CAPTURE(verify_token, EdDSA, Algorithm::eddsa);
BENCHMARK_CAPTURE(verify_token, RS256_2048, Algorithm::rs256);
BENCHMARK_CAPTURE(check_signature_only, RS256_2048, Algorithm::rs256);

}  // namespace
}  // namespace lmsgw::jose

BENCHMARK_MAIN();
