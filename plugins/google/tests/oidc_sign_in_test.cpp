// The whole sign-in of OidcSignIn against a scripted provider: the SDK's mock HTTP client plays
// discovery, JWKS and token endpoint, and ID tokens signed here are checked by the gateway's
// real verifier, so every refusal below is the one a forged or misdirected token meets.
#include "oidc_sign_in.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "jose/jws.h"
#include "jose/key_set.h"
#include "jose/remote_jwks.h"
#include "lmsgw/sdk/encoding.h"
#include "lmsgw/sdk/testing/mocks.h"
#include "risc.h"
#include "test_keys.h"

namespace lmsgw::plugins::google {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Return;

constexpr std::string_view kRedirectUri = "https://gw.example.org/callback/google";
constexpr std::string_view kDiscoveryUrl =
    "https://accounts.example/.well-known/openid-configuration";
constexpr std::string_view kTokenUrl = "https://accounts.example/token";
constexpr std::string_view kJwksUrl = "https://accounts.example/certs";
constexpr std::string_view kDomain = "students.springfield.example";
constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::string_view kRiscUrl = "https://accounts.example/.well-known/risc-configuration";
constexpr std::string_view kRiscIssuer = "https://accounts.google.com/";

struct Keys {
  jose::SigningKey current;
  jose::SigningKey next;
  // Same kid as `current`, different key: what a forger would sign with.
  jose::SigningKey impostor;
};

const Keys& keys() {
  static const Keys made = [] {
    auto load = [](std::string_view pem, std::string_view kid) {
      return std::move(*jose::SigningKey::from_pem(pem, kid));
    };
    return Keys{load(test_keys::kCurrentPem, "k1"), load(test_keys::kNextPem, "k2"),
                load(test_keys::kImpostorPem, "k1")};
  }();
  return made;
}

std::string jwks_of(std::initializer_list<const jose::SigningKey*> signing) {
  jose::KeySet set;
  for (const jose::SigningKey* key : signing) (void)set.add(key->public_key());
  return boost::json::serialize(set.to_jwks());
}

std::string discovery_document(std::string_view issuer = "https://accounts.google.com") {
  return R"({"issuer":")" + std::string(issuer) +
         R"(","authorization_endpoint":"https://accounts.example/o/oauth2/v2/auth",)"
         R"("token_endpoint":")" +
         std::string(kTokenUrl) + R"(","jwks_uri":")" + std::string(kJwksUrl) +
         R"(","response_types_supported":["code","token id_token"],)"
         R"("code_challenge_methods_supported":["plain","S256"],)"
         R"("id_token_signing_alg_values_supported":["RS256"],)"
         R"("token_endpoint_auth_methods_supported":["client_secret_post","client_secret_basic"]})";
}

sdk::HttpResponse answer(int status, std::string body) {
  return sdk::HttpResponse{status, {{"Content-Type", "application/json"}}, std::move(body)};
}

boost::json::object student_claims() {
  return {{"iss", "https://accounts.google.com"},
          {"aud", "client-1"},
          {"azp", "client-1"},
          {"sub", "110169484474386276334"},
          {"hd", kDomain},
          {"email", "ana.zzcanary@students.springfield.example"},
          {"email_verified", true},
          {"name", "Ana Zzfamilycanary"},
          {"given_name", "Ana"},
          {"family_name", "Zzfamilycanary"},
          {"picture", "https://example.invalid/zzpicturecanary.jpg"},
          {"nonce", "nonce-1"},
          {"iat", kNow},
          {"exp", kNow + 3600}};
}

std::string sign(const boost::json::object& claims, const jose::SigningKey& key = keys().current) {
  return std::move(*jose::sign(key, boost::json::serialize(claims)));
}

OidcConfig google_config() {
  OidcConfig config;
  config.flavor = Flavor::google;
  config.client_id = "client-1";
  config.client_secret = sdk::Secret("secret-1");
  config.discovery_url = std::string(kDiscoveryUrl);
  config.issuers = {"https://accounts.google.com", "accounts.google.com"};
  config.algorithms = {"RS256"};
  config.hosted_domains = {std::string(kDomain)};
  config.risc_configuration_url = std::string(kRiscUrl);
  config.risc_issuer = std::string(kRiscIssuer);
  return config;
}

