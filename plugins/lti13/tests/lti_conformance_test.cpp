// The SDK's conformance suite against the LTI 1.3 plugin, with the platform's side of a launch
// scripted as PROTOCOLS.md section 4 describes it: an id_token form-POSTed to the callback,
// which verifies only with the nonce of the login it was issued for.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "lmsgw/sdk/encoding.h"
#include "lmsgw/sdk/testing/conformance.h"
#include "lti_claims.h"
#include "lti_config.h"
#include "lti_sign_in.h"

namespace lmsgw::plugins::lti13 {
namespace {

using ::testing::_;
using ::testing::Field;

constexpr std::string_view kIssuer = "https://lms.example.edu";
constexpr std::string_view kClientId = "tool-client-1";
constexpr std::string_view kTarget = "https://platform.example.org/lti/launch";
constexpr std::string_view kSubject = "lms-user-42";

sdk::ConfigNode registration() {
  const std::string path = "connections.conformance.config";
  auto scalar = [&](std::string key, std::string value, int line) {
    return std::pair{
        key, sdk::ConfigNode::scalar(path + "." + key, {"test.yaml", line}, std::move(value))};
  };
  sdk::ConfigNode::Entries entries = {
      scalar("issuer", std::string(kIssuer), 2),
      scalar("client_id", std::string(kClientId), 3),
      scalar("auth_endpoint", "https://lms.example.edu/api/lti/authorize", 4),
      scalar("jwks_url", "https://lms.example.edu/api/lti/jwks", 5),
      {"deployment_ids",
       sdk::ConfigNode::sequence(
           path + ".deployment_ids", {"test.yaml", 6},
           {sdk::ConfigNode::scalar(path + ".deployment_ids[0]", {"test.yaml", 7}, "dep-1")})}};
  return sdk::ConfigNode::mapping(path, {"test.yaml", 1}, std::move(entries));
}

std::string claims_for(const std::string& nonce) {
  const auto lti = [](std::string_view name) {
    return std::string(kClaimPrefix) + std::string(name);
  };
  boost::json::object claims{{"iss", kIssuer},
                             {"aud", kClientId},
                             {"sub", kSubject},
                             {"nonce", nonce},
                             {"given_name", "Ana"},
                             {"family_name", "Zzfamilycanary"},
                             {"email", "zz.canary@example.org"}};
  claims[lti("message_type")] = kResourceLinkRequest;
  claims[lti("version")] = kLtiVersion;
  claims[lti("deployment_id")] = "dep-1";
  claims[lti("target_link_uri")] = kTarget;
  claims[lti("resource_link")] = {{"id", "rl-7"}};
  claims[lti("roles")] =
      boost::json::array{"http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"};
  claims[lti("lis")] = {{"person_sourcedid", "ZZSOURCEDIDCANARY"}};
  return boost::json::serialize(claims);
}

sdk::testing::ConformanceTarget lti_target() {
  sdk::testing::ConformanceTarget target;
  target.name = "lti13";
  target.config = registration();
  target.create = [](sdk::PluginContext& context) -> sdk::Result<std::unique_ptr<sdk::AuthPlugin>> {
    auto config = read_config(context);
    if (!config) return config.error();
    return std::unique_ptr<sdk::AuthPlugin>(
        std::make_unique<LtiSignIn>(std::move(*config), context));
  };
  target.openid_connect = true;
  target.login_params = {{"iss", std::string(kIssuer)},
                         {"login_hint", "hint-42"},
                         {"target_link_uri", std::string(kTarget)},
                         {"lti_deployment_id", "dep-1"}};
  target.sign_in = [](const sdk::LoginRequest& request, const sdk::LoginRedirect&,
                      sdk::testing::ProviderMocks& provider) {
    // One token per login; it verifies only under that login's nonce, as the real verifier
    // checks it.
    const std::string id_token = sdk::base64url_encode(R"({"alg":"RS256","kid":"k1"})") + "." +
                                 sdk::base64url_encode(claims_for(request.nonce)) + ".c2ln";
    ON_CALL(provider.tokens,
            verify(std::string_view(id_token),
                   Field(&sdk::JwtCheck::nonce, std::optional<std::string>(request.nonce))))
        .WillByDefault(::testing::Return(sdk::Result<sdk::VerifiedJwt>(
            sdk::VerifiedJwt{R"({"alg":"RS256"})", claims_for(request.nonce), "RS256", "k1"})));
    return sdk::testing::ScriptedSignIn{{{"id_token", id_token}}, std::string(kSubject)};
  };
  target.canaries = {"Zzfamilycanary", "zz.canary@example.org", "ZZSOURCEDIDCANARY"};
  return target;
}

LMSGW_CONFORMANCE_SUITE(Lti13, lti_target());

}  // namespace
}  // namespace lmsgw::plugins::lti13
