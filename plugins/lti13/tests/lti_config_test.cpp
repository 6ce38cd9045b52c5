#include "lti_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "lmsgw/sdk/testing/mocks.h"

namespace lmsgw::plugins::lti13 {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kPath = "connections.canvas.config";

sdk::ConfigNode scalar(std::string_view key, std::string value, int line) {
  return sdk::ConfigNode::scalar(std::string(kPath) + "." + std::string(key), {"gw.yaml", line},
                                 std::move(value));
}

sdk::ConfigNode list(std::string_view key, std::vector<std::string> values, int line) {
  std::vector<sdk::ConfigNode> items;
  for (std::size_t i = 0; i < values.size(); ++i) {
    items.push_back(sdk::ConfigNode::scalar(
        std::string(kPath) + "." + std::string(key) + "[" + std::to_string(i) + "]",
        {"gw.yaml", line + 1 + static_cast<int>(i)}, std::move(values[i])));
  }
  return sdk::ConfigNode::sequence(std::string(kPath) + "." + std::string(key), {"gw.yaml", line},
                                   std::move(items));
}

// A valid configuration; each test replaces or removes one entry.
struct Entries {
  std::map<std::string, sdk::ConfigNode> nodes{
      {"issuer", scalar("issuer", "https://canvas.example.edu", 2)},
      {"client_id", scalar("client_id", "10000000000001", 3)},
      {"auth_endpoint",
       scalar("auth_endpoint", "https://canvas.example.edu/api/lti/authorize_redirect", 4)},
      {"jwks_url", scalar("jwks_url", "https://canvas.example.edu/api/lti/security/jwks", 5)},
      {"deployment_ids", list("deployment_ids", {"1:abc", "2:def"}, 6)},
  };

