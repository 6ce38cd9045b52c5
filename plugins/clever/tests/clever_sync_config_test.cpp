#include "clever_sync_config.h"

#include <gtest/gtest.h>

#include "lmsgw/sdk/testing/mocks.h"

namespace lmsgw::plugins::clever {
namespace {

using sdk::ConfigNode;

ConfigNode with_sync(std::initializer_list<std::pair<std::string, std::string>> pairs) {
  ConfigNode::Entries entries = {
      {"client_id", ConfigNode::scalar("connections.test.config.client_id", {"test.yaml", 2}, "abc")},
      {"client_secret", ConfigNode::scalar("connections.test.config.client_secret",
                                           {"test.yaml", 3}, "env:CLEVER_SECRET")}};
  int line = 3;
  for (const auto& [key, value] : pairs) {
    entries.emplace_back(key, ConfigNode::scalar("connections.test.config." + key,
                                                 {"test.yaml", ++line}, value));
  }
  return ConfigNode::mapping("connections.test.config", {"test.yaml", 1}, std::move(entries));
}

class CleverSyncConfigTest : public ::testing::Test {
 protected:
  sdk::Result<CleverSyncConfig> read(ConfigNode node) {
    sdk::testing::TestContext context(std::move(node), http_, clock_, logger_, secrets_);
    return read_sync_config(context);
  }

  ::testing::StrictMock<sdk::testing::MockHttpClient> http_;
  sdk::testing::FixedClock clock_;
  sdk::testing::RecordingLogger logger_;
  sdk::testing::MapSecrets secrets_{{{"env:CLEVER_SECRET", "s3cret"}}};
};

TEST_F(CleverSyncConfigTest, DefaultsWithoutASyncMapping) {
  auto config = read(sdk::testing::config_from(
      {{"client_id", "abc"}, {"client_secret", "env:CLEVER_SECRET"}}));
  ASSERT_TRUE(config.ok()) << config.error().detail;
  EXPECT_EQ(config->api.token_url, "https://clever.com/oauth/tokens");
  EXPECT_EQ(config->sync.page_limit, 1000);
  EXPECT_EQ(config->sync.full_sync_every, std::chrono::hours(24 * 7));
  EXPECT_EQ(config->sync.max_retries, 3);
  EXPECT_EQ(config->sync.max_wait, std::chrono::seconds(60));
}

TEST_F(CleverSyncConfigTest, ReadsEveryKey) {
  auto config = read(with_sync({{"page_limit", "10000"},
                                {"full_sync_every", "36h"},
                                {"max_retries", "0"},
                                {"max_wait", "2m"},
                                {"page_timeout_ms", "120000"}}));
  ASSERT_TRUE(config.ok()) << config.error().detail;
  EXPECT_EQ(config->sync.page_limit, 10000);
  EXPECT_EQ(config->sync.full_sync_every, std::chrono::hours(36));
  EXPECT_EQ(config->sync.max_retries, 0);
  EXPECT_EQ(config->sync.max_wait, std::chrono::minutes(2));
  EXPECT_EQ(config->sync.timeout, std::chrono::milliseconds(120000));
}

TEST_F(CleverSyncConfigTest, NamesFileLineAndKeyOfEveryProblem) {
  EXPECT_EQ(read(with_sync({{"page_limit", "10001"}})).error().detail,
            "test.yaml:4: connections.test.config.page_limit: must be between 1 and 10000");
  // Events are kept 30 days: a longer interval would leave a gap no event can fill.
  EXPECT_EQ(read(with_sync({{"full_sync_every", "30d"}})).error().detail,
            "test.yaml:4: connections.test.config.full_sync_every: must be between 3600s "
            "and 2505600s");
  EXPECT_EQ(read(with_sync({{"max_wait", "soon"}})).error().detail,
            "test.yaml:4: connections.test.config.max_wait: expected a duration such as "
            "90s, 30m, 12h or 7d");
  EXPECT_EQ(read(with_sync({{"pagelimit", "5"}})).error().detail,
            "test.yaml:4: connections.test.config.pagelimit: unknown key");
  auto districts = ConfigNode::mapping(
      "connections.test.config", {"test.yaml", 1},
      {{"client_id", ConfigNode::scalar("connections.test.config.client_id", {"test.yaml", 2}, "a")},
       {"client_secret", ConfigNode::scalar("connections.test.config.client_secret",
                                            {"test.yaml", 3}, "env:CLEVER_SECRET")},
       {"districts", ConfigNode::sequence("connections.test.config.districts", {"test.yaml", 4},
                                          {ConfigNode::scalar("connections.test.config.districts[0]",
                                                              {"test.yaml", 5}, "d/1")})}});
  EXPECT_EQ(read(districts).error().detail,
            "test.yaml:4: connections.test.config.districts: expected Clever district ids");
}

}  // namespace
}  // namespace lmsgw::plugins::clever
