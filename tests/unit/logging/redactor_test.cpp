#include "logging/redactor.h"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "logging/plugin_logger.h"

namespace lmsgw::logging {
namespace {

TEST(RedactorTest, MasksEverySecretWhereverItAppears) {
  Redactor redactor;
  redactor.add_secret("s3cr3t-token");
  redactor.add_secret("pepper-value");
  EXPECT_EQ(redactor.redact("s3cr3t-token"), "[secret]");
  EXPECT_EQ(redactor.redact("a=s3cr3t-token&b=pepper-value&c=s3cr3t-token."),
            "a=[secret]&b=[secret]&c=[secret].");
  EXPECT_EQ(redactor.redact("nothing to hide"), "nothing to hide");
}

TEST(RedactorTest, OverlappingAndAdjacentSecretsLeaveNoFragment) {
  Redactor redactor;
  redactor.add_secret("abcdef");
  redactor.add_secret("defghi");
  EXPECT_EQ(redactor.redact("xabcdefghiy"), "x[secret]y");
  EXPECT_EQ(redactor.redact("abcdefabcdef"), "[secret]");
}

TEST(RedactorTest, ASecretSpellingPartOfTheMaskIsStillMasked) {
  Redactor redactor;
  redactor.add_secret("secret");
  EXPECT_EQ(redactor.redact("my secret"), "my [secret]");
}

TEST(RedactorTest, EmptySecretIsIgnored) {
  Redactor redactor;
  redactor.add_secret("");
  EXPECT_EQ(redactor.redact("unchanged"), "unchanged");
}

TEST(RedactorTest, MasksEmailShapedSubstrings) {
  Redactor redactor;
  EXPECT_EQ(redactor.redact("user jane.doe+kid@springfield.k12.example signed in"),
            "user [email] signed in");
  EXPECT_EQ(redactor.redact("login_hint=jane%40example.org&x=1"), "login_hint=[email]&x=1");
  EXPECT_EQ(redactor.redact("<a@b.org>,<c_d@e-f.co.uk>."), "<[email]>,<[email]>.");
  EXPECT_EQ(redactor.redact("end with dot bob@example.com."), "end with dot [email].");
}

TEST(RedactorTest, LeavesTextThatIsNotAnEmail) {
  Redactor redactor;
  for (const char* text : {"a @ b.org", "@example.org", "user@localhost", "x@y.1", "x@.org",
                           "100%40", "at@", "price: 5@3"}) {
    EXPECT_EQ(redactor.redact(text), text);
  }
}

TEST(RedactorTest, SecretsAddedWhileRedactingAreSafe) {
  Redactor redactor;
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) redactor.add_secret("secret-" + std::to_string(i));
  });
  for (int i = 0; i < 200; ++i) {
    std::string out = redactor.redact("value secret-199 here");
    EXPECT_TRUE(out == "value secret-199 here" || out == "value [secret] here") << out;
  }
  writer.join();
  EXPECT_EQ(redactor.redact("value secret-199 here"), "value [secret] here");
}

TEST(PluginLineTest, PrintsOnlyAllowlistedFieldValues) {
  Redactor redactor;
  std::string line = format_plugin_line("clever", "token exchange failed",
                                        {{"step", "token"},
                                         {"status", "400"},
                                         {"endpoint", "/oauth/tokens"},
                                         {"attempt", "2"},
                                         {"count", "1"},
                                         {"duration_ms", "35"},
                                         {"error", "upstream_rejected"},
                                         {"connection", "clever"},
                                         {"name", "Jane"},
                                         {"birthdate", "2014-02-03"}},
                                        redactor);
  EXPECT_EQ(line,
            "plugin clever: token exchange failed step=token status=400 endpoint=/oauth/tokens "
            "attempt=2 count=1 duration_ms=35 error=upstream_rejected connection=clever "
            "name=[redacted] birthdate=[redacted]");
}

TEST(PluginLineTest, TheWholeLinePassesThroughTheRedactor) {
  Redactor redactor;
  redactor.add_secret("client-secret-123");
  std::string line =
      format_plugin_line("clever", "rejected for jane@example.org",
                         {{"error", "bad secret client-secret-123 for bob@example.org"}}, redactor);
  EXPECT_EQ(line, "plugin clever: rejected for [email] error=bad secret [secret] for [email]");
}

TEST(PluginLineTest, ControlCharactersCannotForgeLines) {
  Redactor redactor;
  std::string line = format_plugin_line("clever", "first\nplugin clever: forged",
                                        {{"step", "a\r\tb\x01"}}, redactor);
  EXPECT_EQ(line, "plugin clever: first\\nplugin clever: forged step=a\\r\\tb\\x01");
}

}  // namespace
}  // namespace lmsgw::logging

namespace lmsgw::logging {
namespace {

TEST(RedactorTest, ADetailIsRedactedEscapedAndCut) {
  Redactor redactor;
  redactor.add_secret("s3cret-value");
  EXPECT_EQ(redactor.redact_detail("token s3cret-value for ana@example.org\nfake: line"),
            "token [secret] for [email]\\nfake: line");
  EXPECT_EQ(redactor.redact_detail(std::string(10'000, 'x')).size(), Redactor::kMaxDetailBytes);
}

}  // namespace
}  // namespace lmsgw::logging