  sdk::ConfigNode node() const {
    sdk::ConfigNode::Entries entries(nodes.begin(), nodes.end());
    return sdk::ConfigNode::mapping(std::string(kPath), {"gw.yaml", 1}, std::move(entries));
  }
};

sdk::Result<LtiConfig> read(const Entries& entries) {
  ::testing::StrictMock<sdk::testing::MockHttpClient> http;
  sdk::testing::FixedClock clock;
  sdk::testing::RecordingLogger logger;
  sdk::testing::MapSecrets secrets;
  sdk::testing::TestContext context(entries.node(), http, clock, logger, secrets, "canvas");
  return read_config(context);
}

std::string error_of(const Entries& entries) {
  auto config = read(entries);
  EXPECT_FALSE(config.ok());
  if (config.ok()) return {};
  EXPECT_EQ(config.error().code, sdk::ErrorCode::config_invalid);
  return config.error().detail;
}

TEST(LtiConfigTest, ReadsARegistrationWithRs256ByDefault) {
  auto config = read(Entries{});
  ASSERT_TRUE(config.ok()) << config.error().detail;
  EXPECT_EQ(config->issuer, "https://canvas.example.edu");
  EXPECT_EQ(config->client_id, "10000000000001");
  EXPECT_EQ(config->auth_endpoint, "https://canvas.example.edu/api/lti/authorize_redirect");
  EXPECT_EQ(config->jwks_url, "https://canvas.example.edu/api/lti/security/jwks");
  EXPECT_EQ(config->deployment_ids, (std::vector<std::string>{"1:abc", "2:def"}));
  EXPECT_EQ(config->algorithms, std::vector<std::string>{"RS256"});
  EXPECT_TRUE(config->deployment_registered("2:def"));
  EXPECT_FALSE(config->deployment_registered("2:de"));
  EXPECT_FALSE(config->deployment_registered(""));
}

TEST(LtiConfigTest, AcceptsAnAlgorithmAllowlist) {
  Entries entries;
  entries.nodes["algorithms"] = list("algorithms", {"ES256", "RS256"}, 9);
  auto config = read(entries);
  ASSERT_TRUE(config.ok()) << config.error().detail;
  EXPECT_EQ(config->algorithms, (std::vector<std::string>{"ES256", "RS256"}));
}

TEST(LtiConfigTest, EachRequiredKeyIsRequired) {
  for (const char* key : {"issuer", "client_id", "auth_endpoint", "jwks_url", "deployment_ids"}) {
    Entries entries;
    entries.nodes.erase(key);
    EXPECT_THAT(error_of(entries), HasSubstr(std::string(kPath) + "." + key + ": is required"));
  }
}

TEST(LtiConfigTest, RefusesUnknownKeys) {
  Entries entries;
  entries.nodes["deployment_id"] = scalar("deployment_id", "1:abc", 9);
  EXPECT_THAT(error_of(entries), HasSubstr("gw.yaml:9: connections.canvas.config.deployment_id: "
                                           "unknown key"));
}

TEST(LtiConfigTest, RefusesAnEmptyOrRepeatedOrMalformedDeploymentList) {
  Entries empty;
  empty.nodes["deployment_ids"] = list("deployment_ids", {}, 6);
  EXPECT_THAT(error_of(empty), HasSubstr("at least one deployment id"));

  Entries repeated;
  repeated.nodes["deployment_ids"] = list("deployment_ids", {"1:abc", "1:abc"}, 6);
  EXPECT_THAT(error_of(repeated), HasSubstr("deployment_ids[1]: is listed twice"));

  Entries spaced;
  spaced.nodes["deployment_ids"] = list("deployment_ids", {"1 abc"}, 6);
  EXPECT_THAT(error_of(spaced), HasSubstr("deployment_ids[0]"));

  Entries scalar_list;
  scalar_list.nodes["deployment_ids"] = scalar("deployment_ids", "1:abc", 6);
  EXPECT_THAT(error_of(scalar_list), HasSubstr("expected a list of strings"));
}

TEST(LtiConfigTest, RefusesAlgorithmsOutsideTheVerifiersList) {
  for (const char* algorithm : {"HS256", "none", "RS512", "rs256"}) {
    Entries entries;
    entries.nodes["algorithms"] = list("algorithms", {"RS256", algorithm}, 9);
    EXPECT_THAT(error_of(entries), HasSubstr("algorithms[1]: expected RS256, ES256 or EdDSA"));
  }
  Entries none;
  none.nodes["algorithms"] = list("algorithms", {}, 9);
  EXPECT_THAT(error_of(none), HasSubstr("at least one algorithm"));
}

TEST(LtiConfigTest, IssuerMustBeAnHttpsUrl) {
  Entries entries;
  entries.nodes["issuer"] = scalar("issuer", "http://canvas.example.edu", 2);
  EXPECT_THAT(error_of(entries), HasSubstr("gw.yaml:2: connections.canvas.config.issuer: must be "
                                           "an https URL"));
}

TEST(LtiConfigTest, JwksMustBeHttpsWhileTheBrowserEndpointMayBeLoopbackHttp) {
  Entries jwks;
  jwks.nodes["jwks_url"] = scalar("jwks_url", "http://127.0.0.1:8443/jwks", 5);
  EXPECT_THAT(error_of(jwks), HasSubstr("jwks_url: must be https"));

  Entries auth;
  auth.nodes["auth_endpoint"] = scalar("auth_endpoint", "http://127.0.0.1:8080/auth", 4);
  EXPECT_TRUE(read(auth).ok());
  auth.nodes["auth_endpoint"] = scalar("auth_endpoint", "http://lms.example.edu/auth", 4);
  EXPECT_THAT(error_of(auth), HasSubstr("auth_endpoint: must be https"));
}

TEST(LtiConfigTest, RefusesIdsWithSpacesOrTooLong) {
  Entries spaced;
  spaced.nodes["client_id"] = scalar("client_id", "client 1", 3);
  EXPECT_THAT(error_of(spaced), HasSubstr("client_id: expected 1 to 255 printable"));
  Entries long_id;
  long_id.nodes["client_id"] = scalar("client_id", std::string(256, 'a'), 3);
  EXPECT_THAT(error_of(long_id), HasSubstr("client_id: expected 1 to 255 printable"));
}

}  // namespace
}  // namespace lmsgw::plugins::lti13
