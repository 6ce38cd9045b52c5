#include "jose/remote_jwks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "jose/jws.h"
#include "jose/key_set.h"
#include "lmsgw/sdk/testing/mocks.h"
#include "tests/unit/jose/jose_test_support.h"

namespace lmsgw::jose {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr std::string_view kJwksUri = "https://idp.example/jwks";
const std::chrono::system_clock::time_point kStart{std::chrono::seconds(1'800'000'000)};

// The provider's JWKS endpoint as the verifier's HTTP client sees it: answers in order (the
// last one repeats) and counts requests.
class ScriptedJwksEndpoint final : public sdk::HttpClient {
 public:
  void answer(sdk::Result<sdk::HttpResponse> response) {
    std::lock_guard lock(mutex_);
    answers_.push_back(std::move(response));
  }
  sdk::Result<sdk::HttpResponse> send(const sdk::HttpRequest& request) noexcept override {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    if (answers_.size() > 1) {
      auto next = std::move(answers_.front());
      answers_.pop_front();
      return next;
    }
    if (answers_.empty()) return sdk::Error{sdk::ErrorCode::upstream_unavailable, "no answer"};
    return answers_.front();
  }
  std::size_t requests() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }
  sdk::HttpRequest last_request() const {
    std::lock_guard lock(mutex_);
    return requests_.back();
  }

 private:
  mutable std::mutex mutex_;
  std::deque<sdk::Result<sdk::HttpResponse>> answers_;
  std::vector<sdk::HttpRequest> requests_;
};

sdk::HttpResponse jwks_of(std::initializer_list<const SigningKey*> keys,
                          std::string cache_control = "") {
  KeySet set;
  for (const SigningKey* key : keys) EXPECT_TRUE(set.add(key->public_key()).ok());
  sdk::HttpResponse response;
  response.status = 200;
  response.body = boost::json::serialize(set.to_jwks());
  if (!cache_control.empty()) response.headers = {{"Cache-Control", std::move(cache_control)}};
  return response;
}

class RemoteJwksTest : public ::testing::Test {
 protected:
  std::string token(const SigningKey& key, std::string_view extra_claims = "") const {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    std::string payload = R"({"iss":"https://idp.example","aud":"client-1","sub":"s1","iat":)" +
                          std::to_string(now) + R"(,"exp":)" + std::to_string(now + 300);
    if (!extra_claims.empty()) payload += "," + std::string(extra_claims);
    payload += "}";
    auto signed_token = sign(key, payload);
    EXPECT_TRUE(signed_token.ok());
    return signed_token.ok() ? *signed_token : std::string();
  }

  sdk::JwtCheck check() const {
    sdk::JwtCheck rules;
    rules.jwks_uri = std::string(kJwksUri);
    rules.algorithms = {"RS256", "ES256"};
    rules.issuers = {"https://idp.example"};
    rules.audiences = {"client-1"};
    return rules;
  }

  sdk::testing::FixedClock clock_{kStart};
  ScriptedJwksEndpoint endpoint_;
  RemoteJwksVerifier verifier_{endpoint_, clock_};
  SigningKey first_ = test::generated(Algorithm::es256, "key-1");
  SigningKey second_ = test::generated(Algorithm::es256, "key-2");
};

TEST_F(RemoteJwksTest, VerifiesAgainstTheFetchedKeysAndReportsWhatItChecked) {
  endpoint_.answer(jwks_of({&first_}));
  auto verified = verifier_.verify(token(first_, R"("nonce":"n-1")"), check());
  ASSERT_TRUE(verified.ok()) << verified.error().detail;
  EXPECT_EQ(verified->algorithm, "ES256");
  EXPECT_EQ(verified->kid, "key-1");
  EXPECT_THAT(verified->claims, HasSubstr(R"("sub":"s1")"));
  EXPECT_EQ(endpoint_.last_request().url, kJwksUri);
  EXPECT_EQ(endpoint_.last_request().max_response_bytes, RemoteJwksVerifier::kMaxJwksBytes);
}

TEST_F(RemoteJwksTest, KeysAreCachedForTheirMaxAge) {
  endpoint_.answer(jwks_of({&first_}, "public, max-age=600"));
  ASSERT_TRUE(verifier_.verify(token(first_), check()).ok());
  clock_.advance(599s);
  ASSERT_TRUE(verifier_.verify(token(first_), check()).ok());
  EXPECT_EQ(endpoint_.requests(), 1u);
  clock_.advance(2s);
  ASSERT_TRUE(verifier_.verify(token(first_), check()).ok());
  EXPECT_EQ(endpoint_.requests(), 2u);
}

TEST_F(RemoteJwksTest, MaxAgeIsClampedToAMinuteAtLeastAndAnHourWithout) {
  endpoint_.answer(jwks_of({&first_}, "max-age=0"));
  ASSERT_TRUE(verifier_.verify(token(first_), check()).ok());
  clock_.advance(30s);
  ASSERT_TRUE(verifier_.verify(token(first_), check()).ok());
  EXPECT_EQ(endpoint_.requests(), 1u) << "max-age=0 must not mean a fetch per token";

  ScriptedJwksEndpoint without_header;
  RemoteJwksVerifier verifier(without_header, clock_);
  without_header.answer(jwks_of({&first_}));
  ASSERT_TRUE(verifier.verify(token(first_), check()).ok());
  clock_.advance(RemoteJwksVerifier::kDefaultKeep - 1s);
  ASSERT_TRUE(verifier.verify(token(first_), check()).ok());
  EXPECT_EQ(without_header.requests(), 1u);
}

TEST_F(RemoteJwksTest, AnUnknownKidFetchesAgainSoARotatedKeyIsAccepted) {
  endpoint_.answer(jwks_of({&first_}, "max-age=86400"));
  endpoint_.answer(jwks_of({&first_, &second_}, "max-age=86400"));
  ASSERT_TRUE(verifier_.verify(token(first_), check()).ok());
  clock_.advance(RemoteJwksVerifier::kRefetchInterval);
  auto rotated = verifier_.verify(token(second_), check());
  ASSERT_TRUE(rotated.ok()) << rotated.error().detail;
  EXPECT_EQ(rotated->kid, "key-2");
  EXPECT_EQ(endpoint_.requests(), 2u);
}

TEST_F(RemoteJwksTest, UnknownKidsFetchAtMostOncePerInterval) {
  endpoint_.answer(jwks_of({&first_}, "max-age=86400"));
  ASSERT_TRUE(verifier_.verify(token(first_), check()).ok());
  clock_.advance(RemoteJwksVerifier::kRefetchInterval);
  const SigningKey forged = test::generated(Algorithm::es256, "made-up");
  for (int i = 0; i < 50; ++i) {
    auto refused = verifier_.verify(token(forged), check());
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, sdk::ErrorCode::token_invalid);
  }
  EXPECT_EQ(endpoint_.requests(), 2u);
  clock_.advance(RemoteJwksVerifier::kRefetchInterval);
  EXPECT_FALSE(verifier_.verify(token(forged), check()).ok());
  EXPECT_EQ(endpoint_.requests(), 3u);
}

TEST_F(RemoteJwksTest, AProviderOutageKeepsFreshKeysInUse) {
  endpoint_.answer(jwks_of({&first_}, "max-age=3600"));
  endpoint_.answer(sdk::Error{sdk::ErrorCode::upstream_unavailable, "connection refused"});
  ASSERT_TRUE(verifier_.verify(token(first_), check()).ok());
  clock_.advance(RemoteJwksVerifier::kRefetchInterval);
  // The unknown kid triggers a fetch that fails; the cached key still verifies its tokens.
  EXPECT_FALSE(verifier_.verify(token(second_), check()).ok());
  EXPECT_TRUE(verifier_.verify(token(first_), check()).ok());
}

TEST_F(RemoteJwksTest, ExpiredKeysAreNotUsedWhenTheProviderIsDown) {
  endpoint_.answer(jwks_of({&first_}, "max-age=60"));
  endpoint_.answer(sdk::Error{sdk::ErrorCode::upstream_unavailable, "connection refused"});
  ASSERT_TRUE(verifier_.verify(token(first_), check()).ok());
  clock_.advance(61s);
  auto refused = verifier_.verify(token(first_), check());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, sdk::ErrorCode::upstream_unavailable);
}