class OidcSignInTest : public ::testing::Test {
 protected:
  OidcSignInTest() {
    context_.use_tokens(verifier_);
    ON_CALL(http_, send(_)).WillByDefault([this](const sdk::HttpRequest& request) {
      return serve(request);
    });
    EXPECT_CALL(http_, send(_)).Times(::testing::AnyNumber());
  }

  void make_plugin(OidcConfig config) {
    plugin_ = std::make_unique<OidcSignIn>(std::move(config), context_);
  }

  sdk::Result<sdk::HttpResponse> serve(const sdk::HttpRequest& request) {
    requests_.push_back(request);
    if (request.url == kDiscoveryUrl) return discovery_;
    if (request.url == kRiscUrl) return risc_configuration_;
    if (request.url == kJwksUrl) return answer(200, jwks_);
    if (request.url == kTokenUrl) return token_answer_;
    return answer(404, "{}");
  }

  int calls_to(std::string_view url) const {
    int count = 0;
    for (const auto& request : requests_) count += request.url == url ? 1 : 0;
    return count;
  }

  void answer_with_id_token(const std::string& id_token) {
    token_answer_ = answer(200, R"({"access_token":"ya29.at","token_type":"Bearer",)"
                                R"("expires_in":3599,"scope":"openid email","id_token":")" +
                                    id_token + R"("})");
  }

  sdk::CallbackRequest callback(std::string code = "code-1") {
    sdk::CallbackRequest request;
    request.redirect_uri = std::string(kRedirectUri);
    request.params["code"] = std::move(code);
    request.login = sdk::StartedLogin{"nonce-1", "verifier-0123456789", ""};
    return request;
  }

  sdk::Result<sdk::ExternalIdentity> complete_with(const boost::json::object& claims,
                                                   const jose::SigningKey& key = keys().current) {
    answer_with_id_token(sign(claims, key));
    return plugin_->complete(callback());
  }

  sdk::LoginRequest login_request() {
    sdk::LoginRequest request;
    request.redirect_uri = std::string(kRedirectUri);
    request.state = "st-1";
    request.nonce = "nonce-1";
    request.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    return request;
  }

  ::testing::NiceMock<sdk::testing::MockHttpClient> http_;
  sdk::testing::FixedClock clock_{
      std::chrono::system_clock::time_point(std::chrono::seconds(kNow))};
  sdk::testing::RecordingLogger logger_;
  sdk::testing::MapSecrets secrets_;
  sdk::testing::TestContext context_{sdk::ConfigNode(), http_, clock_, logger_, secrets_, "google"};
  jose::RemoteJwksVerifier verifier_{http_, clock_};
  std::unique_ptr<OidcSignIn> plugin_ = std::make_unique<OidcSignIn>(google_config(), context_);

  sdk::Result<sdk::HttpResponse> discovery_ = answer(200, discovery_document());
  std::string jwks_ = jwks_of({&keys().current});
  sdk::Result<sdk::HttpResponse> token_answer_ = answer(500, "{}");
  sdk::Result<sdk::HttpResponse> risc_configuration_ =
      answer(200, R"({"issuer":")" + std::string(kRiscIssuer) + R"(","jwks_uri":")" +
                      std::string(kJwksUrl) + R"(","delivery_methods_supported":[]})");
  std::vector<sdk::HttpRequest> requests_;
};

TEST_F(OidcSignInTest, BeginRedirectsWithCodeFlowPkceNonceAndTheMinimalScope) {
  auto redirect = plugin_->begin(login_request());
  ASSERT_TRUE(redirect.ok()) << redirect.error().detail;
  EXPECT_EQ(redirect->url,
            "https://accounts.example/o/oauth2/v2/auth?response_type=code&client_id=client-1"
            "&redirect_uri=https%3A%2F%2Fgw.example.org%2Fcallback%2Fgoogle"
            "&scope=openid%20email&state=st-1&nonce=nonce-1"
            "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
            "&code_challenge_method=S256");
}

