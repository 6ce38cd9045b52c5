// The token issuer: keys on disk and their rotation, minting, verification (with the forged
// tokens an attacker would try), bearer forward-auth and the token endpoints.
#include "session/access_tokens.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/time.h"
#include "jose/jws.h"
#include "lmsgw/sdk/encoding.h"
#include "lmsgw/sdk/testing/mocks.h"
#include "session/forward_auth.h"
#include "session/token_endpoints.h"
#include "store/sqlite/sqlite_account_store.h"
#include "tests/support/temp_dir.h"

namespace lmsgw::session {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kIssuer = "https://login.example.org";
constexpr std::string_view kAudience = "platform";

config::TokensConfig tokens_config(const std::filesystem::path& keys) {
  config::TokensConfig config;
  config.issuer = std::string(kIssuer);
  config.audience = std::string(kAudience);
  config.lifetime = 300s;
  config.keys_directory = keys.string();
  return config;
}

std::string b64(std::string_view text) { return sdk::base64url_encode(text); }

// A header of the response, wherever the handler put it.
std::string header(const http::Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  if (response.prepared != nullptr) {
    const std::string& text = response.prepared->text();
    const std::string prefix = std::string(name) + ": ";
    for (std::size_t at = 0; at < text.size();) {
      const std::size_t end = text.find("\r\n", at);
      if (text.compare(at, prefix.size(), prefix) == 0) {
        return text.substr(at + prefix.size(), end - at - prefix.size());
      }
      at = end + 2;
    }
  }
  return "<absent>";
}

TEST(KeyDirectory, RotationRetiresTheSignerAndForgetsKeysWhoseTokensExpired) {
  lmsgw::testing::TempDir dir;
  KeyDirectory keys(dir.path() / "keys");
  const TimePoint t0 = time::from_unix_seconds(1'800'000'000);
  EXPECT_TRUE(keys.read()->empty());
  auto first = keys.rotate(jose::Algorithm::es256, t0, 300s);
  ASSERT_TRUE(first.ok()) << first.error().detail;
  struct stat info {};
  ASSERT_EQ(::stat((dir.path() / "keys" / first->file).c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir.path() / "keys").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);

  auto second = keys.rotate(jose::Algorithm::eddsa, t0 + 10s, 300s);
  auto records = *keys.read();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(signer_of(records)->kid, second->kid);
  EXPECT_EQ(records[0].retired, t0 + 10s);
  EXPECT_TRUE(published_at(records[0], t0 + 10s + 300s + kVerificationLeeway - 1s, 300s));
  EXPECT_FALSE(published_at(records[0], t0 + 10s + 300s + kVerificationLeeway, 300s));
  EXPECT_EQ(keys.load(records[1])->algorithm(), jose::Algorithm::eddsa);

  // Long after, a rotation forgets the first key and deletes its file.
  auto third = keys.rotate(jose::Algorithm::es256, t0 + 1h, 300s);
  records = *keys.read();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].kid, second->kid);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "keys" / first->file));
}

