// The SDK's conformance suite against the Google plugin (its OpenID Connect core, which the
// `oidc` module shares), with Google scripted as PROTOCOLS.md section 2 describes it: the
// discovery document, a code redeemed once for an id_token, and the id_token as the gateway's
// verifier would hand back its claims.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "lmsgw/sdk/encoding.h"
#include "lmsgw/sdk/testing/conformance.h"
#include "oidc_config.h"
#include "oidc_sign_in.h"
#include "tests/conformance/config_tree.h"

namespace lmsgw::testing {
namespace {

using sdk::testing::IsRequestTo;
using sdk::testing::json_answer;
using ::testing::_;
using ::testing::AllOf;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Return;

constexpr std::string_view kDiscovery = R"({
  "issuer": "https://accounts.google.com",
  "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
  "token_endpoint": "https://oauth2.googleapis.com/token",
  "jwks_uri": "https://www.googleapis.com/oauth2/v3/certs",
  "response_types_supported": ["code", "id_token"],
  "code_challenge_methods_supported": ["plain", "S256"],
  "id_token_signing_alg_values_supported": ["RS256"],
  "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"]})";

sdk::testing::ConformanceTarget google_target() {
  sdk::testing::ConformanceTarget target;
  target.name = "google";
  target.config =
      config_tree({{"client_id", "google-client.apps.googleusercontent.com"},
                   {"client_secret", "env:GOOGLE_SECRET"},
                   {"hosted_domains", std::vector<std::string>{"springfield.k12.example"}}});
  target.secrets = {{"env:GOOGLE_SECRET", "google-client-secret-zz01"}};
  target.create = [](sdk::PluginContext& context) -> sdk::Result<std::unique_ptr<sdk::AuthPlugin>> {
    auto config = plugins::google::read_config(context, plugins::google::Flavor::google);
    if (!config) return config.error();
    return std::unique_ptr<sdk::AuthPlugin>(
        std::make_unique<plugins::google::OidcSignIn>(std::move(*config), context));
  };
  target.openid_connect = true;
  target.pkce = true;
  target.provider_setup = [](sdk::testing::ProviderMocks& provider) {
    ON_CALL(
        provider.http,
        send(IsRequestTo("GET", "https://accounts.google.com/.well-known/openid-configuration")))
        .WillByDefault(
            Return(sdk::Result<sdk::HttpResponse>(json_answer(200, std::string(kDiscovery)))));
  };
  target.sign_in = [](const sdk::LoginRequest& login, const sdk::LoginRedirect&,
                      sdk::testing::ProviderMocks& provider) {
    static std::atomic<int> sign_ins{0};
    const std::string code = "4/0google-code-zz" + std::to_string(++sign_ins);
    const std::string claims =
        R"({"iss":"https://accounts.google.com","aud":"google-client.apps.googleusercontent.com",)"
        R"("azp":"google-client.apps.googleusercontent.com","sub":"110169484474386276334",)"
        R"("hd":"springfield.k12.example","email":"zz.ana@springfield.k12.example",)"
        R"("email_verified":true,"given_name":"Ana","family_name":"Zzfamilycanary",)"
        R"("iat":1714564800,"exp":1714568400,"nonce":")" +
        login.nonce + R"("})";
    const std::string id_token = compact_jws(claims);
    ON_CALL(
        provider.http,
        send(AllOf(IsRequestTo("POST", "https://oauth2.googleapis.com/token"),
                   Field(&sdk::HttpRequest::body, HasSubstr("code=" + sdk::percent_encode(code))))))
        .WillByDefault(sdk::testing::single_use(json_answer(
            200, R"({"access_token":"ya29.google-access-zz)" + std::to_string(sign_ins) +
                     R"(","expires_in":3599,"token_type":"Bearer","scope":"openid email",)"
                     R"("id_token":")" +
                     id_token + R"("})")));
    ON_CALL(provider.tokens, verify(id_token, _))
        .WillByDefault(Return(sdk::Result<sdk::VerifiedJwt>(
            sdk::VerifiedJwt{R"({"alg":"RS256","kid":"k1"})", claims, "RS256", "k1"})));
    return sdk::testing::ScriptedSignIn{
        {{"code", code}, {"scope", "openid email"}, {"hd", "springfield.k12.example"}},
        "110169484474386276334"};
  };
  target.canaries = {"zz.ana@springfield.k12.example", "Zzfamilycanary"};
  return target;
}

LMSGW_CONFORMANCE_SUITE(Google, google_target());

}  // namespace
}  // namespace lmsgw::testing
