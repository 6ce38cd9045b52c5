#include "hello_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lmsgw/sdk/testing/mocks.h"

namespace hello {
namespace {

using ::testing::HasSubstr;
namespace sdk = lmsgw::sdk;
namespace sdk_testing = lmsgw::sdk::testing;

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs complete_config() {
  return {{"client_id", "hello-client"},
          {"client_secret", "env:HELLO_SECRET"},
          {"authorize_url", "https://id.hello.example/authorize"},
          {"token_url", "https://id.hello.example/token"},
          {"userinfo_url", "https://id.hello.example/userinfo"}};
}

class HelloConfigTest : public ::testing::Test {
 protected:
  sdk::Result<HelloConfig> read(const Pairs& pairs) {
    sdk::ConfigNode::Entries entries;
    int line = 1;
    for (const auto& [key, value] : pairs) {
      entries.emplace_back(key, sdk::ConfigNode::scalar("connections.hello.config." + key,
                                                        {"gateway.yaml", ++line}, value));
    }
    sdk_testing::TestContext context(
        sdk::ConfigNode::mapping("connections.hello.config", {"gateway.yaml", 1}, entries), http_,
        clock_, logger_, secrets_, "hello");
    return read_config(context);
  }

  Pairs with(std::string key, std::string value) {
    Pairs pairs = complete_config();
    for (auto& pair : pairs) {
      if (pair.first == key) {
        pair.second = value;
        return pairs;
      }
    }
    pairs.emplace_back(std::move(key), std::move(value));
    return pairs;
  }

  ::testing::StrictMock<sdk_testing::MockHttpClient> http_;
  sdk_testing::FixedClock clock_;
  sdk_testing::RecordingLogger logger_;
  sdk_testing::MapSecrets secrets_{{{"env:HELLO_SECRET", "hello-secret-value"}}};
};

TEST_F(HelloConfigTest, ReadsACompleteConfiguration) {
  auto config = read(with("timeout_ms", "2500"));
  ASSERT_TRUE(config.ok()) << config.error().detail;
  EXPECT_EQ(config->client_id, "hello-client");
  EXPECT_EQ(config->client_secret.reveal(), "hello-secret-value");
  EXPECT_EQ(config->authorize_url, "https://id.hello.example/authorize");
  EXPECT_EQ(config->token_url, "https://id.hello.example/token");
  EXPECT_EQ(config->userinfo_url, "https://id.hello.example/userinfo");
  EXPECT_EQ(config->timeout, std::chrono::milliseconds(2500));
}

TEST_F(HelloConfigTest, AMissingKeyIsNamedWithItsFileAndLine) {
  Pairs pairs = complete_config();
  pairs.erase(pairs.begin());
  auto config = read(pairs);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, sdk::ErrorCode::config_invalid);
  EXPECT_EQ(config.error().detail,
            "gateway.yaml:1: connections.hello.config.client_id: is required");
}

TEST_F(HelloConfigTest, AnUnknownKeyStopsStartUp) {
  auto config = read(with("userinfo_uri", "https://id.hello.example/userinfo"));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().detail,
            "gateway.yaml:7: connections.hello.config.userinfo_uri: unknown key");
}

TEST_F(HelloConfigTest, ServerToServerUrlsMustBeHttps) {
  auto config = read(with("token_url", "http://127.0.0.1:9000/token"));
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().detail, HasSubstr("token_url: expected https"));
}

TEST_F(HelloConfigTest, TheBrowserMayUsePlainHttpOnLoopbackOnly) {
  EXPECT_TRUE(read(with("authorize_url", "http://127.0.0.1:9000/authorize")).ok());
  auto remote = read(with("authorize_url", "http://id.hello.example/authorize"));
  ASSERT_FALSE(remote.ok());
  EXPECT_THAT(remote.error().detail, HasSubstr("authorize_url: expected https"));
}

TEST_F(HelloConfigTest, UrlsWithUserInfoOrFragmentAreRefused) {
  EXPECT_FALSE(read(with("token_url", "https://user:pw@id.hello.example/token")).ok());
  EXPECT_FALSE(read(with("userinfo_url", "https://id.hello.example/userinfo#x")).ok());
  EXPECT_FALSE(read(with("userinfo_url", "https:///userinfo")).ok());
  EXPECT_FALSE(read(with("userinfo_url", "id.hello.example/userinfo")).ok());
}

TEST_F(HelloConfigTest, AnInlineSecretIsRefused) {
  auto config = read(with("client_secret", "hello-secret-value"));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, sdk::ErrorCode::config_invalid);
  EXPECT_THAT(config.error().detail, ::testing::Not(HasSubstr("hello-secret-value")));
}

TEST_F(HelloConfigTest, TheTimeoutHasBounds) {
  auto config = read(with("timeout_ms", "99"));
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().detail, HasSubstr("timeout_ms: must be between 100 and 60000"));
}

}  // namespace
}  // namespace hello
