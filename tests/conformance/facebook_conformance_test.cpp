// The SDK's conformance suite against the Facebook plugin, with Facebook scripted as
// PROTOCOLS.md section 3 describes it: a code exchanged once at the versioned Graph, then /me
// with the field list and appsecret_proof.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "facebook_config.h"
#include "facebook_sign_in.h"
#include "lmsgw/sdk/encoding.h"
#include "lmsgw/sdk/testing/conformance.h"
#include "tests/conformance/config_tree.h"

namespace lmsgw::testing {
namespace {

using sdk::testing::IsRequestTo;
using sdk::testing::json_answer;
using ::testing::_;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::Return;

// What the scripted HMAC answers; the plugin must send its hex form as appsecret_proof.
const std::string kMac(32, '\x5a');

sdk::testing::ConformanceTarget facebook_target() {
  sdk::testing::ConformanceTarget target;
  target.name = "facebook";
  target.config = config_tree({{"app_id", "1234567890"},
                               {"app_secret", "env:FACEBOOK_SECRET"},
                               {"graph_version", "v21.0"},
                               {"role", "teacher"}});
  target.secrets = {{"env:FACEBOOK_SECRET", "facebook-app-secret-zz01"}};
  target.create = [](sdk::PluginContext& context) -> sdk::Result<std::unique_ptr<sdk::AuthPlugin>> {
    auto config = plugins::facebook::read_config(context);
    if (!config) return config.error();
    return std::unique_ptr<sdk::AuthPlugin>(
        std::make_unique<plugins::facebook::FacebookSignIn>(std::move(*config), context));
  };
  target.provider_setup = [](sdk::testing::ProviderMocks& provider) {
    ON_CALL(provider.crypto, hmac_sha256("facebook-app-secret-zz01", _))
        .WillByDefault(Return(kMac));
  };
  target.sign_in = [](const sdk::LoginRequest&, const sdk::LoginRedirect&,
                      sdk::testing::ProviderMocks& provider) {
    static std::atomic<int> sign_ins{0};
    const std::string code = "AQfacebook-code-zz" + std::to_string(++sign_ins);
    const std::string token = "EAAfacebook-token-zz" + std::to_string(sign_ins);
    ON_CALL(provider.http,
            send(AllOf(IsRequestTo("GET", "https://graph.facebook.com/v21.0/oauth/access_token"),
                       Field(&sdk::HttpRequest::url, HasSubstr("code=" + code)))))
        .WillByDefault(sdk::testing::single_use(json_answer(
            200,
            R"({"access_token":")" + token + R"(","token_type":"bearer","expires_in":5183944})")));
    ON_CALL(
        provider.http,
        send(AllOf(
            IsRequestTo("GET", "https://graph.facebook.com/v21.0/me"),
            Field(&sdk::HttpRequest::url, HasSubstr("appsecret_proof=" + sdk::hex_encode(kMac))),
            Field(&sdk::HttpRequest::headers, Contains(Pair("Authorization", "Bearer " + token))))))
        .WillByDefault(Return(sdk::Result<sdk::HttpResponse>(
            json_answer(200, R"({"id":"10158000000000001","first_name":"Rosa"})"))));
    return sdk::testing::ScriptedSignIn{{{"code", code}}, "10158000000000001"};
  };
  return target;
}

LMSGW_CONFORMANCE_SUITE(Facebook, facebook_target());

}  // namespace
}  // namespace lmsgw::testing
