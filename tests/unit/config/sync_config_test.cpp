#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/gateway_config.h"
#include "tests/support/temp_dir.h"

namespace lmsgw::config {
namespace {

using lmsgw::testing::TempDir;
using ::testing::HasSubstr;

constexpr std::string_view kHead = R"(server:
  listen: 127.0.0.1:8080
  public_url: http://127.0.0.1:8080
store:
  sqlite:
    path: lmsgw.db
secrets:
  pepper: env:LMSGW_TEST_PEPPER
session:
  cookie_secure: false
  return_urls: [http://127.0.0.1:3000/]
  default_return_url: http://127.0.0.1:3000/
plugins:
  directories: [plugins]
  load:
    - name: clever
    - name: oneroster
districts:
  springfield: {}
  shelbyville: {}
)";

class SyncConfigTest : public ::testing::Test {
 protected:
  sdk::Result<GatewayConfig> load(std::string_view sync) {
    file_ = dir_.write("gateway.yaml", std::string(kHead) + std::string(sync));
    return load_gateway_config(file_);
  }
  std::string error_of(std::string_view sync) {
    auto config = load(sync);
    EXPECT_FALSE(config.ok());
    return config.ok() ? std::string() : config.error().detail;
  }
  // Line numbers count from the first line of the sync section (line 21 of the file).
  std::string at(int sync_line, std::string_view key, std::string_view reason) const {
    return file_ + ":" + std::to_string(20 + sync_line) + ": " + std::string(key) + ": " +
           std::string(reason);
  }

  TempDir dir_;
  std::string file_ = (dir_.path() / "gateway.yaml").string();
};

TEST_F(SyncConfigTest, SyncConnectionsLoadWithTheirDefaults) {
  auto config = load(R"(sync:
  clever-sync:
    plugin: clever
    provider_districts: {"5f0c0000000000000000d001": springfield}
    schedule: 6h
    config:
      district_tokens: file:tokens
  sis:
    plugin: oneroster
    identity_namespace: sis
    district: shelbyville
    schedule: manual
)");
  ASSERT_TRUE(config.ok()) << config.error().detail;
  ASSERT_EQ(config->sync.size(), 2u);
  const SyncConnectionConfig& clever = config->sync.at("clever-sync");
  EXPECT_EQ(clever.plugin, "clever");
  EXPECT_EQ(clever.identity_namespace, "clever");  // shared with Clever sign-in
  EXPECT_FALSE(clever.district);
  EXPECT_EQ(clever.provider_districts.at("5f0c0000000000000000d001"), "springfield");
  EXPECT_EQ(clever.interval, std::chrono::hours(6));
  EXPECT_EQ(clever.plugin_config.path(), "sync.clever-sync.config");
  ASSERT_NE(clever.plugin_config.find("district_tokens"), nullptr);
  const SyncConnectionConfig& sis = config->sync.at("sis");
  EXPECT_EQ(sis.identity_namespace, "sis");
  EXPECT_EQ(sis.district, "shelbyville");
  EXPECT_FALSE(sis.interval);
  EXPECT_TRUE(sis.plugin_config.is_mapping());
}

TEST_F(SyncConfigTest, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(error_of("sync:\n  sis:\n    plugin: oneroster\n    district: springfield\n"
                     "    schedule: weekly\n"),
            at(5, "sync.sis.schedule",
               "must be `manual` or an interval such as 30m, 6h or 1d (from 1m to 30d)"));
  EXPECT_EQ(error_of("sync:\n  sis:\n    plugin: oneroster\n    district: springfield\n"),
            at(2, "sync.sis.schedule", "is required"));
  EXPECT_EQ(error_of("sync:\n  sis:\n    plugin: google\n    district: springfield\n"
                     "    schedule: 1h\n"),
            at(3, "sync.sis.plugin", "plugin 'google' is not listed in plugins.load"));
  EXPECT_EQ(error_of("sync:\n  sis:\n    plugin: oneroster\n    schedule: 1h\n"),
            at(2, "sync.sis", "needs `district` or `provider_districts`"));
  EXPECT_EQ(error_of("sync:\n  sis:\n    plugin: oneroster\n    district: ogdenville\n"
                     "    schedule: 1h\n"),
            at(4, "sync.sis.district", "district 'ogdenville' is not configured in districts"));
  EXPECT_EQ(error_of("sync:\n  sis:\n    plugin: oneroster\n    district: springfield\n"
                     "    schedule: 1h\n    batch: 5\n"),
            at(6, "sync.sis.batch", "unknown key"));
  EXPECT_THAT(error_of("sync:\n  Bad Id:\n    plugin: oneroster\n    district: springfield\n"
                       "    schedule: 1h\n"),
              HasSubstr("sync connection id must be"));
  EXPECT_THAT(error_of("sync:\n  sis: manual\n"), HasSubstr("sync.sis: expected a mapping"));
}

TEST(SyncIntervalTest, AcceptsMinutesToThirtyDays) {
  EXPECT_EQ(parse_sync_interval("30m"), std::chrono::minutes(30));
  EXPECT_EQ(parse_sync_interval("6h"), std::chrono::hours(6));
  EXPECT_EQ(parse_sync_interval("1d"), std::chrono::hours(24));
  EXPECT_EQ(parse_sync_interval("90s"), std::chrono::seconds(90));
  EXPECT_EQ(parse_sync_interval("30d"), std::chrono::days(30));
  for (const char* bad : {"", "m", "59s", "31d", "6", "6w", "-1h", "1.5h", " 6h", "99999999999h"}) {
    EXPECT_FALSE(parse_sync_interval(bad)) << bad;
  }
}

}  // namespace
}  // namespace lmsgw::config
