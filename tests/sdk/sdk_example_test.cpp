// The SDK's example plugin, built out of tree against the installed SDK only (build_example.cmake),
// loaded by the real gateway from the example's own build directory, and a sign-in through it
// against a fake of its provider.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <sstream>

#include "tests/sdk/fake_hello_id.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_browser.h"
#include "tests/support/test_pki.h"

namespace lmsgw::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kClientId = "it-hello-client";
constexpr std::string_view kClientSecret = "it-hello-secret-0123456789";
constexpr std::string_view kStudent = "h-1001";
// Personal data the fake hands over that the gateway must drop.
const std::vector<std::string> kCanaries = {"Zzhellofamilycanary", "zz.hello.canary@example.org",
                                            "2016-02-29", "Zzhellonicknamecanary"};

std::filesystem::path example_plugin() {
  return std::filesystem::path(LMSGW_SDK_EXAMPLE_DIR) / "lmsgw_hello.so";
}

void write_private(const std::filesystem::path& path, std::string_view content) {
  write_file(path, content);
  ::chmod(path.c_str(), 0600);
}

class SdkExampleTest : public ::testing::Test {
 protected:
  SdkExampleTest()
      : pki_(make_test_pki(dir_.path() / "pki")),
        port_(free_port()),
        hello_(
            pki_,
            FakeHelloIdOptions{
                .client_id = std::string(kClientId),
                .client_secret = std::string(kClientSecret),
                .redirect_uri = gateway_url() + "/callback/hello",
                .users = {{std::string(kStudent),
                           R"({"sub":"h-1001","role":"student","school":"sch-0042",)"
                           R"("given_name":"Ana","family_name":"Zzhellofamilycanary",)"
                           R"("email":"zz.hello.canary@example.org","email_verified":true,)"
                           R"("birthdate":"2016-02-29","nickname":"Zzhellonicknamecanary"})"}}}) {
    write_private(dir_.path() / "pepper", "test-pepper-0123456789abcdefghijklmnopqrstuvwxyz");
    write_private(dir_.path() / "hello-secret", kClientSecret);
    std::ostringstream yaml;
    yaml << "server:\n  listen: 127.0.0.1:" << port_ << "\n  public_url: " << gateway_url()
         << "\n  threads: 2\n"
         << "logging:\n  level: debug\n  file: gateway.log\n"
         << "store:\n  sqlite:\n    path: lmsgw.db\n"
         << "secrets:\n  pepper: file:pepper\n"
         << "http_client:\n  ca_file: " << pki_.ca_certificate_file
         << "\n  use_system_trust_store: false\n"
         << "session:\n  cookie_secure: false\n  return_urls: [" << return_url()
         << "]\n  default_return_url: " << return_url()
         << "\n"
         // The example's build directory, exactly as an author would point the gateway at it.
         << "plugins:\n  directories: [" << LMSGW_SDK_EXAMPLE_DIR << "]\n"
         << "  load:\n    - name: hello\n"
         << "districts:\n  springfield: {}\n"
         << "connections:\n  hello:\n    plugin: hello\n"
         << "    provider_districts: {\"sch-0042\": springfield}\n"
         << "    config:\n      client_id: " << kClientId
         << "\n      client_secret: file:hello-secret\n"
         << "      authorize_url: " << hello_.url() << "/authorize\n"
         << "      token_url: " << hello_.url() << "/token\n"
         << "      userinfo_url: " << hello_.url() << "/userinfo\n";
    write_file(config_file(), yaml.str());
  }

  std::string gateway_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string return_url() const { return gateway_url() + "/healthz"; }
  std::filesystem::path config_file() const { return dir_.path() / "gateway.yaml"; }

  void start_gateway() {
    gateway_ = std::make_unique<ChildProcess>(
        LMSGW_GATEWAY_BIN, std::vector<std::string>{"--config", config_file().string()},
        dir_.path() / "gateway.stderr");
    TestBrowser probe(pki_.ca_certificate_file);
    ASSERT_TRUE(eventually([&] {
      if (!gateway_->running()) return false;
      try {
        return probe.get(gateway_url() + "/healthz").status == 200;
      } catch (const std::exception&) {
        return false;
      }
    })) << "the gateway did not start: "
        << gateway_->output() << read_file(dir_.path() / "gateway.log");
  }

  std::string persisted_bytes() const {
    std::string bytes;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      bytes += read_file((dir_.path() / "lmsgw.db").string() + suffix);
    }
    return bytes + read_file(dir_.path() / "gateway.log") +
           read_file(dir_.path() / "gateway.stderr");
  }

  TempDir dir_;
  TestPki pki_;
  std::uint16_t port_;
  FakeHelloId hello_;
  std::unique_ptr<ChildProcess> gateway_;
};

