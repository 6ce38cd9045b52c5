// The SDK's conformance suite against the OpenID Connect core of the `google` and `oidc`
// modules, with the provider scripted as PROTOCOLS.md section 2 describes it: the discovery
// document, a code redeemed once for an id_token, and the id_token's claims as the gateway's
// verifier would hand them back.
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

struct Provider {
  std::string issuer;
  std::string discovery_url;
  std::string token_endpoint;
  std::string client_id;
  std::string subject;
  // Claims beyond the protocol's, e.g. Google's `hd`.
  std::string extra_claims;
};

std::string discovery(const Provider& provider) {
  return R"({"issuer":")" + provider.issuer + R"(","authorization_endpoint":")" + provider.issuer +
         R"(/authorize","token_endpoint":")" + provider.token_endpoint + R"(","jwks_uri":")" +
         provider.issuer +
         R"(/certs","response_types_supported":["code","id_token"],)"
         R"("code_challenge_methods_supported":["plain","S256"],)"
         R"("id_token_signing_alg_values_supported":["RS256"],)"
         R"("token_endpoint_auth_methods_supported":["client_secret_post","client_secret_basic"]})";
}

sdk::testing::ConformanceTarget oidc_target(std::string name, plugins::google::Flavor flavor,
                                            sdk::ConfigNode config, Provider provider) {
  sdk::testing::ConformanceTarget target;
  target.name = std::move(name);
  target.config = std::move(config);
  target.secrets = {{"env:OIDC_SECRET", "oidc-client-secret-zz01"}};
  target.create =
      [flavor](sdk::PluginContext& context) -> sdk::Result<std::unique_ptr<sdk::AuthPlugin>> {
    auto read = plugins::google::read_config(context, flavor);
    if (!read) return read.error();
    return std::unique_ptr<sdk::AuthPlugin>(
        std::make_unique<plugins::google::OidcSignIn>(std::move(*read), context));
  };
  target.openid_connect = true;
  target.pkce = true;
  target.provider_setup = [provider](sdk::testing::ProviderMocks& mocks) {
    ON_CALL(mocks.http, send(IsRequestTo("GET", provider.discovery_url)))
        .WillByDefault(
            Return(sdk::Result<sdk::HttpResponse>(json_answer(200, discovery(provider)))));
  };
  target.sign_in = [provider](const sdk::LoginRequest& login, const sdk::LoginRedirect&,
                              sdk::testing::ProviderMocks& mocks) {
    static std::atomic<int> sign_ins{0};
    const std::string n = std::to_string(++sign_ins);
    const std::string code = "4/0oidc-code-zz" + n;
    const std::string claims =
        R"({"iss":")" + provider.issuer + R"(","aud":")" + provider.client_id + R"(","azp":")" +
        provider.client_id + R"(","sub":")" + provider.subject + R"(",)" + provider.extra_claims +
        R"("email":"zz.ana@springfield.k12.example","email_verified":true,"given_name":"Ana",)"
        R"("family_name":"Zzfamilycanary","iat":1714564800,"exp":1714568400,"nonce":")" +
        login.nonce + R"("})";
    const std::string id_token = compact_jws(claims);
    ON_CALL(
        mocks.http,
        send(AllOf(IsRequestTo("POST", provider.token_endpoint),
                   Field(&sdk::HttpRequest::body, HasSubstr("code=" + sdk::percent_encode(code))))))
        .WillByDefault(sdk::testing::single_use(
            json_answer(200, R"({"access_token":"ya29.oidc-access-zz)" + n +
                                 R"(","expires_in":3599,"token_type":"Bearer","id_token":")" +
                                 id_token + R"("})")));
    ON_CALL(mocks.tokens, verify(id_token, _))
        .WillByDefault(Return(sdk::Result<sdk::VerifiedJwt>(
            sdk::VerifiedJwt{R"({"alg":"RS256","kid":"k1"})", claims, "RS256", "k1"})));
    return sdk::testing::ScriptedSignIn{{{"code", code}, {"scope", "openid email"}},
                                        provider.subject};
  };
  target.canaries = {"zz.ana@springfield.k12.example", "Zzfamilycanary"};
  return target;
}

// Google for a Workspace district: Google's own discovery document and issuers by default.
sdk::testing::ConformanceTarget google_target() {
  return oidc_target(
      "google", plugins::google::Flavor::google,
      config_tree({{"client_id", "google-client.apps.googleusercontent.com"},
                   {"client_secret", "env:OIDC_SECRET"},
                   {"hosted_domains", std::vector<std::string>{"springfield.k12.example"}}}),
      Provider{"https://accounts.google.com",
               "https://accounts.google.com/.well-known/openid-configuration",
               "https://oauth2.googleapis.com/token", "google-client.apps.googleusercontent.com",
               "110169484474386276334", R"("hd":"springfield.k12.example",)"});
}

// Any OpenID provider, named by its discovery URL, for teachers.
sdk::testing::ConformanceTarget generic_target() {
  return oidc_target(
      "oidc", plugins::google::Flavor::generic,
      config_tree({{"client_id", "gateway-client"},
                   {"client_secret", "env:OIDC_SECRET"},
                   {"discovery_url", "https://id.example.org/.well-known/openid-configuration"},
                   {"default_role", "teacher"}}),
      Provider{"https://id.example.org", "https://id.example.org/.well-known/openid-configuration",
               "https://id.example.org/token", "gateway-client", "teacher-7", ""});
}

LMSGW_CONFORMANCE_SUITE(Google, google_target());
LMSGW_CONFORMANCE_SUITE(Oidc, generic_target());

}  // namespace
}  // namespace lmsgw::testing