class AccessTokensTest : public ::testing::Test {
 protected:
  AccessTokensTest()
      : clock_(time::from_unix_seconds(1'800'000'000)),
        store_(std::move(*store::open_sqlite_store({.path = (dir_.path() / "db").string()}))),
        sessions_(*store_, cache_, epochs_, clock_, 8h),
        config_(tokens_config(dir_.path() / "keys")),
        ring_(std::move(*KeyRing::open(KeyDirectory(config_.keys_directory), jose::Algorithm::es256,
                                       config_.lifetime, clock_.now()))),
        tokens_(config_, *ring_, clock_),
        forward_auth_(sessions_, &tokens_, "lmsgw_session", clock_) {
    EXPECT_TRUE(store_->ensure_district("springfield", clock_.now()).ok());
    auto minimizer = identity::Minimizer::create(sdk::Secret(std::string(40, 'p')));
    sdk::ExternalIdentity identity;
    identity.subject = "s-1";
    identity.role = sdk::Role::student;
    identity.given_name = "Ana";
    identity.family_name = "Zzfamilycanary";
    identity.email = "zz.canary@example.org";
    auto minimized = minimizer->minimize(identity, "clever", "springfield", {}, {2026, 1, 1});
    account_ = *store_->upsert_from_sign_in(*minimized, "clever", clock_.now());
    session_ = *sessions_.start(account_);
    session_hash_ = crypto::sha256(session_.id);
  }

  std::string mint() {
    auto view = sessions_.find(session_.id);
    return tokens_.mint(*view, session_hash_)->token;
  }

  http::Response check_bearer(const std::string& token) {
    const std::string value = "Bearer " + token;
    http::Request request;
    request.headers.push_back({"Authorization", value});
    return forward_auth_.check(request);
  }

  boost::json::object payload_of(const std::string& token) {
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    return boost::json::parse(*sdk::base64url_decode(token.substr(first + 1, second - first - 1)))
        .as_object();
  }

  lmsgw::testing::TempDir dir_;
  sdk::testing::FixedClock clock_;
  std::unique_ptr<store::AccountStore> store_;
  RevocationEpochs epochs_;
  SessionCache cache_;
  SessionService sessions_;
  config::TokensConfig config_;
  std::unique_ptr<KeyRing> ring_;
  AccessTokens tokens_;
  ForwardAuth forward_auth_;
  store::StoredAccount account_;
  NewSession session_;
  crypto::Digest session_hash_{};
};

TEST_F(AccessTokensTest, ATokenCarriesThePlatformClaimsAndNothingElse) {
  const std::string token = mint();
  const boost::json::object claims = payload_of(token);
  std::set<std::string> names;
  for (const auto& member : claims) names.insert(std::string(member.key()));
  EXPECT_EQ(names, (std::set<std::string>{"iss", "aud", "sub", "exp", "iat", "jti", "sid", "role",
                                          "district", "age_band", "display_name"}));
  EXPECT_EQ(claims.at("sub").as_string(), account_.id);
  EXPECT_EQ(claims.at("display_name").as_string(), "Ana");
  EXPECT_EQ(claims.at("age_band").as_string(), "under13");
  EXPECT_EQ(claims.at("exp").as_int64() - claims.at("iat").as_int64(), 300);
  EXPECT_THAT(token, Not(HasSubstr(session_.id)));
  EXPECT_THAT(boost::json::serialize(claims), Not(HasSubstr("canary")));
}

TEST_F(AccessTokensTest, AValidBearerTokenPassesForwardAuthWithTheSessionHeaders) {
  http::Response ok = check_bearer(mint());
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(header(ok, "X-Account-Id"), account_.id);
  EXPECT_EQ(header(ok, "X-Display-Name"), "Ana");
  // Second time from the verified-token cache: same answer.
  EXPECT_EQ(check_bearer(mint()).status, 200);
}

TEST_F(AccessTokensTest, TokensDieWithTheirSessionAccountOrDistrict) {
  const std::string token = mint();
  ASSERT_EQ(check_bearer(token).status, 200);
  ASSERT_TRUE(*sessions_.end(session_.id));
  http::Response refused = check_bearer(token);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(header(refused, "WWW-Authenticate"), "Bearer error=\"invalid_token\"");

  session_ = *sessions_.start(account_);
  session_hash_ = crypto::sha256(session_.id);
  const std::string second = mint();
  ASSERT_EQ(check_bearer(second).status, 200);
  clock_.advance(1s);
  auto audit = store::open_sqlite_audit_log((dir_.path() / "db").string());
  ASSERT_TRUE(audit.ok());
  RevocationService revocations(*store_, **audit, epochs_, clock_);
  ASSERT_TRUE(revocations.revoke_district("springfield", "test").ok());
  EXPECT_EQ(check_bearer(second).status, 401);
}

TEST_F(AccessTokensTest, ExpiredTokensAreRefusedEvenFromTheCache) {
  const std::string token = mint();
  ASSERT_EQ(check_bearer(token).status, 200);
  clock_.advance(301s);
  EXPECT_EQ(check_bearer(token).status, 401);
  EXPECT_FALSE(tokens_.verify(token).ok());
  EXPECT_EQ(tokens_.purge(clock_.now()), 1u);
}

// Forgeries of a genuine token, each refused by verification and by /auth/check.
class ForgedTokenTest : public AccessTokensTest {
 protected:
  ForgedTokenTest() : token_(mint()) {
    const auto dot = token_.find('.');
    last_dot_ = token_.rfind('.');
    header_part_ = token_.substr(0, dot);
    payload_part_ = token_.substr(dot + 1, last_dot_ - dot - 1);
    kid_ = ring_->snapshot()->signer.kid();
  }
  void expect_refused(const std::string& forged) {
    auto verified = tokens_.verify(forged);
    ASSERT_FALSE(verified.ok());
    EXPECT_EQ(verified.error().code, sdk::ErrorCode::token_invalid);
    EXPECT_EQ(check_bearer(forged).status, 401);
  }
  std::string signature() const { return token_.substr(last_dot_); }

  std::string token_;
  std::size_t last_dot_ = 0;
  std::string header_part_;
  std::string payload_part_;
  std::string kid_;
};

TEST_F(ForgedTokenTest, ATamperedPayloadIsRefused) {
  boost::json::object claims = payload_of(token_);
  claims["sub"] = "acct_someone_else";
  expect_refused(header_part_ + "." + b64(boost::json::serialize(claims)) + signature());
}

TEST_F(ForgedTokenTest, AlgNoneIsRefused) {
  expect_refused(b64(R"({"alg":"none","typ":"at+jwt"})") + "." + payload_part_ + ".");
}

TEST_F(ForgedTokenTest, Hs256SignedWithThePublicKeyIsRefused) {
  const std::string header = b64(R"({"alg":"HS256","typ":"at+jwt","kid":")" + kid_ + R"("})");
  const std::string input = header + "." + payload_part_;
  // The public key as a verifier might hold it: its JWK text, or the whole JWKS document.
  for (const std::string& secret :
       {boost::json::serialize(ring_->snapshot()->signer.public_key().to_jwk()),
        ring_->snapshot()->jwks}) {
    expect_refused(input + "." + b64(crypto::as_view(crypto::hmac_sha256(secret, input))));
  }
}

TEST_F(ForgedTokenTest, AnUnknownKidIsRefused) {
  expect_refused(b64(R"({"alg":"ES256","typ":"at+jwt","kid":"k-unknown"})") + "." + payload_part_ +
                 signature());
}

TEST_F(ForgedTokenTest, ASignatureByAKeyTheGatewayNeverPublishedIsRefused) {
  auto stranger = jose::SigningKey::generate(jose::Algorithm::es256, kid_);
  expect_refused(*jose::sign(*stranger, boost::json::serialize(payload_of(token_)),
                             jose::HeaderExtras{"at+jwt"}));
}

TEST_F(ForgedTokenTest, AnExpiredTokenIsRefused) {
  ASSERT_EQ(check_bearer(token_).status, 200);
  clock_.advance(301s);
  expect_refused(token_);
}

TEST_F(AccessTokensTest, ARotatedKeyKeepsVerifyingItsTokensUntilTheyExpire) {
  const std::string before = mint();
  KeyDirectory elsewhere(config_.keys_directory);  // lmsgwctl keys rotate, in another process
  ASSERT_TRUE(elsewhere.rotate(jose::Algorithm::eddsa, clock_.now(), config_.lifetime).ok());
  clock_.advance(2s);  // file times are coarse; make sure the change is seen as one
  EXPECT_TRUE(*ring_->refresh(clock_.now()));
  EXPECT_EQ(ring_->snapshot()->published.size(), 2u);
  const std::string after = mint();
  EXPECT_EQ(payload_of(after).at("iss").as_string(), kIssuer);
  EXPECT_TRUE(tokens_.verify(before).ok());
  EXPECT_TRUE(tokens_.verify(after).ok());
  clock_.advance(config_.lifetime + kVerificationLeeway);
  EXPECT_TRUE(*ring_->refresh(clock_.now()));
  EXPECT_EQ(ring_->snapshot()->published.size(), 1u);
}

class TokenEndpointsTest : public AccessTokensTest {
 protected:
  TokenEndpointsTest()
      : endpoints_(tokens_, *ring_, sessions_, "lmsgw_session", "https://login.example.org",
                   {{"backend", sdk::Secret("backend-secret")}}, clock_) {}

  http::Response introspect(const std::string& credentials, const std::string& form) {
    const std::string authorization = "Basic " + sdk::base64_encode(credentials);
    http::Request request;
    request.method = http::Method::post;
    request.headers = {{"Authorization", authorization},
                       {"Content-Type", "application/x-www-form-urlencoded"}};
    request.body = form;
    return endpoints_.introspect(request);
  }

  TokenEndpoints endpoints_;
};

TEST_F(TokenEndpointsTest, DiscoveryAndJwksDescribeTheIssuer) {
  http::Request request;
  const auto discovery = boost::json::parse(endpoints_.discovery(request).body).as_object();
  EXPECT_EQ(discovery.at("issuer").as_string(), kIssuer);
  EXPECT_EQ(discovery.at("jwks_uri").as_string(),
            "https://login.example.org/.well-known/jwks.json");
  EXPECT_EQ(discovery.at("introspection_endpoint").as_string(),
            "https://login.example.org/oauth/introspect");

  http::Response jwks = endpoints_.jwks(request);
  EXPECT_EQ(jwks.status, 200);
  EXPECT_EQ(header(jwks, "Cache-Control"), "public, max-age=300");
  const auto keys = boost::json::parse(jwks.body).as_object().at("keys").as_array();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].as_object().at("alg").as_string(), "ES256");
  EXPECT_EQ(keys[0].as_object().at("use").as_string(), "sig");
  EXPECT_FALSE(keys[0].as_object().contains("d"));

