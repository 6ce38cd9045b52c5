// Start-up refuses a bad configuration or a broken required plugin with one precise message
// and a non-zero exit code; lmsgwctl reports plugins and validates configurations.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <csignal>

#include "tests/support/process.h"
#include "tests/support/test_browser.h"
#include "tests/support/test_pki.h"

namespace lmsgw::testing {
namespace {

using ::testing::HasSubstr;

class StartupTest : public ::testing::Test {
 protected:
  StartupTest() {
    write_file(dir_.path() / "pepper", "startup-pepper-0123456789abcdefghijklmnop");
    ::chmod((dir_.path() / "pepper").c_str(), 0600);
    write_file(dir_.path() / "secret", "client-secret");
    ::chmod((dir_.path() / "secret").c_str(), 0600);
  }

  // A valid configuration; `replace` swaps one line for another to break it.
  std::filesystem::path write_config(const std::string& from = "", const std::string& to = "") {
    std::string yaml =
        "server:\n"
        "  listen: 127.0.0.1:" +
        std::to_string(free_port()) +
        "\n"
        "  public_url: http://127.0.0.1:8080\n"
        "store:\n"
        "  sqlite:\n"
        "    path: lmsgw.db\n"
        "secrets:\n"
        "  pepper: file:pepper\n"
        "session:\n"
        "  cookie_secure: false\n"
        "  return_urls: [http://127.0.0.1:8090/]\n"
        "  default_return_url: http://127.0.0.1:8090/\n"
        "plugins:\n"
        "  directories: [" LMSGW_PLUGIN_DIR
        "]\n"
        "  load:\n"
        "    - name: clever\n"
        "districts:\n"
        "  springfield: {}\n"
        "connections:\n"
        "  clever:\n"
        "    plugin: clever\n"
        "    district: springfield\n"
        "    config:\n"
        "      client_id: abc\n"
        "      client_secret: file:secret\n";
    if (!from.empty()) {
      const auto at = yaml.find(from);
      if (at == std::string::npos) throw std::runtime_error("no line " + from);
      yaml.replace(at, from.size(), to);
    }
    const auto path = dir_.path() / "gateway.yaml";
    write_file(path, yaml);
    return path;
  }

  // Runs a program to completion; returns its exit code and output.
  std::pair<int, std::string> run(const char* program, std::vector<std::string> args) {
    const auto log = dir_.path() / ("run-" + std::to_string(runs_++) + ".log");
    ChildProcess process(program, std::move(args), log);
    auto code = process.wait_for_exit(std::chrono::seconds(20));
    if (!code) code = process.stop(SIGKILL);
    return {*code, process.output()};
  }

  TempDir dir_;
  int runs_ = 0;
};

TEST_F(StartupTest, AnUnknownKeyStopsStartUpWithFileLineAndKey) {
  const auto config =
      write_config("  cookie_secure: false\n", "  cookie_secure: false\n  cookie_secur: true\n");
  auto [code, output] = run(LMSGW_GATEWAY_BIN, {"--config", config.string()});
  EXPECT_EQ(code, 2);
  EXPECT_THAT(output, HasSubstr("gateway.yaml:11: session.cookie_secur: unknown key"));
}

TEST_F(StartupTest, APluginConfigErrorStopsStartUpWithFileLineAndKey) {
  const auto config = write_config("      client_id: abc\n", "");
  auto [code, output] = run(LMSGW_GATEWAY_BIN, {"--config", config.string()});
  EXPECT_EQ(code, 2);
  EXPECT_THAT(output, HasSubstr("connections.clever.config.client_id: is required"));
}

TEST_F(StartupTest, AnInlineSecretIsRefusedAndNeverPrinted) {
  const auto config =
      write_config("      client_secret: file:secret\n", "      client_secret: hunter2-inline\n");
  auto [code, output] = run(LMSGW_GATEWAY_BIN, {"--config", config.string()});
  EXPECT_EQ(code, 2);
  EXPECT_THAT(output, HasSubstr("connections.clever.config.client_secret"));
  EXPECT_THAT(output, ::testing::Not(HasSubstr("hunter2-inline")));
}

TEST_F(StartupTest, AMissingRequiredPluginStopsStartUp) {
  const auto config =
      write_config("    - name: clever\n", "    - name: clever\n    - name: not-installed\n");
  auto [code, output] = run(LMSGW_GATEWAY_BIN, {"--config", config.string()});
  EXPECT_EQ(code, 3);
  EXPECT_THAT(output, HasSubstr("plugin refused: not-installed"));
}

TEST_F(StartupTest, AMissingOptionalPluginIsReportedAndStartUpGoesOn) {
  const auto config =
      write_config("    - name: clever\n",
                   "    - name: clever\n    - name: not-installed\n      required: false\n");
  auto [code, output] = run(LMSGW_CTL_BIN, {"--config", config.string(), "check"});
  EXPECT_EQ(code, 0) << output;
  EXPECT_THAT(output, HasSubstr("plugin refused: not-installed"));
  EXPECT_THAT(output, HasSubstr("configuration OK"));
}

TEST_F(StartupTest, AConnectionOnARefusedOptionalPluginIsUnavailableAndTheRestServes) {
  const std::string port = std::to_string(free_port());
  std::filesystem::path config =
      write_config("    - name: clever\n",
                   "    - name: clever\n    - name: not-installed\n      required: false\n");
  std::string yaml = read_file(config);
  yaml.replace(yaml.find("  listen: 127.0.0.1:"),
               yaml.find('\n', yaml.find("  listen:")) - yaml.find("  listen: 127.0.0.1:"),
               "  listen: 127.0.0.1:" + port);
  yaml += "  extra:\n    plugin: not-installed\n    district: springfield\n";
  write_file(config, yaml);

  ChildProcess gateway(LMSGW_GATEWAY_BIN, {"--config", config.string()}, dir_.path() / "gw.log");
  TestBrowser browser(make_test_pki(dir_.path() / "pki").ca_certificate_file);
  const std::string base = "http://127.0.0.1:" + port;
  ASSERT_TRUE(eventually([&] {
    try {
      return browser.get(base + "/healthz").status == 200;
    } catch (const std::exception&) {
      return false;
    }
  })) << gateway.output();
  sdk::HttpResponse unavailable = browser.get(base + "/login/extra");
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_THAT(unavailable.body, HasSubstr("connection_unavailable"));
  EXPECT_EQ(browser.get(base + "/login/clever").status, 302);
  EXPECT_THAT(gateway.output(), HasSubstr("connection extra is unavailable"));
}

TEST_F(StartupTest, LmsgwctlListsLoadedAndRefusedPlugins) {
  const auto config =
      write_config("    - name: clever\n",
                   "    - name: clever\n    - name: not-installed\n      required: false\n");
  auto [code, output] = run(LMSGW_CTL_BIN, {"--config", config.string(), "plugins"});
  EXPECT_EQ(code, 0) << output;
  EXPECT_THAT(output, HasSubstr("loaded   clever 1.0.0 [sign-in,roster-sync]"));
  EXPECT_THAT(output, HasSubstr("refused  not-installed (optional)"));
}

TEST_F(StartupTest, LmsgwctlMigratesTheDatabase) {
  const auto config = write_config();
  auto [code, output] = run(LMSGW_CTL_BIN, {"--config", config.string(), "migrate"});
  EXPECT_EQ(code, 0) << output;
  EXPECT_THAT(output, HasSubstr("is at schema version 6"));
}

}  // namespace
}  // namespace lmsgw::testing
