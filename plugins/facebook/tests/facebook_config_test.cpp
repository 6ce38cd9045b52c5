#include "facebook_config.h"

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lmsgw/sdk/testing/mocks.h"

namespace lmsgw::plugins::facebook {
namespace {

using sdk::testing::config_from;
using ::testing::HasSubstr;

using Pairs = std::vector<std::pair<std::string, std::string>>;

class FacebookConfigTest : public ::testing::Test {
 protected:
  // The required keys, with `changes` applied (an empty value removes the key).
  sdk::Result<FacebookConfig> read(const Pairs& changes = {}) {
    Pairs pairs = {{"app_id", "1234567890"},
                   {"app_secret", "env:FB_SECRET"},
                   {"graph_version", "v21.0"},
                   {"role", "teacher"}};
    for (const auto& [key, value] : changes) {
      auto it = std::find_if(pairs.begin(), pairs.end(), [&](auto& p) { return p.first == key; });
      if (it != pairs.end()) pairs.erase(it);
      if (!value.empty()) pairs.emplace_back(key, value);
    }
    sdk::ConfigNode::Entries entries;
    int line = 1;
    for (const auto& [key, value] : pairs) {
      entries.emplace_back(key, sdk::ConfigNode::scalar("connections.test.config." + key,
                                                        {"test.yaml", ++line}, value));
    }
    sdk::testing::TestContext context(
        sdk::ConfigNode::mapping("connections.test.config", {"test.yaml", 1}, std::move(entries)),
        http_, clock_, logger_, secrets_);
    return read_config(context);
  }

  ::testing::StrictMock<sdk::testing::MockHttpClient> http_;
  sdk::testing::FixedClock clock_;
  sdk::testing::RecordingLogger logger_;
  sdk::testing::MapSecrets secrets_{{{"env:FB_SECRET", "app-s3cret"}, {"env:EMPTY", ""}}};
};

TEST_F(FacebookConfigTest, AppliesFacebookDefaultsAndBuildsVersionedUrls) {
  auto config = read();
  ASSERT_TRUE(config.ok()) << config.error().detail;
  EXPECT_EQ(config->app_id, "1234567890");
  EXPECT_EQ(config->app_secret.reveal(), "app-s3cret");
  EXPECT_EQ(config->role, sdk::Role::teacher);
  EXPECT_FALSE(config->request_email);
  EXPECT_EQ(config->dialog_url(), "https://www.facebook.com/v21.0/dialog/oauth");
  EXPECT_EQ(config->token_url(), "https://graph.facebook.com/v21.0/oauth/access_token");
  EXPECT_EQ(config->me_url(), "https://graph.facebook.com/v21.0/me");
  EXPECT_EQ(config->timeout, std::chrono::milliseconds(10'000));
}

TEST_F(FacebookConfigTest, RoleIsRequiredAndIsTeacherOrGuardianNeverStudent) {
  EXPECT_EQ(read({{"role", "guardian"}})->role, sdk::Role::guardian);

  auto missing = read({{"role", ""}});
  EXPECT_EQ(missing.error().detail, "test.yaml:1: connections.test.config.role: is required");

  auto student = read({{"role", "student"}});
  ASSERT_FALSE(student.ok());
  EXPECT_EQ(student.error().code, sdk::ErrorCode::config_invalid);
  EXPECT_THAT(student.error().detail, HasSubstr("connections.test.config.role: student is not "
                                                "allowed"));
  EXPECT_THAT(student.error().detail, HasSubstr("teachers and guardians only"));

  for (const char* other : {"district_admin", "staff", "Teacher", "unknown", "parent"}) {
    auto refused = read({{"role", other}});
    ASSERT_FALSE(refused.ok()) << other;
    EXPECT_THAT(refused.error().detail, HasSubstr("expected teacher or guardian")) << other;
  }
}

TEST_F(FacebookConfigTest, GraphVersionIsRequiredAndMustLookLikeVNNDotN) {
  EXPECT_EQ(read({{"graph_version", ""}}).error().detail,
            "test.yaml:1: connections.test.config.graph_version: is required");
  for (const char* good : {"v21.0", "v10.0", "v100.0"}) {
    EXPECT_TRUE(read({{"graph_version", good}}).ok()) << good;
  }
  for (const char* bad : {"21.0", "v21", "v21.", "v2.0", "v21.0.1", "v21.10", "vab.c", "v21.0/x",
                          "V21.0", "v1000.0", "v21.0?x=1"}) {
    auto refused = read({{"graph_version", bad}});
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_THAT(refused.error().detail, HasSubstr("graph_version: expected a Graph API version"))
        << bad;
  }
}

TEST_F(FacebookConfigTest, NamesFileLineAndKeyOfEveryProblem) {
  EXPECT_EQ(read({{"app_id", ""}}).error().detail,
            "test.yaml:1: connections.test.config.app_id: is required");
  EXPECT_THAT(read({{"app_id", "my-app"}}).error().detail,
              HasSubstr("app_id: expected the numeric Facebook App ID"));
  EXPECT_EQ(read({{"scope", "email"}}).error().detail,
            "test.yaml:6: connections.test.config.scope: unknown key");
  EXPECT_EQ(read({{"request_email", "yes"}}).error().detail,
            "test.yaml:6: connections.test.config.request_email: expected true or false");
  EXPECT_THAT(read({{"timeout_ms", "5"}}).error().detail, HasSubstr("timeout_ms: must be between"));

  auto inline_secret = read({{"app_secret", "app-s3cret"}});
  EXPECT_EQ(inline_secret.error().code, sdk::ErrorCode::config_invalid);
  EXPECT_EQ(inline_secret.error().detail.find("app-s3cret"), std::string::npos);
  EXPECT_THAT(read({{"app_secret", "env:EMPTY"}}).error().detail,
              HasSubstr("app_secret: the secret it names is empty"));
}

TEST_F(FacebookConfigTest, EmailIsRequestedOnlyWhenConfigured) {
  EXPECT_TRUE(read({{"request_email", "true"}})->request_email);
  EXPECT_FALSE(read({{"request_email", "false"}})->request_email);
}

TEST_F(FacebookConfigTest, BaseUrlsAreHttpsExceptTheDialogOnLoopbackForDemos) {
  auto demo = read({{"dialog_base_url", "http://127.0.0.1:9000/"},
                    {"graph_base_url", "https://127.0.0.1:9443//"}});
  ASSERT_TRUE(demo.ok()) << demo.error().detail;
  EXPECT_EQ(demo->dialog_url(), "http://127.0.0.1:9000/v21.0/dialog/oauth");
  EXPECT_EQ(demo->me_url(), "https://127.0.0.1:9443/v21.0/me");

  EXPECT_THAT(read({{"graph_base_url", "http://127.0.0.1:9000"}}).error().detail,
              HasSubstr("graph_base_url: must be https"));
  EXPECT_FALSE(read({{"dialog_base_url", "http://facebook.example"}}).ok());
  EXPECT_FALSE(read({{"graph_base_url", "https://user@graph.example"}}).ok());
  EXPECT_FALSE(read({{"graph_base_url", "https://graph.example/#x"}}).ok());
  EXPECT_THAT(read({{"graph_base_url", "https://graph.example/?x=1"}}).error().detail,
              HasSubstr("graph_base_url: must not carry a query"));
}

}  // namespace
}  // namespace lmsgw::plugins::facebook
