#include "logging/logging.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "logging/plugin_logger.h"
#include "logging/redactor.h"

namespace lmsgw::logging {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class LoggingFileTest : public ::testing::Test {
 protected:
  LoggingFileTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("lmsgw_logging_test_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~LoggingFileTest() override {
    // Back to stderr before the file goes away.
    (void)init(config::LoggingConfig{});
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string read_log() {
    flush();
    std::ifstream in(log_path());
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
  }

  std::string log_path() const { return (dir_ / "gateway.log").string(); }

  std::filesystem::path dir_;
};

TEST_F(LoggingFileTest, PluginLinesReachTheFileRedacted) {
  ASSERT_TRUE(init(config::LoggingConfig{config::LogLevel::debug, log_path()}).ok());
  auto redactor = std::make_shared<Redactor>();
  redactor->add_secret("tok_live_abcdef");
  PluginLogger logger("clever", redactor);

  logger.info("token exchange failed",
              {{"status", "401"}, {"client_secret", "tok_live_abcdef"}, {"step", "token"}});
  logger.warn("unexpected user", {{"error", "user kid@springfield.example has no role"}});
  logger.debug("debug detail", {{"attempt", "1"}});

  std::string log = read_log();
  EXPECT_THAT(log, HasSubstr(" info plugin clever: token exchange failed status=401 "
                             "client_secret=[redacted] step=token\n"));
  EXPECT_THAT(log, HasSubstr(" warning plugin clever: unexpected user error=user [email] has "
                             "no role\n"));
  EXPECT_THAT(log, HasSubstr(" debug plugin clever: debug detail attempt=1\n"));
  EXPECT_THAT(log, Not(HasSubstr("tok_live_abcdef")));
  EXPECT_THAT(log, Not(HasSubstr("kid@springfield")));

  // Each line starts with an ISO 8601 UTC time.
  std::regex stamp(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (debug|info|warning) )");
  std::istringstream lines(log);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    EXPECT_TRUE(std::regex_search(line, stamp)) << line;
  }
  EXPECT_EQ(count, 3);
}

TEST_F(LoggingFileTest, LinesBelowTheLevelAreDropped) {
  ASSERT_TRUE(init(config::LoggingConfig{config::LogLevel::warn, log_path()}).ok());
  PluginLogger logger("google", std::make_shared<Redactor>());
  logger.info("not written");
  logger.error("written", {{"status", "500"}});
  std::string log = read_log();
  EXPECT_THAT(log, Not(HasSubstr("not written")));
  EXPECT_THAT(log, HasSubstr(" error plugin google: written status=500\n"));
}

TEST_F(LoggingFileTest, FileIsAppendedTo) {
  { std::ofstream(log_path()) << "earlier line\n"; }
  ASSERT_TRUE(init(config::LoggingConfig{config::LogLevel::info, log_path()}).ok());
  PluginLogger("clever", std::make_shared<Redactor>()).error("later");
  std::string log = read_log();
  EXPECT_THAT(log, ::testing::StartsWith("earlier line\n"));
  EXPECT_THAT(log, HasSubstr("later"));
}

TEST_F(LoggingFileTest, UnopenableFileIsAnError) {
  std::string blocker = (dir_ / "not_a_dir").string();
  { std::ofstream(blocker) << "x"; }
  auto result = init(config::LoggingConfig{config::LogLevel::info, blocker + "/gateway.log"});
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().detail,
              HasSubstr("cannot open log file " + blocker + "/gateway.log for logging"));
}

}  // namespace
}  // namespace lmsgw::logging