TEST_F(OidcSignInTest, BeginAsksForProfileOnlyWhenConfiguredAndPassesHints) {
  OidcConfig config = google_config();
  config.request_profile = true;
  make_plugin(config);
  sdk::LoginRequest request = login_request();
  request.params["login_hint"] = "ana@students.springfield.example";
  request.params["hd"] = "Students.Springfield.example";
  auto redirect = plugin_->begin(request);
  ASSERT_TRUE(redirect.ok()) << redirect.error().detail;
  EXPECT_THAT(redirect->url, HasSubstr("&scope=openid%20email%20profile&"));
  EXPECT_THAT(redirect->url, HasSubstr("&login_hint=ana%40students.springfield.example&hd=" +
                                       std::string(kDomain)));
}

TEST_F(OidcSignInTest, BeginRefusesHintsThatCouldWidenOrBreakTheRequest) {
  sdk::LoginRequest other_domain = login_request();
  other_domain.params["hd"] = "shelbyville.example";
  EXPECT_EQ(plugin_->begin(other_domain).error().code, sdk::ErrorCode::invalid_request);
  sdk::LoginRequest spaced = login_request();
  spaced.params["login_hint"] = "a b";
  EXPECT_EQ(plugin_->begin(spaced).error().code, sdk::ErrorCode::invalid_request);
  EXPECT_EQ(calls_to(kDiscoveryUrl), 0);
}

TEST_F(OidcSignInTest, MalformedOrForeignDiscoveryStopsTheSignIn) {
  // Each case after the cache's retry pause, so that each is fetched afresh.
  discovery_ = answer(200, "<html>not json</html>");
  EXPECT_EQ(plugin_->begin(login_request()).error().code, sdk::ErrorCode::upstream_malformed);
  clock_.advance(std::chrono::seconds(11));
  discovery_ = answer(200, discovery_document("https://evil.example"));
  EXPECT_EQ(plugin_->begin(login_request()).error().code, sdk::ErrorCode::upstream_malformed);
  clock_.advance(std::chrono::seconds(11));
  discovery_ = answer(404, "{}");
  EXPECT_EQ(plugin_->begin(login_request()).error().code, sdk::ErrorCode::upstream_rejected);
  clock_.advance(std::chrono::seconds(11));
  discovery_ = sdk::Error{sdk::ErrorCode::limit_exceeded, "response too large"};
  EXPECT_EQ(plugin_->begin(login_request()).error().code, sdk::ErrorCode::limit_exceeded);
  EXPECT_EQ(calls_to(kDiscoveryUrl), 4);
}

TEST_F(OidcSignInTest, CompleteRedeemsTheCodeWithThePkceVerifierAndVerifiesTheIdToken) {
  auto identity = complete_with(student_claims());
  ASSERT_TRUE(identity.ok()) << identity.error().detail;
  EXPECT_EQ(identity->subject, "110169484474386276334");
  EXPECT_EQ(identity->role, sdk::Role::student);
  EXPECT_EQ(identity->provider_district, kDomain);
  EXPECT_EQ(identity->given_name, "Ana");
  EXPECT_TRUE(identity->email_verified);

  ASSERT_EQ(calls_to(kTokenUrl), 1);
  const sdk::HttpRequest& token = requests_[1];
  ASSERT_EQ(token.url, kTokenUrl);
  EXPECT_EQ(token.method, "POST");
  EXPECT_EQ(token.body,
            "grant_type=authorization_code&code=code-1"
            "&redirect_uri=https%3A%2F%2Fgw.example.org%2Fcallback%2Fgoogle"
            "&code_verifier=verifier-0123456789");
  EXPECT_EQ(sdk::find_header(token.headers, "Authorization"),
            "Basic " + sdk::base64_encode("client-1:secret-1"));
}