TEST_F(RemoteJwksTest, AFailureWithNoKeysIsRememberedInsteadOfFetchedByEveryCaller) {
  endpoint_.answer(sdk::Error{sdk::ErrorCode::upstream_unavailable, "connection refused"});
  for (int i = 0; i < 20; ++i) {
    auto refused = verifier_.verify(token(first_), check());
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, sdk::ErrorCode::upstream_unavailable);
  }
  EXPECT_EQ(endpoint_.requests(), 1u);
  clock_.advance(RemoteJwksVerifier::kFailureMemory);
  EXPECT_FALSE(verifier_.verify(token(first_), check()).ok());
  EXPECT_EQ(endpoint_.requests(), 2u);
}

TEST_F(RemoteJwksTest, AClockSetBackDoesNotProlongARememberedFailure) {
  endpoint_.answer(sdk::Error{sdk::ErrorCode::upstream_unavailable, "connection refused"});
  endpoint_.answer(jwks_of({&first_}));
  EXPECT_FALSE(verifier_.verify(token(first_), check()).ok());
  clock_.advance(-1h);
  EXPECT_TRUE(verifier_.verify(token(first_), check()).ok());
  EXPECT_EQ(endpoint_.requests(), 2u);
}

// One provider whose JWKS endpoint hangs, and another that answers.
class OneHangingEndpoint final : public sdk::HttpClient {
 public:
  explicit OneHangingEndpoint(sdk::HttpResponse keys) : keys_(std::move(keys)) {}
  sdk::Result<sdk::HttpResponse> send(const sdk::HttpRequest& request) noexcept override {
    if (request.url == "https://hanging.example/jwks") {
      entered_.set_value();
      release_.get_future().wait();
      return sdk::Error{sdk::ErrorCode::upstream_unavailable, "timed out"};
    }
    return keys_;
  }
  std::promise<void> entered_;
  std::promise<void> release_;

