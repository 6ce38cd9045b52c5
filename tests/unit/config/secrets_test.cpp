#include "config/secrets.h"

#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace lmsgw::config {
namespace {

using lmsgw::testing::TempDir;
using sdk::ConfigNode;
using ::testing::HasSubstr;
using ::testing::Not;

ConfigNode reference(std::string text) {
  return ConfigNode::scalar("secrets.pepper", ConfigNode::Location{"gw.yaml", 7}, std::move(text));
}

class SecretsTest : public ::testing::Test {
 protected:
  // A secret file with the given mode, named relative to the resolver's base directory.
  std::string secret_file(const std::string& name, const std::string& content, mode_t mode) {
    std::string path = dir_.write(name, content);
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }

  TempDir dir_;
  SecretResolver resolver_{dir_.path().string()};
};

TEST_F(SecretsTest, EnvironmentReferenceResolves) {
  ::setenv("LMSGW_TEST_SECRET_A", "s3cret-value", 1);
  auto secret = resolver_.resolve(reference("env:LMSGW_TEST_SECRET_A"));
  ASSERT_TRUE(secret.ok()) << secret.error().detail;
  EXPECT_EQ(secret->reveal(), "s3cret-value");
  EXPECT_THAT(resolver_.resolved_values(), ::testing::ElementsAre("s3cret-value"));
}

TEST_F(SecretsTest, UnsetOrEmptyEnvironmentVariableIsAnError) {
  ::unsetenv("LMSGW_TEST_SECRET_UNSET");
  auto secret = resolver_.resolve(reference("env:LMSGW_TEST_SECRET_UNSET"));
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().detail,
            "gw.yaml:7: secrets.pepper: environment variable LMSGW_TEST_SECRET_UNSET is not set");

  ::setenv("LMSGW_TEST_SECRET_EMPTY", "", 1);
  secret = resolver_.resolve(reference("env:LMSGW_TEST_SECRET_EMPTY"));
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().detail,
            "gw.yaml:7: secrets.pepper: environment variable LMSGW_TEST_SECRET_EMPTY is empty");
  EXPECT_TRUE(resolver_.resolved_values().empty());
}

TEST_F(SecretsTest, FileReferenceResolvesRelativeToTheBaseDirectory) {
  secret_file("secrets/pepper", "file-secret\n", 0600);
  auto secret = resolver_.resolve(reference("file:secrets/pepper"));
  ASSERT_TRUE(secret.ok()) << secret.error().detail;
  EXPECT_EQ(secret->reveal(), "file-secret");
}

TEST_F(SecretsTest, OnlyOneTrailingNewlineIsRemoved) {
  std::string path = secret_file("pepper", "two-lines\n\n", 0640);
  auto secret = resolver_.resolve(reference("file:" + path));
  ASSERT_TRUE(secret.ok()) << secret.error().detail;
  EXPECT_EQ(secret->reveal(), "two-lines\n");
}

TEST_F(SecretsTest, WorldReadableFileIsRefusedWithoutShowingTheValue) {
  std::string path = secret_file("pepper", "world-readable-value", 0644);
  auto secret = resolver_.resolve(reference("file:pepper"));
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().detail,
            "gw.yaml:7: secrets.pepper: secret file " + path +
                " is readable by others; restrict it (chmod o-r) before using it");
  EXPECT_THAT(secret.error().detail, Not(HasSubstr("world-readable-value")));
  EXPECT_TRUE(resolver_.resolved_values().empty());
}

TEST_F(SecretsTest, MissingFileIsAnError) {
  auto secret = resolver_.resolve(reference("file:absent"));
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().detail, "gw.yaml:7: secrets.pepper: cannot open secret file " +
                                       (dir_.path() / "absent").string() +
                                       " (No such file or directory)");
}

TEST_F(SecretsTest, EmptyOrOversizedFileIsRefused) {
  std::string empty = secret_file("empty", "\n", 0600);
  auto secret = resolver_.resolve(reference("file:empty"));
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().detail, "gw.yaml:7: secrets.pepper: secret file " + empty + " is empty");

  std::string big = secret_file("big", std::string(SecretResolver::kMaxFileBytes + 1, 'x'), 0600);
  secret = resolver_.resolve(reference("file:big"));
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().detail,
            "gw.yaml:7: secrets.pepper: secret file " + big + " is larger than 64 KiB");
}

TEST_F(SecretsTest, DirectoryIsRefused) {
  std::filesystem::create_directories(dir_.path() / "adir");
  ::chmod((dir_.path() / "adir").c_str(), 0700);
  auto secret = resolver_.resolve(reference("file:adir"));
  ASSERT_FALSE(secret.ok());
  EXPECT_THAT(secret.error().detail, HasSubstr("is not a regular file"));
}

TEST_F(SecretsTest, InlineSecretIsRefusedWithoutShowingIt) {
  for (std::string inline_value : {"hunter2hunter2", "ENV:X", "environment:X", ""}) {
    auto secret = resolver_.resolve(reference(inline_value));
    ASSERT_FALSE(secret.ok()) << inline_value;
    EXPECT_EQ(secret.error().detail,
              "gw.yaml:7: secrets.pepper: secrets must be references (env:NAME or file:PATH)");
  }
  auto mapping = ConfigNode::mapping("secrets.pepper", ConfigNode::Location{"gw.yaml", 7}, {});
  EXPECT_EQ(resolver_.resolve(mapping).error().detail,
            "gw.yaml:7: secrets.pepper: secrets must be references (env:NAME or file:PATH)");
}

TEST_F(SecretsTest, MalformedReferencesAreRefused) {
  EXPECT_EQ(check_secret_reference(reference("env:")).error().detail,
            "gw.yaml:7: secrets.pepper: env: must be followed by an environment variable name");
  EXPECT_EQ(check_secret_reference(reference("env:A-B")).error().detail,
            "gw.yaml:7: secrets.pepper: env: must be followed by an environment variable name");
  EXPECT_EQ(check_secret_reference(reference("file:")).error().detail,
            "gw.yaml:7: secrets.pepper: file: must be followed by a path");
  EXPECT_TRUE(check_secret_reference(reference("env:LMSGW_PEPPER")).ok());
  EXPECT_TRUE(check_secret_reference(reference("file:/run/secrets/pepper")).ok());
}

}  // namespace
}  // namespace lmsgw::config