TEST_F(OidcSignInTest, ClientSecretPostSendsTheCredentialsInTheBodyOnly) {
  OidcConfig config = google_config();
  config.client_auth = ClientAuth::client_secret_post;
  make_plugin(config);
  ASSERT_TRUE(complete_with(student_claims()).ok());
  const sdk::HttpRequest& token = requests_[1];
  EXPECT_THAT(token.body, HasSubstr("&code_verifier=verifier-0123456789&client_id=client-1"
                                    "&client_secret=secret-1"));
  EXPECT_TRUE(sdk::find_header(token.headers, "Authorization").empty());
}

TEST_F(OidcSignInTest, TheLegacyIssuerSpellingIsAccepted) {
  boost::json::object claims = student_claims();
  claims["iss"] = "accounts.google.com";
  EXPECT_TRUE(complete_with(claims).ok());
}

TEST_F(OidcSignInTest, ProviderInitiatedSignInIsStateMissing) {
  sdk::CallbackRequest request = callback();
  request.login.reset();
  EXPECT_EQ(plugin_->complete(request).error().code, sdk::ErrorCode::state_missing);
  EXPECT_FALSE(plugin_->supports_provider_initiated());
  EXPECT_TRUE(requests_.empty());
}

TEST_F(OidcSignInTest, ProviderErrorsAndBadCodesAreRefusedWithoutCallingTheProvider) {
  sdk::CallbackRequest denied = callback();
  denied.params["error"] = "access_denied";
  EXPECT_EQ(plugin_->complete(denied).error().code, sdk::ErrorCode::provider_denied);
  EXPECT_EQ(plugin_->complete(callback("")).error().code, sdk::ErrorCode::invalid_request);
  EXPECT_EQ(plugin_->complete(callback(std::string(3000, 'c'))).error().code,
            sdk::ErrorCode::invalid_request);
  EXPECT_TRUE(requests_.empty());
}

TEST_F(OidcSignInTest, ANonceOfAnotherLoginIsRefused) {
  boost::json::object claims = student_claims();
  claims["nonce"] = "nonce-of-another-login";
  EXPECT_EQ(complete_with(claims).error().code, sdk::ErrorCode::token_invalid);
  claims.erase("nonce");
  EXPECT_EQ(complete_with(claims).error().code, sdk::ErrorCode::token_invalid);
}

TEST_F(OidcSignInTest, AnotherIssuerIsRefused) {
  boost::json::object claims = student_claims();
  claims["iss"] = "https://accounts.google.com.evil.example";
  EXPECT_EQ(complete_with(claims).error().code, sdk::ErrorCode::token_invalid);
}

TEST_F(OidcSignInTest, ATokenForAnotherClientIsRefused) {
  boost::json::object claims = student_claims();
  claims["aud"] = "client-2";
  EXPECT_EQ(complete_with(claims).error().code, sdk::ErrorCode::token_invalid);
}

TEST_F(OidcSignInTest, AnExpiredTokenIsRefusedBeyondTheSmallLeeway) {
  boost::json::object claims = student_claims();
  claims["exp"] = kNow - kClockLeeway.count() - 1;
  EXPECT_EQ(complete_with(claims).error().code, sdk::ErrorCode::token_invalid);
  claims["exp"] = kNow - kClockLeeway.count() + 5;
  EXPECT_TRUE(complete_with(claims).ok());
}

TEST_F(OidcSignInTest, ABadSignatureIsRefused) {
  EXPECT_EQ(complete_with(student_claims(), keys().impostor).error().code,
            sdk::ErrorCode::token_invalid);
}

TEST_F(OidcSignInTest, AnUnknownKidIsRefusedAfterOneRefetchOfTheKeys) {
  ASSERT_TRUE(complete_with(student_claims()).ok());
  ASSERT_EQ(calls_to(kJwksUrl), 1);
  clock_.advance(std::chrono::minutes(2));
  EXPECT_EQ(complete_with(student_claims(), keys().next).error().code,
            sdk::ErrorCode::token_invalid);
  EXPECT_EQ(calls_to(kJwksUrl), 2);
}

