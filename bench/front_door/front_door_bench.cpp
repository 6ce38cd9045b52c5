// The front door's hot path in process, without the network: what one /auth/check costs the
// gateway for a session cookie and for a bearer token, and what a bearer token's verification
// costs with and without the verified-token cache. Compare with `openssl speed ecdsap256`.
#include <benchmark/benchmark.h>

#include "common/time.h"
#include "jose/jwt.h"
#include "lmsgw/sdk/testing/mocks.h"
#include "session/access_tokens.h"
#include "session/forward_auth.h"
#include "store/sqlite/sqlite_account_store.h"
#include "tests/support/temp_dir.h"

namespace lmsgw::session {
namespace {

using namespace std::chrono_literals;

// One signed-in student, a session and a token, as the gateway holds them.
struct Fixture {
  lmsgw::testing::TempDir dir;
  sdk::testing::FixedClock clock{time::from_unix_seconds(1'800'000'000)};
  std::unique_ptr<store::AccountStore> store =
      std::move(*store::open_sqlite_store({.path = (dir.path() / "db").string()}));
  RevocationEpochs epochs;
  SessionCache cache;
  SessionService sessions{*store, cache, epochs, clock, 8h};
  config::TokensConfig config = [this] {
    config::TokensConfig c;
    c.issuer = "https://login.example.org";
    c.audience = "platform";
    c.keys_directory = (dir.path() / "keys").string();
    return c;
  }();
  std::unique_ptr<KeyRing> ring = std::move(*KeyRing::open(
      KeyDirectory(config.keys_directory), jose::Algorithm::es256, config.lifetime, clock.now()));
  AccessTokens tokens{config, *ring, clock};
  ForwardAuth forward_auth{sessions, &tokens, "lmsgw_session", clock};
  std::string session_id;
  std::string token;

  Fixture() {
    (void)store->ensure_district("springfield", clock.now());
    identity::Minimized minimized;
    minimized.key.subject_hash = crypto::sha256("subject");
    minimized.account.role = identity::AccountRole::student;
    minimized.account.district_id = "springfield";
    minimized.account.display_name = "Ana";
    auto account = store->upsert_from_sign_in(minimized, "clever", clock.now());
    session_id = sessions.start(*account)->id;
    token = tokens.mint(*sessions.find(session_id), crypto::sha256(session_id))->token;
  }
};

Fixture& fixture() {
  static Fixture instance;
  return instance;
}

void BM_AuthCheckSessionCookie(benchmark::State& state) {
  Fixture& f = fixture();
  const std::string cookie = "lmsgw_session=" + f.session_id;
  http::Request request;
  request.headers.push_back({"Cookie", cookie});
  for (auto _ : state) {
    http::Response response = f.forward_auth.check(request);
    benchmark::DoNotOptimize(response.prepared);
  }
}
BENCHMARK(BM_AuthCheckSessionCookie)->ThreadRange(1, 2);

void BM_AuthCheckBearerToken(benchmark::State& state) {
  Fixture& f = fixture();
  const std::string authorization = "Bearer " + f.token;
  http::Request request;
  request.headers.push_back({"Authorization", authorization});
  for (auto _ : state) {
    http::Response response = f.forward_auth.check(request);
    benchmark::DoNotOptimize(response.prepared);
  }
}
BENCHMARK(BM_AuthCheckBearerToken)->ThreadRange(1, 2);

void BM_TokenVerificationCached(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(f.tokens.verify(f.token));
}
BENCHMARK(BM_TokenVerificationCached);

void BM_TokenVerificationUncached(benchmark::State& state) {
  Fixture& f = fixture();
  const auto snapshot = f.ring->snapshot();
  jose::JwtRules rules;
  rules.algorithms = {jose::Algorithm::es256};
  rules.typ = "at+jwt";
  rules.claims.issuers = {f.config.issuer};
  rules.claims.audiences = {f.config.audience};
  rules.claims.now = f.clock.now();
  for (auto _ : state)
    benchmark::DoNotOptimize(jose::verify_jwt(f.token, snapshot->published, rules));
}
BENCHMARK(BM_TokenVerificationUncached);

}  // namespace
}  // namespace lmsgw::session

BENCHMARK_MAIN();
