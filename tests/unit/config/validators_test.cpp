#include "config/validators.h"

#include <gtest/gtest.h>

namespace lmsgw::config {
namespace {

using sdk::ConfigNode;

ConfigNode value(std::string text) {
  return ConfigNode::scalar("k", ConfigNode::Location{"f.yaml", 1}, std::move(text));
}

HttpUrl url(std::string text) {
  auto parsed = parse_http_url(value(std::move(text)), UrlRules{.allow_query = true});
  EXPECT_TRUE(parsed.ok()) << parsed.error().detail;
  return parsed.ok() ? *parsed : HttpUrl{};
}

TEST(ValidatorsTest, ListenAddressesParse) {
  auto v4 = parse_listen(value("0.0.0.0:443"));
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "0.0.0.0");
  EXPECT_EQ(v4->port, 443);
  auto v6 = parse_listen(value("[::]:8080"));
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::");
  auto name = parse_listen(value("localhost:65535"));
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->host, "localhost");
  EXPECT_EQ(name->port, 65535);
  EXPECT_FALSE(parse_listen(value(":8080")).ok());
  EXPECT_FALSE(parse_listen(value("host:")).ok());
  EXPECT_FALSE(parse_listen(value("host:+80")).ok());
}

// Boost.URL reads "https://127.0.0.1.evil.example" as host 127.0.0.1 and path ".evil.example".
TEST(ValidatorsTest, HostsThatOnlyStartLikeAnAddressAreRefused) {
  for (const char* text : {"https://127.0.0.1.evil.example", "http://127.0.0.1.evil.example/x"}) {
    EXPECT_FALSE(parse_http_url(value(text), UrlRules{}).ok()) << text;
  }
}

TEST(ValidatorsTest, UrlsAreNormalisedForComparison) {
  HttpUrl parsed = url("HTTPS://App.Example.ORG/Path");
  EXPECT_TRUE(parsed.https);
  EXPECT_EQ(parsed.host, "app.example.org");
  EXPECT_EQ(parsed.port, 443);
  EXPECT_EQ(parsed.path, "/Path");
  EXPECT_FALSE(parsed.loopback);
  EXPECT_EQ(url("http://x.org").port, 80);
  EXPECT_EQ(url("http://x.org:8080").port, 8080);
  EXPECT_TRUE(url("http://127.9.9.9").loopback);
  EXPECT_TRUE(url("http://[::1]:80").loopback);
  EXPECT_TRUE(url("http://LOCALHOST").loopback);
  EXPECT_FALSE(url("http://localhost.example.org").loopback);
}

TEST(ValidatorsTest, PrefixMatchingFollowsSegmentBoundaries) {
  EXPECT_TRUE(url_under_prefix(url("https://a.org/app"), url("https://a.org/app")));
  EXPECT_TRUE(url_under_prefix(url("https://a.org/app/x?y=1"), url("https://a.org/app")));
  EXPECT_TRUE(url_under_prefix(url("https://a.org/app/x"), url("https://a.org/app/")));
  EXPECT_FALSE(url_under_prefix(url("https://a.org/apple"), url("https://a.org/app")));
  EXPECT_FALSE(url_under_prefix(url("https://a.org/app"), url("https://a.org/app/")));
  EXPECT_TRUE(url_under_prefix(url("https://a.org"), url("https://a.org/")));
  EXPECT_TRUE(url_under_prefix(url("https://a.org:443/x"), url("https://a.org")));
  EXPECT_FALSE(url_under_prefix(url("https://a.org:444/x"), url("https://a.org")));
  EXPECT_FALSE(url_under_prefix(url("http://a.org/x"), url("https://a.org")));
  EXPECT_FALSE(url_under_prefix(url("https://a.org.evil.example/x"), url("https://a.org")));
}

TEST(ValidatorsTest, IdentifiersAndTokens) {
  EXPECT_TRUE(is_identifier("clever"));
  EXPECT_TRUE(is_identifier("0district_2-b"));
  EXPECT_TRUE(is_identifier(std::string(63, 'a')));
  EXPECT_FALSE(is_identifier(std::string(64, 'a')));
  EXPECT_FALSE(is_identifier(""));
  EXPECT_FALSE(is_identifier("-x"));
  EXPECT_FALSE(is_identifier("Clever"));
  EXPECT_FALSE(is_identifier("a.b"));
  EXPECT_FALSE(is_identifier("a/b"));
  EXPECT_TRUE(is_http_token("lmsgw_session"));
  EXPECT_TRUE(is_http_token("__Host-x"));
  EXPECT_FALSE(is_http_token("a b"));
  EXPECT_FALSE(is_http_token("a;b"));
  EXPECT_FALSE(is_http_token("a=b"));
  EXPECT_FALSE(is_http_token(""));
}

TEST(ValidatorsTest, PathsResolveAgainstTheBase) {
  EXPECT_EQ(resolve_path("/etc/lmsgw", "data/x.db"), "/etc/lmsgw/data/x.db");
  EXPECT_EQ(resolve_path("/etc/lmsgw", "../lib/x.db"), "/etc/lib/x.db");
  EXPECT_EQ(resolve_path("/etc/lmsgw", "/var/x.db"), "/var/x.db");
}

}  // namespace
}  // namespace lmsgw::config
