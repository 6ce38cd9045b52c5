#include "session/return_urls.h"

#include <gtest/gtest.h>

namespace lmsgw::session {
namespace {

ReturnUrlPolicy policy() {
  return ReturnUrlPolicy({"https://app.example.org/", "https://learn.example.org/course"},
                         "https://app.example.org/home");
}

TEST(ReturnUrlPolicy, EmptyMeansTheDefault) {
  EXPECT_EQ(policy().resolve(""), "https://app.example.org/home");
}

TEST(ReturnUrlPolicy, AllowsUrlsUnderAPrefix) {
  EXPECT_TRUE(policy().allows("https://app.example.org/"));
  EXPECT_TRUE(policy().allows("https://app.example.org/lessons/3?tab=2"));
  EXPECT_TRUE(policy().allows("https://APP.example.org/x"));
  EXPECT_TRUE(policy().allows("https://app.example.org:443/x"));
  EXPECT_TRUE(policy().allows("https://learn.example.org/course"));
  EXPECT_TRUE(policy().allows("https://learn.example.org/course/7"));
  EXPECT_EQ(policy().resolve("https://app.example.org/a"), "https://app.example.org/a");
}

TEST(ReturnUrlPolicy, RefusesEverythingElse) {
  const ReturnUrlPolicy p = policy();
  EXPECT_FALSE(p.allows("https://evil.example/"));
  EXPECT_FALSE(p.allows("http://app.example.org/"));        // scheme
  EXPECT_FALSE(p.allows("https://app.example.org:8443/"));  // port
  EXPECT_FALSE(p.allows("https://app.example.org.evil.example/"));
  EXPECT_FALSE(p.allows("https://user@app.example.org/"));      // user info
  EXPECT_FALSE(p.allows("https://learn.example.org/courses"));  // not on a segment boundary
  EXPECT_FALSE(p.allows("https://learn.example.org/course/../admin"));
  EXPECT_FALSE(p.allows("https://app.example.org/a#frag"));
  EXPECT_FALSE(p.allows("https://app.example.org\\@evil.example/"));
  EXPECT_FALSE(p.allows("https://app.example.org/\r\nSet-Cookie: x"));
  EXPECT_FALSE(p.allows("//evil.example/"));
  EXPECT_FALSE(p.allows("/relative"));
  EXPECT_FALSE(p.allows("javascript:alert(1)"));
  EXPECT_FALSE(p.resolve("https://evil.example/").has_value());
}

}  // namespace
}  // namespace lmsgw::session
