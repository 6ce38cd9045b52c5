#include "oneroster_config.h"

#include <gtest/gtest.h>

#include "lmsgw/sdk/testing/mocks.h"

namespace lmsgw::plugins::oneroster {
namespace {

using sdk::testing::config_from;

class OneRosterConfigTest : public ::testing::Test {
 protected:
  sdk::Result<OneRosterConfig> read(sdk::ConfigNode node) {
    sdk::testing::TestContext context(std::move(node), http_, clock_, logger_, secrets_);
    return read_config(context);
  }

  ::testing::StrictMock<sdk::testing::MockHttpClient> http_;
  sdk::testing::FixedClock clock_;
  sdk::testing::RecordingLogger logger_;
  sdk::testing::MapSecrets secrets_;
};

TEST_F(OneRosterConfigTest, ReadsPathVersionAndBatchSize) {
  auto config = read(config_from({{"path", "/srv/roster.zip"}, {"version", "1.2"},
                                  {"batch_size", "250"}}));
  ASSERT_TRUE(config.ok()) << config.error().detail;
  EXPECT_EQ(config->path, "/srv/roster.zip");
  EXPECT_EQ(config->version, "1.2");
  EXPECT_EQ(config->batch_size, 250u);

  auto defaults = read(config_from({{"path", "/srv/roster"}}));
  ASSERT_TRUE(defaults.ok());
  EXPECT_FALSE(defaults->version.has_value());
  EXPECT_EQ(defaults->batch_size, 5000u);
}

TEST_F(OneRosterConfigTest, NamesFileLineAndKeyOfEveryProblem) {
  EXPECT_EQ(read(config_from({})).error().detail,
            "test.yaml:1: connections.test.config.path: is required");
  EXPECT_EQ(read(config_from({{"path", "/x"}, {"version", "1.0"}})).error().detail,
            "test.yaml:3: connections.test.config.version: must be 1.1 or 1.2");
  EXPECT_EQ(read(config_from({{"path", "/x"}, {"batch_size", "0"}})).error().detail,
            "test.yaml:3: connections.test.config.batch_size: must be between 1 and 100000");
  EXPECT_EQ(read(config_from({{"path", "/x"}, {"folder", "/y"}})).error().detail,
            "test.yaml:3: connections.test.config.folder: unknown key");
}

}  // namespace
}  // namespace lmsgw::plugins::oneroster
