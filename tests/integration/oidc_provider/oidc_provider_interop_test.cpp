// A complete sign-in through the real gateway's generic `oidc` plugin at oidc-provider, an
// OpenID provider from the npm registry that no one on this project wrote: discovery, PKCE,
// nonce, ID-token verification and claims all have to agree with an independent
// implementation. Its name and email claims must be dropped like any provider's.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

#include "tests/support/gateway_process.h"
#include "tests/support/process.h"
#include "tests/support/test_browser.h"
#include "tests/support/test_pki.h"

namespace lmsgw::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kClientId = "lms-gateway-interop";
constexpr std::string_view kClientSecret = "interop-client-secret-0123456789";
constexpr std::string_view kConnection = "oidc-interop";
// The fixed account of provider.mjs.
const std::vector<std::string> kCanaries = {"Zzinteropfamilycanary", "zz.interop.canary",
                                            "interop-account-0001"};

// Holds an exclusive lock on a file for as long as it lives: tests run in parallel processes,
// and only one of them may install at a time.
class FileLock {
 public:
  explicit FileLock(const fs::path& path) : fd_(::open(path.c_str(), O_CREAT | O_RDWR, 0644)) {
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0)
      throw std::runtime_error("cannot lock " + path.string());
  }
  ~FileLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

// Installs the pinned packages into the build tree with `npm ci`, unless the same lock file was
// installed there before; returns the directory holding provider.mjs and node_modules.
fs::path install_provider() {
  const fs::path source = LMSGW_OIDC_PROVIDER_SOURCE_DIR;
  const fs::path dir = LMSGW_OIDC_PROVIDER_INSTALL_DIR;
  fs::create_directories(dir);
  FileLock lock(dir / ".install.lock");
  // The script must sit beside node_modules: ES modules resolve packages from their own path.
  for (const char* name : {"package.json", "package-lock.json", "provider.mjs"}) {
    fs::copy_file(source / name, dir / name, fs::copy_options::overwrite_existing);
  }
  const std::string wanted = read_file(source / "package-lock.json");
  if (read_file(dir / ".installed-lock.json") == wanted &&
      fs::exists(dir / "node_modules" / "oidc-provider" / "package.json")) {
    return dir;
  }
  if (std::string(LMSGW_NPM_BIN).empty()) throw std::runtime_error("npm was not found");
  ChildProcess npm(LMSGW_NPM_BIN,
                   {"ci", "--prefix", dir.string(), "--no-audit", "--no-fund", "--ignore-scripts"},
                   dir / "npm-ci.log");
  const std::optional<int> code = npm.wait_for_exit(std::chrono::minutes(5));
  if (code != 0) {
    throw std::runtime_error(
        "npm ci of oidc-provider failed (the npm registry must be "
        "reachable): " +
        npm.output());
  }
  write_file(dir / ".installed-lock.json", wanted);
  return dir;
}

