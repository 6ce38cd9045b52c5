#include "plugins/plugin_host.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "lmsgw/sdk/testing/mocks.h"

namespace lmsgw::plugins {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::filesystem::path kProbeDir = LMSGW_PROBE_DIR;

std::string probe(std::string_view name) {
  return (kProbeDir / ("lmsgw_probe_" + std::string(name) + ".so")).string();
}

config::PluginLoad entry(std::string name, std::optional<std::string> file = std::nullopt,
                         bool required = true) {
  return config::PluginLoad{std::move(name), std::move(file), required, {}};
}

// Whether the library at `path` is mapped into this process.
bool is_mapped(const std::string& path) {
  std::string real = std::filesystem::canonical(path).string();
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    if (line.size() >= real.size() &&
        line.compare(line.size() - real.size(), real.size(), real) == 0) {
      return true;
    }
  }
  return false;
}

// A plugin context whose services all refuse: the probes only need one to exist.
class FakeContext {
 public:
  explicit FakeContext(sdk::ConfigNode config)
      : context_(std::move(config), http_, clock_, logger_, secrets_, "probe") {}
  operator sdk::PluginContext&() noexcept { return context_; }  // NOLINT: implicit on purpose

 private:
  ::testing::NiceMock<sdk::testing::MockHttpClient> http_;
  sdk::testing::FixedClock clock_;
  sdk::testing::RecordingLogger logger_;
  sdk::testing::MapSecrets secrets_;
  sdk::testing::TestContext context_;
};

sdk::ConfigNode empty_config() {
  return sdk::ConfigNode::mapping("connections.probe.config", {"gw.yaml", 3}, {});
}

class PluginHostTest : public ::testing::Test {
 protected:
  PluginHostTest()
      : scratch_(std::filesystem::temp_directory_path() /
                 ("lmsgw_plugin_host_test_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(scratch_);
    std::filesystem::create_directories(scratch_);
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    auto logger = std::make_shared<spdlog::logger>("plugin_host_test", sink);
    logger->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
  }
  ~PluginHostTest() override {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("null"));
    std::error_code ec;
    std::filesystem::remove_all(scratch_, ec);
  }

  // Error lines logged so far.
  std::vector<std::string> error_lines() const {
    std::vector<std::string> lines;
    std::istringstream in(log_.str());
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("error ", 0) == 0) lines.push_back(line.substr(6));
    }
    return lines;
  }

  // Loads one plugin expected to be refused and returns the refusal.
  RefusedPlugin refuse_one(config::PluginLoad load, std::vector<std::string> directories = {}) {
    config::PluginsConfig config{std::move(directories), {std::move(load)}};
    PluginHost host = PluginHost::load(config);
    EXPECT_TRUE(host.loaded().empty());
    EXPECT_EQ(host.refused().size(), 1u);
    EXPECT_EQ(error_lines().size(), 1u) << log_.str();
    if (host.refused().empty()) return {};
    if (!error_lines().empty()) {
      EXPECT_EQ(error_lines()[0], host.refused()[0].message());
    }
    return host.refused()[0];
  }

  std::filesystem::path scratch_;
  std::ostringstream log_;
};

