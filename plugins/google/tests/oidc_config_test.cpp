#include "oidc_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lmsgw/sdk/testing/mocks.h"

namespace lmsgw::plugins::google {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

sdk::ConfigNode scalar(const std::string& key, std::string value, int line) {
  return sdk::ConfigNode::scalar("connections.test.config." + key, {"test.yaml", line},
                                 std::move(value));
}

// A config mapping with optional list and mapping members, which config_from cannot build.
sdk::ConfigNode config(std::vector<std::pair<std::string, std::string>> scalars,
                       std::vector<std::string> hosted_domains = {},
                       std::vector<std::pair<std::string, std::string>> domain_roles = {}) {
  sdk::ConfigNode::Entries entries;
  int line = 1;
  for (auto& [key, value] : scalars) entries.emplace_back(key, scalar(key, value, ++line));
  if (!hosted_domains.empty()) {
    std::vector<sdk::ConfigNode> items;
    for (auto& domain : hosted_domains) items.push_back(scalar("hosted_domains", domain, ++line));
    entries.emplace_back("hosted_domains",
                         sdk::ConfigNode::sequence("connections.test.config.hosted_domains",
                                                   {"test.yaml", line}, std::move(items)));
  }
  if (!domain_roles.empty()) {
    sdk::ConfigNode::Entries roles;
    for (auto& [domain, role] : domain_roles) {
      roles.emplace_back(domain, scalar("domain_roles." + domain, role, ++line));
    }
    entries.emplace_back("domain_roles",
                         sdk::ConfigNode::mapping("connections.test.config.domain_roles",
                                                  {"test.yaml", line}, std::move(roles)));
  }
  return sdk::ConfigNode::mapping("connections.test.config", {"test.yaml", 1}, std::move(entries));
}

class OidcConfigTest : public ::testing::Test {
 protected:
  sdk::Result<OidcConfig> read(sdk::ConfigNode node, Flavor flavor = Flavor::google) {
    sdk::testing::TestContext context(std::move(node), http_, clock_, logger_, secrets_);
    return read_config(context, flavor);
  }

