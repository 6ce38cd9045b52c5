// The SDK's conformance suite against the Clever plugin, with Clever's side of a sign-in
// scripted as PROTOCOLS.md section 1 describes it: a code redeemed once at the token endpoint,
// then /v3.0/me and the user record with the bearer token.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "clever_config.h"
#include "clever_sign_in.h"
#include "lmsgw/sdk/testing/conformance.h"

namespace lmsgw::plugins::clever {
namespace {

using sdk::testing::IsRequestTo;
using sdk::testing::json_answer;
using ::testing::_;
using ::testing::AllOf;
using ::testing::Field;
using ::testing::HasSubstr;

constexpr std::string_view kUserId = "6620aa00000000000000b001";
constexpr std::string_view kAccessToken = "clever-access-token-zz01";

sdk::testing::ConformanceTarget clever_target() {
  sdk::testing::ConformanceTarget target;
  target.name = "clever";
  target.config =
      sdk::testing::config_from({{"client_id", "client-1"},
                                 {"client_secret", "env:CLEVER_SECRET"},
                                 {"authorize_url", "https://clever.example/oauth/authorize"},
                                 {"token_url", "https://clever.example/oauth/tokens"},
                                 {"api_base_url", "https://api.clever.example"}});
  target.secrets = {{"env:CLEVER_SECRET", "clever-client-secret-zz02"}};
  target.create = [](sdk::PluginContext& context) -> sdk::Result<std::unique_ptr<sdk::AuthPlugin>> {
    auto config = read_config(context);
    if (!config) return config.error();
    return std::unique_ptr<sdk::AuthPlugin>(
        std::make_unique<CleverSignIn>(std::move(*config), context));
  };
  target.sign_in = [](const sdk::LoginRequest&, const sdk::LoginRedirect&,
                      sdk::testing::ProviderMocks& provider) {
    const std::string code = "clever-code-zz03";
    ON_CALL(provider.http, send(AllOf(IsRequestTo("POST", "https://clever.example/oauth/tokens"),
                                      Field(&sdk::HttpRequest::body, HasSubstr(code)))))
        .WillByDefault(sdk::testing::single_use(json_answer(
            200,
            R"({"access_token":")" + std::string(kAccessToken) + R"(","token_type":"bearer"})")));
    const auto bearer = Field(&sdk::HttpRequest::headers,
                              ::testing::Contains(::testing::Pair(
                                  "Authorization", "Bearer " + std::string(kAccessToken))));
    ON_CALL(provider.http,
            send(AllOf(IsRequestTo("GET", "https://api.clever.example/v3.0/me"), bearer)))
        .WillByDefault(::testing::Return(sdk::Result<sdk::HttpResponse>(
            json_answer(200, R"({"type":"user","data":{"id":")" + std::string(kUserId) +
                                 R"(","district":"6620aa00000000000000d001","type":"user"}})"))));
    ON_CALL(provider.http, send(AllOf(IsRequestTo("GET", "https://api.clever.example/v3.0/users/" +
                                                             std::string(kUserId)),
                                      bearer)))
        .WillByDefault(::testing::Return(sdk::Result<sdk::HttpResponse>(json_answer(
            200, R"({"data":{"id":")" + std::string(kUserId) +
                     R"(","district":"6620aa00000000000000d001","email":"zz.canary@example.org",)"
                     R"("name":{"first":"Ana","last":"Zzfamilycanary"},)"
                     R"("roles":{"student":{"dob":"3/4/2015","sis_id":"ZZSISCANARY"}}}})"))));
    return sdk::testing::ScriptedSignIn{{{"code", code}, {"scope", "read:user_id"}},
                                        std::string(kUserId)};
  };
  target.canaries = {"zz.canary@example.org", "Zzfamilycanary", "3/4/2015", "ZZSISCANARY"};
  return target;
}

LMSGW_CONFORMANCE_SUITE(Clever, clever_target());

}  // namespace
}  // namespace lmsgw::plugins::clever