TEST_F(PluginHostTest, LoadsAGoodPlugin) {
  PluginHost host = PluginHost::load({{}, {entry("probe_good", probe("good"))}});
  ASSERT_EQ(host.loaded().size(), 1u);
  const LoadedPlugin& loaded = host.loaded()[0];
  EXPECT_EQ(loaded.name, "probe_good");
  EXPECT_EQ(loaded.version, "1.2.3");
  EXPECT_EQ(loaded.file, probe("good"));
  EXPECT_TRUE(loaded.capabilities.sign_in);
  EXPECT_FALSE(loaded.capabilities.roster_sync);
  EXPECT_TRUE(host.refused().empty());
  EXPECT_FALSE(host.required_refused());
  EXPECT_TRUE(error_lines().empty());
  EXPECT_THAT(log_.str(), HasSubstr("info plugin loaded: probe_good 1.2.3 from " + probe("good")));

  ASSERT_NE(host.find("probe_good"), nullptr);
  EXPECT_EQ(host.find("probe_good")->name(), "probe_good");
  EXPECT_EQ(host.find("other"), nullptr);

  FakeContext context(empty_config());
  auto auth = host.create_auth("probe_good", context);
  ASSERT_TRUE(auth.ok()) << auth.error().detail;
  auto redirect = (*auth)->begin(sdk::LoginRequest{"", "st4te", "", "", {}});
  ASSERT_TRUE(redirect.ok());
  EXPECT_EQ(redirect->url, "https://provider.example/authorize?state=st4te");
}

TEST_F(PluginHostTest, FindsThePluginInTheFirstDirectoryThatHasIt) {
  std::filesystem::path empty = scratch_ / "empty";
  std::filesystem::create_directories(empty);
  PluginHost host = PluginHost::load({{empty.string(), kProbeDir.string()}, {entry("probe_good")}});
  ASSERT_EQ(host.loaded().size(), 1u);
  EXPECT_EQ(host.loaded()[0].file, probe("good"));

  // An earlier directory wins, even when what it holds turns out to be broken.
  std::filesystem::path shadow = scratch_ / "shadow";
  std::filesystem::create_directories(shadow);
  std::ofstream(shadow / "lmsgw_probe_good.so") << std::string(256, 'x');
  RefusedPlugin refused = refuse_one(entry("probe_good"), {shadow.string(), kProbeDir.string()});
  EXPECT_EQ(refused.file, (shadow / "lmsgw_probe_good.so").string());
}

TEST_F(PluginHostTest, MissingFileNamesTheDirectoriesSearched) {
  RefusedPlugin refused = refuse_one(entry("probe_absent"), {"/nonexistent/a", kProbeDir.string()});
  EXPECT_EQ(refused.name, "probe_absent");
  EXPECT_EQ(refused.file, "");
  EXPECT_EQ(refused.message(),
            "plugin refused: probe_absent: lmsgw_probe_absent.so not found in "
            "/nonexistent/a, " +
                kProbeDir.string());
}

TEST_F(PluginHostTest, MissingExplicitFileIsNamed) {
  std::string file = (scratch_ / "lmsgw_gone.so").string();
  RefusedPlugin refused = refuse_one(entry("gone", file));
  EXPECT_EQ(refused.message(), "plugin refused: " + file + ": file not found");
}

TEST_F(PluginHostTest, NoDirectoriesAndNoFileIsExplained) {
  RefusedPlugin refused = refuse_one(entry("lonely"));
  EXPECT_EQ(refused.message(),
            "plugin refused: lonely: lmsgw_lonely.so not found: no plugin directories are "
            "configured");
}

TEST_F(PluginHostTest, FileThatIsNotASharedLibraryIsRefused) {
  std::string file = (scratch_ / "lmsgw_garbage.so").string();
  std::ofstream(file) << std::string(512, 'G');
  RefusedPlugin refused = refuse_one(entry("garbage", file));
  EXPECT_EQ(refused.file, file);
  EXPECT_THAT(refused.message(),
              HasSubstr("plugin refused: " + file + ": not a loadable shared library ("));
  EXPECT_THAT(refused.reason, HasSubstr("invalid ELF header"));
}

TEST_F(PluginHostTest, LibraryWithAMissingSymbolIsRefusedAtLoad) {
  RefusedPlugin refused = refuse_one(entry("probe_unresolved", probe("unresolved")));
  EXPECT_THAT(refused.message(), HasSubstr("plugin refused: " + probe("unresolved") +
                                           ": not a loadable shared library ("));
  EXPECT_THAT(refused.reason, HasSubstr("undefined symbol: lmsgw_probe_missing_function"));
}