TEST_F(SdkExampleTest, TheExamplePluginWasBuiltOutOfTreeFromTheInstalledSdk) {
  ASSERT_TRUE(std::filesystem::exists(example_plugin())) << example_plugin();
  // The example's CMake cache names the SDK package it was configured with: the installed one.
  const std::string cache =
      read_file(std::filesystem::path(LMSGW_SDK_EXAMPLE_DIR) / "CMakeCache.txt");
  EXPECT_THAT(cache, HasSubstr("lmsgw_sdk_DIR:PATH=" LMSGW_SDK_PREFIX "/"));
}

TEST_F(SdkExampleTest, LmsgwctlListsTheExamplePluginFromItsBuildDirectory) {
  ChildProcess ctl(LMSGW_CTL_BIN,
                   std::vector<std::string>{"--config", config_file().string(), "plugins"},
                   dir_.path() / "lmsgwctl.out");
  const auto code = ctl.wait_for_exit(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << ctl.output();
  EXPECT_THAT(ctl.output(),
              HasSubstr("loaded   hello 1.0.0 [sign-in] " + example_plugin().string()));
  EXPECT_THAT(ctl.output(), Not(HasSubstr("refused")));
}

TEST_F(SdkExampleTest, LmsgwctlCheckReportsTheExamplesConfigurationErrors) {
  std::string yaml = read_file(config_file());
  const std::string key = "      timeout_ms: 5\n";
  yaml.insert(yaml.find("      authorize_url:"), key);
  write_file(config_file(), yaml);
  ChildProcess ctl(LMSGW_CTL_BIN,
                   std::vector<std::string>{"--config", config_file().string(), "check"},
                   dir_.path() / "lmsgwctl.out");
  const auto code = ctl.wait_for_exit(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_THAT(ctl.output(),
              HasSubstr("connections.hello.config.timeout_ms: must be between 100 and 60000"));
}

TEST_F(SdkExampleTest, TheGatewayLoadsItAndAStudentSignsInThroughIt) {
  start_gateway();
  const std::string loaded = "plugin loaded: hello 1.0.0 from " + example_plugin().string();
  EXPECT_TRUE(eventually([&] { return persisted_bytes().find(loaded) != std::string::npos; }))
      << "the gateway did not log: " << loaded;

  TestBrowser browser(pki_.ca_certificate_file);
  sdk::HttpResponse landed =
      browser.follow(gateway_url() + "/login/hello?login_hint=" + std::string(kStudent));
  EXPECT_EQ(landed.status, 200) << landed.body;
  ASSERT_FALSE(browser.visited().empty());
  EXPECT_EQ(browser.visited().back(), return_url());
  EXPECT_EQ(hello_.redeemed(), 1) << "the code was not redeemed (PKCE, client or redirect URI)";
  EXPECT_EQ(hello_.refused(), 0);

  sdk::HttpResponse check = browser.get(gateway_url() + "/auth/check");
  ASSERT_EQ(check.status, 200);
  EXPECT_EQ(sdk::find_header(check.headers, "X-Account-Role"), "student");
  EXPECT_EQ(sdk::find_header(check.headers, "X-District-Id"), "springfield");
  EXPECT_EQ(sdk::find_header(check.headers, "X-Display-Name"), "Ana");

  const std::string persisted = persisted_bytes();
  ASSERT_THAT(persisted, HasSubstr("Ana"));
  for (const std::string& canary : kCanaries) {
    EXPECT_THAT(persisted, Not(HasSubstr(canary))) << "persisted: " << canary;
    EXPECT_THAT(browser.transcript(), Not(HasSubstr(canary))) << "sent to the browser: " << canary;
  }
}

TEST_F(SdkExampleTest, ACallbackReplayedIntoAnotherSignInIsRefused) {
  start_gateway();
  TestBrowser victim(pki_.ca_certificate_file);
  const std::string login = gateway_url() + "/login/hello?login_hint=" + std::string(kStudent);
  sdk::HttpResponse to_hello = victim.get(login);
  ASSERT_EQ(to_hello.status, 302);
  sdk::HttpResponse back = victim.get(location_of(to_hello, gateway_url()));
  ASSERT_EQ(back.status, 302);
  const std::string callback = location_of(back, hello_.url());
  EXPECT_EQ(victim.follow(callback).status, 200);

  // Another browser starts its own sign-in, then presents the captured callback.
  TestBrowser attacker(pki_.ca_certificate_file);
  ASSERT_EQ(attacker.get(login).status, 302);
  sdk::HttpResponse replayed = attacker.follow(callback);
  EXPECT_NE(replayed.status, 200);
  EXPECT_EQ(attacker.get(gateway_url() + "/auth/check").status, 401);
  EXPECT_EQ(hello_.redeemed(), 1);
}

}  // namespace
}  // namespace lmsgw::testing