 private:
  sdk::HttpResponse keys_;
};

TEST_F(RemoteJwksTest, AHangingProviderHoldsUpNoOtherProvider) {
  OneHangingEndpoint endpoints(jwks_of({&first_}));
  RemoteJwksVerifier verifier(endpoints, clock_);
  sdk::JwtCheck hanging = check();
  hanging.jwks_uri = "https://hanging.example/jwks";
  auto stuck =
      std::async(std::launch::async, [&] { return verifier.verify(token(first_), hanging).ok(); });
  endpoints.entered_.get_future().wait();
  auto answering =
      std::async(std::launch::async, [&] { return verifier.verify(token(first_), check()).ok(); });
  // Not a timing target: without per-provider locking the second call never finishes while
  // the first hangs, and the test would otherwise block forever.
  const bool finished = answering.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  endpoints.release_.set_value();
  ASSERT_TRUE(finished);
  EXPECT_TRUE(answering.get());
  EXPECT_FALSE(stuck.get());
}

TEST_F(RemoteJwksTest, ProviderErrorsAreTyped) {
  sdk::HttpResponse failing;
  failing.status = 503;
  endpoint_.answer(failing);
  auto rejected = verifier_.verify(token(first_), check());
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().code, sdk::ErrorCode::upstream_rejected);

  ScriptedJwksEndpoint garbage;
  RemoteJwksVerifier verifier(garbage, clock_);
  sdk::HttpResponse not_json;
  not_json.status = 200;
  not_json.body = "<html>";
  garbage.answer(not_json);
  auto malformed = verifier.verify(token(first_), check());
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().code, sdk::ErrorCode::upstream_malformed);
}

TEST_F(RemoteJwksTest, TheCheckIsAnAllowlist) {
  endpoint_.answer(jwks_of({&first_}));
  sdk::JwtCheck rsa_only = check();
  rsa_only.algorithms = {"RS256"};
  EXPECT_FALSE(verifier_.verify(token(first_), rsa_only).ok());

  sdk::JwtCheck nothing_allowed = check();
  nothing_allowed.algorithms.clear();
  EXPECT_FALSE(verifier_.verify(token(first_), nothing_allowed).ok());

  sdk::JwtCheck hmac = check();
  hmac.algorithms = {"HS256"};
  auto refused = verifier_.verify(token(first_), hmac);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, sdk::ErrorCode::config_invalid);

  sdk::JwtCheck other_audience = check();
  other_audience.audiences = {"client-2"};
  EXPECT_FALSE(verifier_.verify(token(first_), other_audience).ok());

  sdk::JwtCheck other_issuer = check();
  other_issuer.issuers = {"https://other.example"};
  EXPECT_FALSE(verifier_.verify(token(first_), other_issuer).ok());

  sdk::JwtCheck nonce = check();
  nonce.nonce = "expected";
  EXPECT_FALSE(verifier_.verify(token(first_, R"("nonce":"other")"), nonce).ok());
  EXPECT_TRUE(verifier_.verify(token(first_, R"("nonce":"expected")"), nonce).ok());
}

TEST_F(RemoteJwksTest, AJwksOverPlainHttpIsRefusedUnfetched) {
  sdk::JwtCheck plain = check();
  plain.jwks_uri = "http://idp.example/jwks";
  auto refused = verifier_.verify(token(first_), plain);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, sdk::ErrorCode::config_invalid);
  EXPECT_EQ(endpoint_.requests(), 0u);
}

TEST_F(RemoteJwksTest, ConcurrentFirstUsesShareOneFetch) {
  endpoint_.answer(jwks_of({&first_}));
  const std::string compact = token(first_);
  std::vector<std::thread> threads;
  std::atomic<int> verified{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (verifier_.verify(compact, check()).ok()) ++verified;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(verified.load(), 8);
  EXPECT_EQ(endpoint_.requests(), 1u);
}

}  // namespace
}  // namespace lmsgw::jose