TEST_F(PluginHostTest, LibraryWithoutOurSymbolsIsNotAPlugin) {
  RefusedPlugin refused = refuse_one(entry("probe_not_plugin", probe("not_plugin")));
  EXPECT_EQ(refused.message(), "plugin refused: " + probe("not_plugin") +
                                   ": not an lms-gateway plugin (it exports no "
                                   "lmsgw_sdk_abi_version)");
}

TEST_F(PluginHostTest, WrongAbiIsRefusedBeforeAnythingIsCalled) {
  // The probe's factory aborts the process if it is ever called.
  RefusedPlugin refused = refuse_one(entry("probe_wrong_abi", probe("wrong_abi")));
  EXPECT_EQ(refused.message(), "plugin refused: " + probe("wrong_abi") +
                                   ": built for SDK ABI 999, this gateway speaks " +
                                   std::to_string(sdk::kAbiVersion));
}

TEST_F(PluginHostTest, MissingFactoryIsRefused) {
  RefusedPlugin refused = refuse_one(entry("probe_no_factory", probe("no_factory")));
  EXPECT_EQ(refused.message(), "plugin refused: " + probe("no_factory") +
                                   ": it exports no factory lmsgw_create_plugin_v1");
}

TEST_F(PluginHostTest, ThrowingFactoryIsRefused) {
  RefusedPlugin refused = refuse_one(entry("probe_factory_throws", probe("factory_throws")));
  EXPECT_EQ(refused.message(),
            "plugin refused: " + probe("factory_throws") + ": its factory threw: factory exploded");
}

TEST_F(PluginHostTest, FailingFactoryIsRefusedWithItsError) {
  RefusedPlugin refused = refuse_one(entry("probe_factory_error", probe("factory_error")));
  EXPECT_EQ(refused.message(), "plugin refused: " + probe("factory_error") +
                                   ": its factory failed: config_invalid: no licence for this "
                                   "site");
}

TEST_F(PluginHostTest, ThrowingConstructorIsRefused) {
  RefusedPlugin refused = refuse_one(entry("probe_ctor_throws", probe("ctor_throws")));
  EXPECT_EQ(refused.message(), "plugin refused: " + probe("ctor_throws") +
                                   ": its factory failed: internal: unexpected exception: "
                                   "constructor exploded");
}

TEST_F(PluginHostTest, NameMismatchIsRefusedAndTheLibraryUnloaded) {
  RefusedPlugin refused = refuse_one(entry("probe_mismatch", probe("mismatch")));
  EXPECT_EQ(refused.message(), "plugin refused: " + probe("mismatch") +
                                   ": it calls itself 'probe_other', but plugins.load names it "
                                   "'probe_mismatch'");
  EXPECT_FALSE(is_mapped(probe("mismatch")));
}

TEST_F(PluginHostTest, SecondLibraryWithTheSameNameIsRefused) {
  PluginHost host = PluginHost::load(
      {{}, {entry("probe_good", probe("good")), entry("probe_good", probe("good_copy"))}});
  ASSERT_EQ(host.loaded().size(), 1u);
  EXPECT_EQ(host.loaded()[0].file, probe("good"));
  ASSERT_EQ(host.refused().size(), 1u);
  EXPECT_EQ(host.refused()[0].message(),
            "plugin refused: " + probe("good_copy") +
                ": duplicate plugin name probe_good, already loaded from " + probe("good"));
  EXPECT_THAT(error_lines(), ElementsAre(host.refused()[0].message()));
}