  const std::string etag = header(jwks, "ETag");
  request.headers.push_back({"If-None-Match", etag});
  EXPECT_EQ(endpoints_.jwks(request).status, 304);
}

TEST_F(TokenEndpointsTest, TheTokenEndpointWantsASession) {
  const std::string cookie = "lmsgw_session=" + session_.id;
  http::Request request;
  request.method = http::Method::post;
  request.headers.push_back({"Cookie", cookie});
  http::Response response = endpoints_.token(request);
  ASSERT_EQ(response.status, 200) << response.body;
  const auto body = boost::json::parse(response.body).as_object();
  EXPECT_EQ(body.at("token_type").as_string(), "Bearer");
  EXPECT_EQ(body.at("expires_in").as_int64(), 300);
  EXPECT_TRUE(tokens_.verify(std::string(body.at("access_token").as_string())).ok());
  EXPECT_EQ(header(response, "Cache-Control"), "no-store");

  http::Request anonymous;
  EXPECT_EQ(endpoints_.token(anonymous).status, 401);
}

TEST_F(TokenEndpointsTest, IntrospectionNeedsClientCredentialsAndTellsWhatIsActive) {
  const std::string token = mint();
  EXPECT_EQ(introspect("backend:wrong", "token=" + token).status, 401);
  EXPECT_EQ(header(introspect("nobody:backend-secret", "token=" + token), "WWW-Authenticate"),
            "Basic realm=\"lms-gateway\"");
  EXPECT_EQ(introspect("backend:backend-secret", "").status, 400);

  const auto active =
      boost::json::parse(introspect("backend:backend-secret", "token=" + token).body).as_object();
  EXPECT_TRUE(active.at("active").as_bool());
  EXPECT_EQ(active.at("sub").as_string(), account_.id);
  EXPECT_EQ(active.at("token_type").as_string(), "Bearer");

  EXPECT_EQ(introspect("backend:backend-secret", "token=garbage").body, R"({"active":false})");
  ASSERT_TRUE(*sessions_.end(session_.id));
  EXPECT_EQ(introspect("backend:backend-secret", "token=" + token).body, R"({"active":false})");
}

}  // namespace
}  // namespace lmsgw::session
