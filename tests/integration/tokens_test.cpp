// The gateway as token issuer, through its real HTTP endpoints, checked by an implementation
// nobody here wrote (PyJWT) and by the command line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "lmsgw/sdk/encoding.h"
#include "tests/integration/gateway_environment.h"

namespace lmsgw::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Runs a command and returns its exit status and what it printed on stdout.
std::pair<int, std::string> run(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string kid_of(const std::string& token) {
  const std::string header = *sdk::base64url_decode(token.substr(0, token.find('.')));
  const std::string key = "\"kid\":\"";
  const auto at = header.find(key) + key.size();
  return header.substr(at, header.find('"', at) - at);
}

class TokensTest : public ::testing::Test {
 protected:
  sdk::HttpResponse check_bearer(const std::string& token) {
    TestBrowser bare(env_.pki().ca_certificate_file);
    sdk::HttpRequest request;
    request.url = env_.gateway_url() + "/auth/check";
    request.headers = {{"Authorization", "Bearer " + token}};
    auto client = bare_client();
    return *client->send(request);
  }
  sdk::HttpResponse introspect(const std::string& token) {
    sdk::HttpRequest request;
    request.method = "POST";
    request.url = env_.gateway_url() + "/oauth/introspect";
    request.headers = {{"Authorization", "Basic " + sdk::base64_encode(kIntrospectionClient)},
                       {"Content-Type", "application/x-www-form-urlencoded"}};
    request.body = "token=" + token;
    return *bare_client()->send(request);
  }
  std::unique_ptr<http::Client> bare_client() {
    http::ClientOptions options;
    options.allow_plain_http_to_loopback = true;
    return std::move(*http::Client::create(options));
  }

  GatewayEnvironment env_;
  TestBrowser browser_{env_.pki().ca_certificate_file};
};

TEST_F(TokensTest, PyJwtVerifiesAGatewayTokenAgainstTheGatewaysJwksUrl) {
  ASSERT_EQ(env_.sign_in(browser_, "clever", kStudentId).status, 200);
  const std::string token = env_.access_token(browser_);
  ASSERT_FALSE(token.empty());
  auto [status, claims] = run(std::string("/usr/bin/python3 ") + LMSGW_VERIFY_WITH_PYJWT + " " +
                              env_.gateway_url() + "/.well-known/jwks.json " + env_.gateway_url() +
                              " " + std::string(kTokenAudience) + " " + token);
  ASSERT_EQ(status, 0) << "PyJWT refused the gateway's token (is python3-jwt installed?)";
  EXPECT_THAT(claims, HasSubstr("\"display_name\": \"Ana\""));
  EXPECT_THAT(claims, HasSubstr("\"role\": \"student\""));
  EXPECT_THAT(claims, Not(HasSubstr("Zzfamilycanary")));

  // The same library refuses it for another audience: the check above was a real one.
  auto [wrong, _] = run(std::string("/usr/bin/python3 ") + LMSGW_VERIFY_WITH_PYJWT + " " +
                        env_.gateway_url() + "/.well-known/jwks.json " + env_.gateway_url() +
                        " another-platform " + token + " 2>/dev/null");
  EXPECT_EQ(wrong, 1);
}

TEST_F(TokensTest, DiscoveryNamesTheJwksAndTheIntrospectionEndpoint) {
  sdk::HttpResponse discovery =
      browser_.get(env_.gateway_url() + "/.well-known/openid-configuration");
  ASSERT_EQ(discovery.status, 200);
  EXPECT_THAT(discovery.body,
              HasSubstr("\"jwks_uri\":\"" + env_.gateway_url() + "/.well-known/jwks.json\""));
  EXPECT_THAT(discovery.body, HasSubstr("\"introspection_endpoint\":\"" + env_.gateway_url() +
                                        "/oauth/introspect\""));
  sdk::HttpResponse jwks = browser_.get(env_.gateway_url() + "/.well-known/jwks.json");
  EXPECT_EQ(sdk::find_header(jwks.headers, "Cache-Control"), "public, max-age=300");
  EXPECT_FALSE(sdk::find_header(jwks.headers, "ETag").empty());
}

TEST_F(TokensTest, ABearerTokenPassesForwardAuthAndIntrospectionUntilLogout) {
  ASSERT_EQ(env_.sign_in(browser_, "clever", kTeacherId).status, 200);
  const std::string token = env_.access_token(browser_);
  sdk::HttpResponse check = check_bearer(token);
  ASSERT_EQ(check.status, 200);
  EXPECT_EQ(sdk::find_header(check.headers, "X-Account-Role"), "teacher");
  EXPECT_THAT(introspect(token).body, HasSubstr("\"active\":true"));

  browser_.post_form(env_.gateway_url() + "/logout", "");
  EXPECT_EQ(check_bearer(token).status, 401);
  EXPECT_EQ(introspect(token).body, R"({"active":false})");
}

TEST_F(TokensTest, ForwardAuthAnswersEnvoyStyleChecksWithAnyMethodAndPath) {
  ASSERT_EQ(env_.sign_in(browser_, "clever", kStudentId).status, 200);
  const std::string token = env_.access_token(browser_);
  for (const char* method : {"GET", "POST", "DELETE", "PATCH"}) {
    sdk::HttpRequest request;
    request.method = method;
    request.url = env_.gateway_url() + "/auth/check/api/lessons/3?tab=2";
    request.headers = {{"Authorization", "Bearer " + token}};
    sdk::HttpResponse response = *bare_client()->send(request);
    EXPECT_EQ(response.status, 200) << method;
    EXPECT_EQ(sdk::find_header(response.headers, "X-Display-Name"), "Ana") << method;
  }
  sdk::HttpRequest anonymous;
  anonymous.method = "PUT";
  anonymous.url = env_.gateway_url() + "/auth/check/api/lessons/3";
  EXPECT_EQ(bare_client()->send(anonymous)->status, 401);
}

TEST_F(TokensTest, KeysRotatedFromTheCommandLineArePublishedAndOldTokensStillVerify) {
  ASSERT_EQ(env_.sign_in(browser_, "clever", kStudentId).status, 200);
  const std::string before = env_.access_token(browser_);
  ChildProcess rotate(LMSGW_CTL_BIN,
                      {"--config", (env_.directory() / "gateway.yaml").string(), "keys", "rotate"},
                      env_.directory() / "rotate.log");
  ASSERT_EQ(rotate.wait_for_exit(std::chrono::seconds(20)), 0) << rotate.output();
  EXPECT_THAT(rotate.output(), HasSubstr("signing"));
  EXPECT_THAT(rotate.output(), HasSubstr("retired, published"));

  // The running gateway picks the new signer up on its one-second probe.
  std::string after;
  ASSERT_TRUE(eventually([&] {
    after = env_.access_token(browser_);
    return kid_of(after) != kid_of(before);
  }));
  EXPECT_EQ(check_bearer(before).status, 200);
  EXPECT_EQ(check_bearer(after).status, 200);
  EXPECT_THAT(browser_.get(env_.gateway_url() + "/.well-known/jwks.json").body,
              HasSubstr(kid_of(before)));
}

}  // namespace
}  // namespace lmsgw::testing