TEST_F(PluginHostTest, RequiredAndOptionalRefusalsAreReportedApart) {
  PluginHost optional_only =
      PluginHost::load({{},
                        {entry("probe_not_plugin", probe("not_plugin"), false),
                         entry("probe_good", probe("good"))}});
  EXPECT_EQ(optional_only.loaded().size(), 1u);
  ASSERT_EQ(optional_only.refused().size(), 1u);
  EXPECT_FALSE(optional_only.refused()[0].required);
  EXPECT_FALSE(optional_only.required_refused());

  PluginHost with_required = PluginHost::load(
      {{},
       {entry("probe_not_plugin", probe("not_plugin"), false),
        entry("probe_wrong_abi", probe("wrong_abi"), true), entry("probe_good", probe("good"))}});
  // A refusal does not stop the rest from loading: the caller decides.
  ASSERT_EQ(with_required.loaded().size(), 1u);
  EXPECT_EQ(with_required.loaded()[0].name, "probe_good");
  ASSERT_EQ(with_required.refused().size(), 2u);
  EXPECT_FALSE(with_required.refused()[0].required);
  EXPECT_TRUE(with_required.refused()[1].required);
  EXPECT_TRUE(with_required.required_refused());
  // One line per refusal, optional ones included.
  EXPECT_EQ(error_lines().size(), 3u);
}

TEST_F(PluginHostTest, InstancesKeepTheLibraryLoadedAfterTheHostIsGone) {
  const std::string file = probe("good");
  ASSERT_FALSE(is_mapped(file));
  FakeContext context(empty_config());
  std::shared_ptr<sdk::AuthPlugin> auth;
  std::shared_ptr<sdk::Plugin> plugin;
  {
    PluginHost host = PluginHost::load({{}, {entry("probe_good", file)}});
    auto made = host.create_auth("probe_good", context);
    ASSERT_TRUE(made.ok()) << made.error().detail;
    auth = *made;
    plugin = host.find("probe_good");
    EXPECT_TRUE(is_mapped(file));
  }
  EXPECT_TRUE(is_mapped(file));

  plugin.reset();
  EXPECT_TRUE(is_mapped(file)) << "the AuthPlugin alone must keep the library";
  auto redirect = auth->begin(sdk::LoginRequest{"", "after", "", "", {}});
  ASSERT_TRUE(redirect.ok());
  EXPECT_EQ(redirect->url, "https://provider.example/authorize?state=after");

  auth.reset();
  EXPECT_FALSE(is_mapped(file));
}

TEST_F(PluginHostTest, PluginObjectAloneKeepsTheLibraryLoaded) {
  const std::string file = probe("good");
  std::shared_ptr<sdk::Plugin> plugin;
  {
    PluginHost host = PluginHost::load({{}, {entry("probe_good", file)}});
    plugin = host.find("probe_good");
  }
  EXPECT_TRUE(is_mapped(file));
  EXPECT_EQ(plugin->version(), "1.2.3");
  plugin.reset();
  EXPECT_FALSE(is_mapped(file));
}

TEST_F(PluginHostTest, CreateReportsUnknownPluginsAndPluginErrors) {
  PluginHost host = PluginHost::load({{}, {entry("probe_good", probe("good"))}});
  FakeContext context(empty_config());

  auto unknown = host.create_auth("probe_unknown", context);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, sdk::ErrorCode::config_invalid);
  EXPECT_EQ(unknown.error().detail, "no plugin named 'probe_unknown' is loaded");

  auto sync = host.create_sync("probe_good", context);
  ASSERT_FALSE(sync.ok());
  EXPECT_EQ(sync.error().code, sdk::ErrorCode::unsupported);

  FakeContext failing(sdk::ConfigNode::mapping(
      "connections.probe.config", {"gw.yaml", 3},
      {{"fail",
        sdk::ConfigNode::scalar("connections.probe.config.fail", {"gw.yaml", 4}, "true")}}));
  auto refused = host.create_auth("probe_good", failing);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, sdk::ErrorCode::config_invalid);
  EXPECT_EQ(refused.error().detail, "gw.yaml:4: connections.probe.config.fail: asked to fail");
}

}  // namespace
}  // namespace lmsgw::plugins

