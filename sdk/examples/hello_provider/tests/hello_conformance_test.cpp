// The SDK's conformance suite against the Hello ID plugin: Hello ID's side of one sign-in is
// scripted on the suite's provider mocks, and the suite runs its standard checks from there.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hello_sign_in.h"
#include "lmsgw/sdk/testing/conformance.h"

namespace hello {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::Return;
namespace sdk = lmsgw::sdk;
namespace sdk_testing = lmsgw::sdk::testing;

sdk_testing::ConformanceTarget hello_target() {
  sdk_testing::ConformanceTarget target;
  target.name = "hello";
  target.config = sdk_testing::config_from({{"client_id", "hello-client"},
                                            {"client_secret", "env:HELLO_SECRET"},
                                            {"authorize_url", "https://id.hello.example/authorize"},
                                            {"token_url", "https://id.hello.example/token"},
                                            {"userinfo_url", "https://id.hello.example/userinfo"}});
  target.secrets = {{"env:HELLO_SECRET", "hello-client-secret-zz01"}};
  target.create = make_sign_in;
  target.pkce = true;
  target.sign_in = [](const sdk::LoginRequest&, const sdk::LoginRedirect&,
                      sdk_testing::ProviderMocks& provider) {
    // Each sign-in gets its own code, redeemable once, like Hello ID's.
    static std::atomic<int> sign_ins{0};
    const std::string code = "hello-code-zz" + std::to_string(++sign_ins);
    const std::string token = "hello-access-token-zz" + std::to_string(sign_ins);
    ON_CALL(provider.http,
            send(AllOf(sdk_testing::IsRequestTo("POST", "https://id.hello.example/token"),
                       Field(&sdk::HttpRequest::body, HasSubstr("code=" + code)))))
        .WillByDefault(sdk_testing::single_use(sdk_testing::json_answer(
            200, R"({"access_token":")" + token + R"(","token_type":"Bearer","expires_in":600})")));
    ON_CALL(provider.http,
            send(AllOf(sdk_testing::IsRequestTo("GET", "https://id.hello.example/userinfo"),
                       Field(&sdk::HttpRequest::headers,
                             Contains(Pair("Authorization", "Bearer " + token))))))
        .WillByDefault(Return(sdk::Result<sdk::HttpResponse>(sdk_testing::json_answer(
            200,
            R"({"sub":"h-1001","role":"student","school":"sch-0042",)"
            R"("given_name":"Ana","family_name":"Zzfamilycanary",)"
            R"("email":"zz.ana@example.org","email_verified":true,"birthdate":"2015-03-04"})"))));
    return sdk_testing::ScriptedSignIn{{{"code", code}}, "h-1001"};
  };
  target.canaries = {"Zzfamilycanary", "zz.ana@example.org", "2015-03-04"};
  return target;
}

LMSGW_CONFORMANCE_SUITE(Hello, hello_target());

}  // namespace
}  // namespace hello