TEST_F(OidcSignInTest, RotatedKeysArePickedUpWhenATokenNamesTheNewKid) {
  ASSERT_TRUE(complete_with(student_claims()).ok());
  clock_.advance(std::chrono::minutes(2));
  jwks_ = jwks_of({&keys().next});
  boost::json::object claims = student_claims();
  claims["iat"] = kNow + 120;
  claims["exp"] = kNow + 3600;
  auto identity = complete_with(claims, keys().next);
  EXPECT_TRUE(identity.ok()) << identity.error().detail;
}

TEST_F(OidcSignInTest, AWorkspaceDomainNotAllowedHereIsNotPermitted) {
  boost::json::object claims = student_claims();
  claims["hd"] = "shelbyville.example";
  EXPECT_EQ(complete_with(claims).error().code, sdk::ErrorCode::not_permitted);
}

TEST_F(OidcSignInTest, AnEmailThatLooksAllowedWithoutHdIsNotPermitted) {
  boost::json::object claims = student_claims();
  claims.erase("hd");
  ASSERT_THAT(claims.at("email").as_string().c_str(), HasSubstr(std::string(kDomain)));
  EXPECT_EQ(complete_with(claims).error().code, sdk::ErrorCode::not_permitted);
}

TEST_F(OidcSignInTest, TokenEndpointFailuresAreTypedErrors) {
  token_answer_ = answer(400, R"({"error":"invalid_grant"})");
  EXPECT_EQ(plugin_->complete(callback()).error().code, sdk::ErrorCode::upstream_rejected);
  token_answer_ = answer(401, R"({"error":"invalid_client"})");
  EXPECT_EQ(plugin_->complete(callback()).error().code, sdk::ErrorCode::upstream_rejected);
  token_answer_ = sdk::Error{sdk::ErrorCode::upstream_unavailable, "connect refused"};
  EXPECT_EQ(plugin_->complete(callback()).error().code, sdk::ErrorCode::upstream_unavailable);
  token_answer_ = answer(200, "{not json");
  EXPECT_EQ(plugin_->complete(callback()).error().code, sdk::ErrorCode::upstream_malformed);
  token_answer_ = answer(200, R"({"access_token":"at","token_type":"Bearer"})");
  EXPECT_EQ(plugin_->complete(callback()).error().code, sdk::ErrorCode::upstream_malformed);
  token_answer_ = answer(200, R"({"id_token":"a.b.c","token_type":"mac"})");
  EXPECT_EQ(plugin_->complete(callback()).error().code, sdk::ErrorCode::upstream_malformed);
  token_answer_ = answer(200, R"({"id_token":")" + std::string(20'000, 'a') + R"("})");
  EXPECT_EQ(plugin_->complete(callback()).error().code, sdk::ErrorCode::limit_exceeded);
  token_answer_ = answer(200, R"({"id_token":"not-a-jwt"})");
  EXPECT_EQ(plugin_->complete(callback()).error().code, sdk::ErrorCode::token_invalid);
}

TEST_F(OidcSignInTest, ACallbackNamingAnotherIssuerIsRefusedBeforeRedeemingTheCode) {
  sdk::CallbackRequest mixed_up = callback();
  mixed_up.params["iss"] = "https://evil.example";
  EXPECT_EQ(plugin_->complete(mixed_up).error().code, sdk::ErrorCode::invalid_request);
  EXPECT_EQ(calls_to(kTokenUrl), 0);
}

TEST_F(OidcSignInTest, LogsNoCodeTokenSecretOrPersonalData) {
  token_answer_ = answer(401, R"({"error":"invalid_client"})");
  (void)plugin_->complete(callback("code-canary"));
  (void)complete_with(student_claims(), keys().impostor);
  ASSERT_FALSE(logger_.lines().empty());
  for (const std::string& line : logger_.lines()) {
    EXPECT_THAT(line, Not(HasSubstr("code-canary")));
    EXPECT_THAT(line, Not(HasSubstr("secret-1")));
    EXPECT_THAT(line, Not(HasSubstr("verifier-0123456789")));
    EXPECT_THAT(line, Not(HasSubstr("zzcanary")));
  }
}