  ::testing::StrictMock<sdk::testing::MockHttpClient> http_;
  sdk::testing::FixedClock clock_;
  sdk::testing::RecordingLogger logger_;
  sdk::testing::MapSecrets secrets_{{{"env:GOOGLE_SECRET", "s3cret"}}};
};

TEST_F(OidcConfigTest, GoogleDefaultsToItsDiscoveryBothIssuersRs256AndMinimalScope) {
  auto read_back = read(config({{"client_id", "abc"}, {"client_secret", "env:GOOGLE_SECRET"}},
                               {"Students.Springfield.example"}));
  ASSERT_TRUE(read_back.ok()) << read_back.error().detail;
  EXPECT_EQ(read_back->discovery_url,
            "https://accounts.google.com/.well-known/openid-configuration");
  EXPECT_THAT(read_back->issuers,
              ElementsAre("https://accounts.google.com", "accounts.google.com"));
  EXPECT_THAT(read_back->algorithms, ElementsAre("RS256"));
  EXPECT_FALSE(read_back->request_profile);
  EXPECT_EQ(read_back->client_auth, ClientAuth::client_secret_basic);
  EXPECT_THAT(read_back->hosted_domains, ElementsAre("students.springfield.example"));
  EXPECT_EQ(read_back->default_role, sdk::Role::student);
  EXPECT_EQ(read_back->client_secret.reveal(), "s3cret");
}

TEST_F(OidcConfigTest, PerDomainRolesOverrideTheDefault) {
  auto read_back = read(config(
      {{"client_id", "abc"}, {"client_secret", "env:GOOGLE_SECRET"}, {"default_role", "student"}},
      {"students.example", "staff.example"}, {{"staff.example", "teacher"}}));
  ASSERT_TRUE(read_back.ok()) << read_back.error().detail;
  EXPECT_EQ(role_for_domain(*read_back, "staff.example"), sdk::Role::teacher);
  EXPECT_EQ(role_for_domain(*read_back, "students.example"), sdk::Role::student);

  auto unlisted = read(config({{"client_id", "abc"}, {"client_secret", "env:GOOGLE_SECRET"}},
                              {"students.example"}, {{"other.example", "teacher"}}));
  EXPECT_THAT(unlisted.error().detail, HasSubstr("domain_roles.other.example: domain is not in"));
}

TEST_F(OidcConfigTest, StudentsMustComeFromAnAllowedDomain) {
  auto open = read(config({{"client_id", "abc"}, {"client_secret", "env:GOOGLE_SECRET"}}));
  EXPECT_EQ(open.error().code, sdk::ErrorCode::config_invalid);
  EXPECT_THAT(open.error().detail, HasSubstr("students must come from an allowed domain"));

  auto teachers = read(config(
      {{"client_id", "abc"}, {"client_secret", "env:GOOGLE_SECRET"}, {"default_role", "teacher"}}));
  EXPECT_TRUE(teachers.ok()) << teachers.error().detail;
}

TEST_F(OidcConfigTest, RefusesUnknownKeysBadValuesAndInlineSecrets) {
  auto unknown = read(config(
      {{"client_id", "abc"}, {"client_secret", "env:GOOGLE_SECRET"}, {"hosted_domain", "x"}}));
  EXPECT_EQ(unknown.error().detail,
            "test.yaml:4: connections.test.config.hosted_domain: unknown key");
  // The generic module's keys are not Google's.
  auto issuer = read(config(
      {{"client_id", "abc"}, {"client_secret", "env:GOOGLE_SECRET"}, {"issuer", "https://x"}}));
  EXPECT_THAT(issuer.error().detail, HasSubstr("issuer: unknown key"));

  auto role = read(config(
      {{"client_id", "abc"}, {"client_secret", "env:GOOGLE_SECRET"}, {"default_role", "admin"}},
      {"a.example"}));
  EXPECT_THAT(role.error().detail, HasSubstr("default_role: expected student, teacher"));

  auto domain =
      read(config({{"client_id", "abc"}, {"client_secret", "env:GOOGLE_SECRET"}}, {"@a.example"}));
  EXPECT_THAT(domain.error().detail, HasSubstr("expected a domain name"));

  auto auth = read(config({{"client_id", "abc"},
                           {"client_secret", "env:GOOGLE_SECRET"},
                           {"client_auth", "private_key_jwt"}},
                          {"a.example"}));
  EXPECT_THAT(auth.error().detail, HasSubstr("client_auth: expected client_secret_basic"));

  auto plain_discovery = read(config({{"client_id", "abc"},
                                      {"client_secret", "env:GOOGLE_SECRET"},
                                      {"discovery_url", "http://127.0.0.1:9/.well-known/x"}},
                                     {"a.example"}));
  EXPECT_THAT(plain_discovery.error().detail, HasSubstr("discovery_url: must be https"));

  auto inline_secret = read(config({{"client_id", "abc"}, {"client_secret", "s3cret"}}));
  EXPECT_EQ(inline_secret.error().code, sdk::ErrorCode::config_invalid);
  EXPECT_EQ(inline_secret.error().detail.find("s3cret"), std::string::npos);
}

TEST_F(OidcConfigTest, GenericRequiresADiscoveryUrlAndDerivesTheIssuerFromIt) {
  auto missing = read(config({{"client_id", "abc"},
                              {"client_secret", "env:GOOGLE_SECRET"},
                              {"default_role", "teacher"}}),
                      Flavor::generic);
  EXPECT_EQ(missing.error().detail,
            "test.yaml:1: connections.test.config.discovery_url: is required");

  auto derived = read(
      config({{"client_id", "abc"},
              {"client_secret", "env:GOOGLE_SECRET"},
              {"default_role", "teacher"},
              {"discovery_url", "https://op.example/tenant/.well-known/openid-configuration"}}),
      Flavor::generic);
  ASSERT_TRUE(derived.ok()) << derived.error().detail;
  EXPECT_THAT(derived->issuers, ElementsAre("https://op.example/tenant"));
  EXPECT_THAT(derived->algorithms, ElementsAre("RS256"));

  auto explicit_issuer = read(config({{"client_id", "abc"},
                                      {"client_secret", "env:GOOGLE_SECRET"},
                                      {"default_role", "guardian"},
                                      {"discovery_url", "https://op.example/discovery.json"},
                                      {"issuer", "https://issuer.example"}}),
                              Flavor::generic);
  ASSERT_TRUE(explicit_issuer.ok()) << explicit_issuer.error().detail;
  EXPECT_THAT(explicit_issuer->issuers, ElementsAre("https://issuer.example"));

  auto underivable = read(config({{"client_id", "abc"},
                                  {"client_secret", "env:GOOGLE_SECRET"},
                                  {"default_role", "guardian"},
                                  {"discovery_url", "https://op.example/discovery.json"}}),
                          Flavor::generic);
  EXPECT_THAT(underivable.error().detail, HasSubstr("issuer: is required"));
}

}  // namespace
}  // namespace lmsgw::plugins::google