class OidcProviderInteropTest : public ::testing::Test {
 protected:
  OidcProviderInteropTest() {
    const fs::path installed = install_provider();
    write_file(dir_.path() / "client-secret", kClientSecret);
    ::chmod((dir_.path() / "client-secret").c_str(), 0600);
    const std::uint16_t gateway_port = free_port();
    const std::string gateway = "http://127.0.0.1:" + std::to_string(gateway_port);
    provider_port_ = free_port();

    provider_ = std::make_unique<ChildProcess>(
        LMSGW_NODE_BIN,
        std::vector<std::string>{
            (installed / "provider.mjs").string(), "--port", std::to_string(provider_port_),
            "--cert", pki_.server_certificate_file, "--key", pki_.server_key_file, "--client-id",
            std::string(kClientId), "--client-secret", std::string(kClientSecret), "--redirect-uri",
            gateway + "/callback/" + std::string(kConnection), "--ready-file",
            (dir_.path() / "provider-ready").string()},
        dir_.path() / "oidc-provider.log");
    if (!eventually([&] { return fs::exists(dir_.path() / "provider-ready"); },
                    std::chrono::seconds(30))) {
      throw std::runtime_error("oidc-provider did not start: " + provider_->output());
    }

    GatewaySetup setup;
    setup.ca_file = pki_.ca_certificate_file;
    setup.plugins = {"oidc"};
    setup.port = gateway_port;
    setup.connections_yaml = "  " + std::string(kConnection) +
                             ":\n    plugin: oidc\n"
                             "    provider_districts: {interop.example: springfield}\n"
                             "    config:\n"
                             "      client_id: " +
                             std::string(kClientId) +
                             "\n"
                             "      client_secret: file:client-secret\n"
                             "      discovery_url: " +
                             provider_url() +
                             "/.well-known/openid-configuration\n"
                             "      request_profile: true\n"
                             "      hosted_domains: [interop.example]\n";
    gateway_ = std::make_unique<GatewayProcess>(dir_.path(), std::move(setup));
  }

  std::string provider_url() const { return "https://127.0.0.1:" + std::to_string(provider_port_); }
  sdk::HttpResponse sign_in(TestBrowser& browser) {
    return browser.follow(gateway_->url() + "/login/" + std::string(kConnection));
  }

  TempDir dir_;
  TestPki pki_ = make_test_pki(dir_.path() / "pki");
  std::uint16_t provider_port_ = 0;
  std::unique_ptr<ChildProcess> provider_;
  std::unique_ptr<GatewayProcess> gateway_;
  TestBrowser browser_{pki_.ca_certificate_file};
};

TEST_F(OidcProviderInteropTest, ACompleteSignInSucceedsAndNameAndEmailAreDropped) {
  sdk::HttpResponse landed = sign_in(browser_);
  ASSERT_EQ(landed.status, 200) << landed.body << "\n" << provider_->output();
  EXPECT_EQ(browser_.visited().back(), gateway_->return_url());
  // The browser went through the provider's own authorization and interaction endpoints.
  bool interacted = false;
  for (const std::string& url : browser_.visited()) {
    interacted |= url.starts_with(provider_url() + "/interaction/");
  }
  EXPECT_TRUE(interacted);
  EXPECT_THAT(browser_.visited().at(1), HasSubstr("code_challenge_method=S256"));

  sdk::HttpResponse check = browser_.get(gateway_->url() + "/auth/check");
  ASSERT_EQ(check.status, 200);
  EXPECT_EQ(sdk::find_header(check.headers, "X-Account-Role"), "student");
  EXPECT_EQ(sdk::find_header(check.headers, "X-District-Id"), "springfield");
  EXPECT_EQ(sdk::find_header(check.headers, "X-Display-Name"), "Iris");
  EXPECT_EQ(gateway_->metric(sign_in_sample(kConnection, "success")), 1);

  const std::string persisted = gateway_->persisted_bytes();
  ASSERT_THAT(persisted, HasSubstr("Iris"));  // the kept first name is there: the read works
  std::string headers;
  for (const auto& [name, value] : check.headers) headers += name + ": " + value + "\n";
  for (const std::string& canary : kCanaries) {
    EXPECT_THAT(persisted, Not(HasSubstr(canary))) << "persisted: " << canary;
    EXPECT_THAT(headers, Not(HasSubstr(canary))) << "sent to the platform: " << canary;
  }
}

TEST_F(OidcProviderInteropTest, SigningInAgainFindsTheSameAccount) {
  ASSERT_EQ(sign_in(browser_).status, 200);
  TestBrowser other(pki_.ca_certificate_file);
  ASSERT_EQ(sign_in(other).status, 200);
  EXPECT_EQ(gateway_->count_rows("accounts"), 1);
  EXPECT_EQ(gateway_->count_rows("sessions"), 2);
}

}  // namespace
}  // namespace lmsgw::testing