// The generic module: the verifier is asked for exactly the discovered issuer, our client id,
// the login's nonce, the configured algorithms and a small leeway, and its errors pass through.
class GenericOidcTest : public ::testing::Test {
 protected:
  GenericOidcTest() {
    context_.use_tokens(tokens_);
    OidcConfig config = google_config();
    config.flavor = Flavor::generic;
    config.issuers = {"https://op.example"};
    config.algorithms = {"ES256", "RS256"};
    config.hosted_domains.clear();
    config.default_role = sdk::Role::teacher;
    plugin_ = std::make_unique<OidcSignIn>(std::move(config), context_);
    EXPECT_CALL(http_, send(::testing::Field(&sdk::HttpRequest::url, kDiscoveryUrl)))
        .WillRepeatedly(Return(answer(200, discovery_document("https://op.example"))));
    EXPECT_CALL(http_, send(::testing::Field(&sdk::HttpRequest::url, kTokenUrl)))
        .WillRepeatedly(Return(answer(200, R"({"id_token":"h.p.s","token_type":"bearer"})")));
  }

  sdk::CallbackRequest callback() {
    sdk::CallbackRequest request;
    request.redirect_uri = std::string(kRedirectUri);
    request.params["code"] = "code-1";
    request.login = sdk::StartedLogin{"nonce-7", "verifier-7", ""};
    return request;
  }

  ::testing::StrictMock<sdk::testing::MockHttpClient> http_;
  ::testing::StrictMock<sdk::testing::MockTokenVerifier> tokens_;
  sdk::testing::FixedClock clock_{
      std::chrono::system_clock::time_point(std::chrono::seconds(kNow))};
  sdk::testing::RecordingLogger logger_;
  sdk::testing::MapSecrets secrets_;
  sdk::testing::TestContext context_{sdk::ConfigNode(), http_, clock_, logger_, secrets_, "oidc"};
  std::unique_ptr<OidcSignIn> plugin_;
};

TEST_F(GenericOidcTest, AsksTheVerifierForTheDiscoveredIssuerOurClientAndTheNonce) {
  EXPECT_CALL(tokens_, verify("h.p.s", _))
      .WillOnce([](std::string_view, const sdk::JwtCheck& check) -> sdk::Result<sdk::VerifiedJwt> {
        EXPECT_EQ(check.jwks_uri, kJwksUrl);
        EXPECT_EQ(check.algorithms, (std::vector<std::string>{"ES256", "RS256"}));
        EXPECT_EQ(check.issuers, (std::vector<std::string>{"https://op.example"}));
        EXPECT_EQ(check.audiences, (std::vector<std::string>{"client-1"}));
        EXPECT_EQ(check.nonce, "nonce-7");
        EXPECT_EQ(check.leeway, kClockLeeway);
        EXPECT_TRUE(check.require_expiry);
        return sdk::VerifiedJwt{R"({"alg":"RS256"})",
                                R"({"sub":"op-user-1","email":"t@example.org",)"
                                R"("email_verified":true,"given_name":"Tess"})",
                                "RS256", "k"};
      });
  auto identity = plugin_->complete(callback());
  ASSERT_TRUE(identity.ok()) << identity.error().detail;
  EXPECT_EQ(identity->subject, "op-user-1");
  EXPECT_EQ(identity->role, sdk::Role::teacher);
  EXPECT_FALSE(identity->provider_district.has_value());
}

TEST_F(GenericOidcTest, VerifierErrorsSurfaceUnchanged) {
  for (sdk::ErrorCode code : {sdk::ErrorCode::token_invalid, sdk::ErrorCode::upstream_unavailable,
                              sdk::ErrorCode::upstream_malformed}) {
    EXPECT_CALL(tokens_, verify(_, _)).WillOnce(Return(sdk::Error{code, "refused"}));
    EXPECT_EQ(plugin_->complete(callback()).error().code, code);
  }
}

