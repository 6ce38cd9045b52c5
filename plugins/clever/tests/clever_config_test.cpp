#include "clever_config.h"

#include <gtest/gtest.h>

#include "lmsgw/sdk/testing/mocks.h"

namespace lmsgw::plugins::clever {
namespace {

using sdk::testing::config_from;

class CleverConfigTest : public ::testing::Test {
 protected:
  sdk::Result<CleverConfig> read(sdk::ConfigNode node) {
    sdk::testing::TestContext context(std::move(node), http_, clock_, logger_, secrets_);
    return read_config(context);
  }

  ::testing::StrictMock<sdk::testing::MockHttpClient> http_;
  sdk::testing::FixedClock clock_;
  sdk::testing::RecordingLogger logger_;
  sdk::testing::MapSecrets secrets_{{{"env:CLEVER_SECRET", "s3cret"}}};
};

TEST_F(CleverConfigTest, AppliesCleverDefaults) {
  auto config = read(config_from({{"client_id", "abc"}, {"client_secret", "env:CLEVER_SECRET"}}));
  ASSERT_TRUE(config.ok()) << config.error().detail;
  EXPECT_EQ(config->client_id, "abc");
  EXPECT_EQ(config->client_secret.reveal(), "s3cret");
  EXPECT_EQ(config->authorize_url, "https://clever.com/oauth/authorize");
  EXPECT_EQ(config->token_url, "https://clever.com/oauth/tokens");
  EXPECT_EQ(config->api_base_url, "https://api.clever.com");
}

TEST_F(CleverConfigTest, NamesFileLineAndKeyOfEveryProblem) {
  auto missing = read(config_from({{"client_secret", "env:CLEVER_SECRET"}}));
  EXPECT_EQ(missing.error().detail, "test.yaml:1: connections.test.config.client_id: is required");

  auto unknown = read(config_from(
      {{"client_id", "abc"}, {"client_secret", "env:CLEVER_SECRET"}, {"clientsecret", "x"}}));
  EXPECT_EQ(unknown.error().detail,
            "test.yaml:4: connections.test.config.clientsecret: unknown key");

  auto inline_secret = read(config_from({{"client_id", "abc"}, {"client_secret", "s3cret"}}));
  EXPECT_EQ(inline_secret.error().code, sdk::ErrorCode::config_invalid);
  EXPECT_EQ(inline_secret.error().detail.find("s3cret"), std::string::npos);
}

TEST_F(CleverConfigTest, RequiresHttpsExceptForABrowserRedirectToLoopback) {
  auto demo = read(config_from({{"client_id", "abc"},
                                {"client_secret", "env:CLEVER_SECRET"},
                                {"authorize_url", "http://127.0.0.1:9000/oauth/authorize"},
                                {"api_base_url", "https://127.0.0.1:9443/"}}));
  ASSERT_TRUE(demo.ok()) << demo.error().detail;
  EXPECT_EQ(demo->api_base_url, "https://127.0.0.1:9443");

  auto plain_token = read(config_from({{"client_id", "abc"},
                                       {"client_secret", "env:CLEVER_SECRET"},
                                       {"token_url", "http://127.0.0.1:9000/oauth/tokens"}}));
  EXPECT_EQ(plain_token.error().detail,
            "test.yaml:4: connections.test.config.token_url: must be https");

  auto remote_plain = read(config_from({{"client_id", "abc"},
                                        {"client_secret", "env:CLEVER_SECRET"},
                                        {"authorize_url", "http://clever.example/authorize"}}));
  EXPECT_FALSE(remote_plain.ok());
  auto userinfo = read(config_from({{"client_id", "abc"},
                                    {"client_secret", "env:CLEVER_SECRET"},
                                    {"api_base_url", "https://user@api.clever.com"}}));
  EXPECT_FALSE(userinfo.ok());
}

}  // namespace
}  // namespace lmsgw::plugins::clever