// Cross-Account Protection: security event tokens verified for real against the RISC
// configuration's keys.

boost::json::object security_event(std::string_view type = kSessionsRevokedEvent) {
  boost::json::object subject{
      {"subject_type", "iss-sub"}, {"iss", kRiscIssuer}, {"sub", "110169484474386276334"}};
  boost::json::object events;
  events[type] = boost::json::object{{"subject", subject}};
  return {{"iss", kRiscIssuer},
          {"aud", "client-1"},
          {"iat", kNow - 10},
          {"jti", "jti-1"},
          {"events", events}};
}

sdk::WebhookRequest webhook(std::string body, std::string channel = "") {
  sdk::WebhookRequest request;
  request.channel = std::move(channel);
  request.content_type = "application/secevent+jwt";
  request.body = std::move(body);
  return request;
}

TEST_F(OidcSignInTest, GenuineSecurityEventTokenGivesItsSignal) {
  auto signals = plugin_->handle_signal(webhook(sign(security_event()) + "\n"));
  ASSERT_TRUE(signals.ok()) << signals.error().detail;
  ASSERT_EQ(signals->size(), 1u);
  EXPECT_EQ((*signals)[0].kind, sdk::SignalKind::sessions_revoked);
  EXPECT_EQ((*signals)[0].subject, "110169484474386276334");
  EXPECT_EQ(calls_to(kRiscUrl), 1);
  EXPECT_EQ(calls_to(kDiscoveryUrl), 0);
}

TEST_F(OidcSignInTest, ForgedOrMisdirectedSecurityEventTokensAreRefused) {
  boost::json::object wrong_aud = security_event();
  wrong_aud["aud"] = "another-client";
  boost::json::object id_token_issuer = security_event();
  id_token_issuer["iss"] = "https://accounts.google.com";
  boost::json::object old = security_event();
  old["iat"] = kNow - 86'401;
  boost::json::object no_jti = security_event();
  no_jti.erase("jti");
  const std::pair<std::string, std::string> refused[] = {
      {"wrong key", sign(security_event(), keys().impostor)},
      {"wrong aud", sign(wrong_aud)},
      {"ID-token issuer", sign(id_token_issuer)},
      {"old iat", sign(old)},
      {"no jti", sign(no_jti)},
      {"unsigned", "eyJhbGciOiJub25lIn0." +
                       sdk::base64url_encode(boost::json::serialize(security_event())) + "."}};
  for (const auto& [what, token] : refused) {
    SCOPED_TRACE(what);
    EXPECT_FALSE(plugin_->handle_signal(webhook(token)).ok());
  }
  EXPECT_EQ(plugin_->handle_signal(webhook(sign(security_event()), "deauthorize")).error().code,
            sdk::ErrorCode::unsupported);
  sdk::WebhookRequest form = webhook(sign(security_event()));
  form.content_type = "application/x-www-form-urlencoded";
  EXPECT_FALSE(plugin_->handle_signal(form).ok());
}

TEST_F(OidcSignInTest, RiscConfigurationNamingAnotherIssuerIsRefused) {
  risc_configuration_ = answer(
      200, R"({"issuer":"https://evil.example/","jwks_uri":")" + std::string(kJwksUrl) + R"("})");
  EXPECT_FALSE(plugin_->handle_signal(webhook(sign(security_event()))).ok());
}

TEST_F(OidcSignInTest, GenericOidcConnectionsAcceptNoWebhooks) {
  OidcConfig config = google_config();
  config.flavor = Flavor::generic;
  make_plugin(config);
  auto signals = plugin_->handle_signal(webhook(sign(security_event())));
  ASSERT_FALSE(signals.ok());
  EXPECT_EQ(signals.error().code, sdk::ErrorCode::unsupported);
  EXPECT_EQ(calls_to(kRiscUrl), 0);
}

}  // namespace
}  // namespace lmsgw::plugins::google
