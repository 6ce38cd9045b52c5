#include "config/gateway_config.h"

#include <string>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace lmsgw::config {
namespace {

using lmsgw::testing::TempDir;

// A valid configuration that sets every key, so that a test can change one line in place and
// keep every other line number.
constexpr std::string_view kBase = R"(server:
  listen: 127.0.0.1:8080
  public_url: http://127.0.0.1:8080
  threads: 2
  worker_threads: 4
  limits:
    max_header_bytes: 8192
    max_body_bytes: 65536
    request_timeout_ms: 10000
    idle_timeout_ms: 60000
    max_connections: 100
  drain_timeout_ms: 5000
logging:
  level: debug
  file: logs/gateway.log
store:
  sqlite:
    path: data/lmsgw.db
secrets:
  pepper: env:LMSGW_TEST_PEPPER
http_client:
  ca_file: certs/test-ca.pem
  use_system_trust_store: true
  timeout_ms: 5000
  max_response_bytes: 65536
session:
  cookie_name: lmsgw_session
  cookie_secure: false
  lifetime_minutes: 60
  return_urls: [http://127.0.0.1:3000/app/]
  default_return_url: http://127.0.0.1:3000/app/home
  login_timeout_seconds: 300
plugins:
  directories: [plugins, /opt/lmsgw/plugins]
  load:
    - name: clever
      required: true
    - name: google
      required: false
      file: extra/lmsgw_google.so
districts:
  springfield:
    student_display_name: initial
    staff_display_name: full_name
  shelbyville: {}
connections:
  clever:
    plugin: clever
    identity_namespace: clever
    district: springfield
    allow_provider_initiated: true
    config:
      client_id: abc
  google:
    plugin: google
    provider_districts: {"6620aa00000000000000d001": springfield, "d2": shelbyville}
)";

class GatewayConfigTest : public ::testing::Test {
 protected:
  // kBase with the line `from` (exact, whole line) replaced by `to`.
  static std::string replace_line(std::string_view from, std::string_view to) {
    std::string yaml(kBase);
    std::string needle = "\n" + std::string(from) + "\n";
    std::size_t at = yaml.find(needle);
    EXPECT_NE(at, std::string::npos) << "no line '" << from << "' in the base config";
    if (at == std::string::npos) return yaml;
    yaml.replace(at + 1, from.size(), to);
    return yaml;
  }

  // 1-based number of the first line of `yaml` that contains `text`.
  static int line_of(std::string_view yaml, std::string_view text) {
    std::size_t at = yaml.find(text);
    EXPECT_NE(at, std::string_view::npos) << "'" << text << "' not found";
    int line = 1;
    for (std::size_t i = 0; i < at && at != std::string_view::npos; ++i) {
      line += yaml[i] == '\n' ? 1 : 0;
    }
    return line;
  }

  sdk::Result<GatewayConfig> load(std::string_view yaml) {
    file_ = dir_.write("gateway.yaml", yaml);
    return load_gateway_config(file_);
  }

  // Loads `yaml`, expects it to fail and returns the message.
  std::string error_of(std::string_view yaml) {
    auto config = load(yaml);
    EXPECT_FALSE(config.ok());
    if (config.ok()) return {};
    EXPECT_EQ(config.error().code, sdk::ErrorCode::config_invalid);
    return config.error().detail;
  }

  // The message expected for `key` at the line of `yaml` containing `marker`.
  std::string at(std::string_view yaml, std::string_view marker, std::string_view key,
                 std::string_view reason) {
    return file_ + ":" + std::to_string(line_of(yaml, marker)) + ": " + std::string(key) + ": " +
           std::string(reason);
  }

  TempDir dir_;
  std::string file_ = (dir_.path() / "gateway.yaml").string();
};

TEST_F(GatewayConfigTest, BaseConfigLoadsWithEveryValue) {
  auto config = load(kBase);
  ASSERT_TRUE(config.ok()) << config.error().detail;
  const GatewayConfig& c = *config;
  EXPECT_EQ(c.file, file_);
  EXPECT_EQ(c.directory, dir_.path().string());
  EXPECT_EQ(c.server.options.listen_host, "127.0.0.1");
  EXPECT_EQ(c.server.options.listen_port, 8080);
  EXPECT_EQ(c.server.public_url, "http://127.0.0.1:8080");
  EXPECT_EQ(c.server.options.threads, 2u);
  EXPECT_EQ(c.server.options.worker_threads, 4u);
  EXPECT_FALSE(c.server.options.tls.has_value());
  EXPECT_EQ(c.server.options.limits.max_header_bytes, 8192u);
  EXPECT_EQ(c.server.options.limits.max_body_bytes, 65536u);
  EXPECT_EQ(c.server.options.limits.request_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(c.server.options.limits.idle_timeout, std::chrono::milliseconds(60000));
  EXPECT_EQ(c.server.options.limits.max_connections, 100u);
  EXPECT_EQ(c.server.options.drain_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(c.logging.level, LogLevel::debug);
  EXPECT_EQ(c.http_client.default_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(c.http_client.default_max_response_bytes, 65536u);
  EXPECT_TRUE(c.http_client.use_system_trust_store);
  EXPECT_EQ(c.pepper_ref.text(), "env:LMSGW_TEST_PEPPER");
  EXPECT_EQ(c.pepper_ref.path(), "secrets.pepper");

  EXPECT_EQ(c.session.cookie_name, "lmsgw_session");
  EXPECT_FALSE(c.session.cookie_secure);
  EXPECT_EQ(c.session.lifetime, std::chrono::minutes(60));
  EXPECT_THAT(c.session.return_url_prefixes, ::testing::ElementsAre("http://127.0.0.1:3000/app/"));
  EXPECT_EQ(c.session.default_return_url, "http://127.0.0.1:3000/app/home");
  EXPECT_EQ(c.session.login_timeout, std::chrono::seconds(300));

  ASSERT_EQ(c.plugins.load.size(), 2u);
  EXPECT_EQ(c.plugins.load[0].name, "clever");
  EXPECT_TRUE(c.plugins.load[0].required);
  EXPECT_FALSE(c.plugins.load[0].file.has_value());
  EXPECT_EQ(c.plugins.load[0].where.line, line_of(kBase, "- name: clever"));
  EXPECT_EQ(c.plugins.load[1].name, "google");
  EXPECT_FALSE(c.plugins.load[1].required);

  ASSERT_EQ(c.districts.size(), 2u);
  EXPECT_EQ(c.districts.at("springfield").names.students, identity::StudentNameStyle::initial);
  EXPECT_EQ(c.districts.at("springfield").names.staff, identity::StaffNameStyle::full_name);
  EXPECT_EQ(c.districts.at("shelbyville").names.students, identity::StudentNameStyle::first_name);
  EXPECT_EQ(c.districts.at("shelbyville").names.staff, identity::StaffNameStyle::first_name);

  ASSERT_EQ(c.connections.size(), 2u);
  const ConnectionConfig& clever = c.connections.at("clever");
  EXPECT_EQ(clever.id, "clever");
  EXPECT_EQ(clever.plugin, "clever");
  EXPECT_EQ(clever.identity_namespace, "clever");
  EXPECT_EQ(clever.district, "springfield");
  EXPECT_TRUE(clever.provider_districts.empty());
  EXPECT_TRUE(clever.allow_provider_initiated);
  EXPECT_EQ(clever.plugin_config.path(), "connections.clever.config");
  auto client_id = clever.plugin_config.get_string("client_id");
  ASSERT_TRUE(client_id.ok());
  EXPECT_EQ(*client_id, "abc");
  EXPECT_EQ(clever.node.path(), "connections.clever");

  const ConnectionConfig& google = c.connections.at("google");
  EXPECT_EQ(google.identity_namespace, "google");  // defaults to the plugin name
  EXPECT_FALSE(google.district.has_value());
  EXPECT_FALSE(google.allow_provider_initiated);
  EXPECT_EQ(google.provider_districts.at("6620aa00000000000000d001"), "springfield");
  EXPECT_EQ(google.provider_districts.at("d2"), "shelbyville");
  // No `config:` given: an empty mapping whose errors point at the connection.
  EXPECT_TRUE(google.plugin_config.is_mapping());
  EXPECT_EQ(google.plugin_config.path(), "connections.google.config");
  EXPECT_EQ(
      google.plugin_config.missing("client_id").detail,
      at(kBase, "  google:\n    plugin", "connections.google.config.client_id", "is required"));
}

TEST_F(GatewayConfigTest, MinimalConfigTakesTheDocumentedDefaults) {
  auto config = load(R"(server:
  listen: "[::1]:0"
  public_url: https://login.example.org
store: {sqlite: {path: /var/lib/lmsgw/lmsgw.db}}
secrets: {pepper: "file:pepper.txt"}
session:
  return_urls: [https://app.example.org/]
  default_return_url: https://app.example.org/
)");
  ASSERT_TRUE(config.ok()) << config.error().detail;
  const GatewayConfig& c = *config;
  EXPECT_EQ(c.server.options.listen_host, "::1");
  EXPECT_EQ(c.server.options.listen_port, 0);
  EXPECT_EQ(c.server.options.threads, 0u);
  EXPECT_EQ(c.server.options.worker_threads, 32u);
  EXPECT_EQ(c.server.options.limits.max_header_bytes, 8u * 1024);
  EXPECT_EQ(c.server.options.limits.max_body_bytes, 64u * 1024);
  EXPECT_EQ(c.server.options.limits.request_timeout, std::chrono::milliseconds(10'000));
  EXPECT_EQ(c.server.options.limits.idle_timeout, std::chrono::milliseconds(60'000));
  EXPECT_EQ(c.server.options.limits.max_connections, 10'000u);
  EXPECT_EQ(c.server.options.limits.max_queued_worker_requests, 2048u);
  EXPECT_EQ(c.server.options.drain_timeout, std::chrono::milliseconds(10'000));
  EXPECT_EQ(c.logging.level, LogLevel::info);
  EXPECT_FALSE(c.logging.file.has_value());
  EXPECT_EQ(c.store.sqlite_path, "/var/lib/lmsgw/lmsgw.db");
  EXPECT_FALSE(c.http_client.extra_ca_file.has_value());
  EXPECT_TRUE(c.http_client.use_system_trust_store);
  EXPECT_EQ(c.http_client.max_dns_lookups, 8u);
  EXPECT_EQ(c.http_client.default_timeout, std::chrono::milliseconds(10'000));
  EXPECT_EQ(c.http_client.default_max_response_bytes, 1024u * 1024);
  EXPECT_EQ(c.session.cookie_name, "__Host-lmsgw_session");
  EXPECT_TRUE(c.session.cookie_secure);
  EXPECT_FALSE(c.login_state_key_ref.has_value());
  EXPECT_EQ(c.session.lifetime, std::chrono::minutes(480));
  EXPECT_EQ(c.session.login_timeout, std::chrono::seconds(600));
  EXPECT_TRUE(c.plugins.directories.empty());
  EXPECT_TRUE(c.plugins.load.empty());
  EXPECT_TRUE(c.districts.empty());
  EXPECT_TRUE(c.connections.empty());
}

TEST_F(GatewayConfigTest, ExampleConfigLoads) {
  auto config = load_gateway_config(LMSGW_EXAMPLE_CONFIG);
  ASSERT_TRUE(config.ok()) << config.error().detail;
  EXPECT_TRUE(config->session.cookie_secure);
  EXPECT_TRUE(config->server.options.tls.has_value());
  EXPECT_EQ(config->pepper_ref.text(), "env:LMSGW_PEPPER");
  EXPECT_EQ(config->session.cookie_name, "__Host-lmsgw_session");
  ASSERT_TRUE(config->login_state_key_ref.has_value());
  EXPECT_EQ(config->login_state_key_ref->path(), "secrets.login_state_key");
  ASSERT_EQ(config->connections.count("clever"), 1u);
  EXPECT_EQ(config->connections.at("clever").plugin, "clever");
  EXPECT_TRUE(config->connections.at("clever").plugin_config.is_mapping());
}

TEST_F(GatewayConfigTest, RelativePathsResolveAgainstTheConfigDirectory) {
  std::string yaml = replace_line("  listen: 127.0.0.1:8080",
                                  "  listen: 127.0.0.1:8080\n"
                                  "  tls: {certificate: tls/cert.pem, private_key: /etc/key.pem}");
  auto config = load(yaml);
  ASSERT_TRUE(config.ok()) << config.error().detail;
  std::string base = dir_.path().string();
  EXPECT_EQ(config->store.sqlite_path, base + "/data/lmsgw.db");
  EXPECT_EQ(config->logging.file, base + "/logs/gateway.log");
  EXPECT_EQ(config->http_client.extra_ca_file, base + "/certs/test-ca.pem");
  ASSERT_TRUE(config->server.options.tls.has_value());
  EXPECT_EQ(config->server.options.tls->certificate_chain_file, base + "/tls/cert.pem");
  EXPECT_EQ(config->server.options.tls->private_key_file, "/etc/key.pem");
  EXPECT_THAT(config->plugins.directories,
              ::testing::ElementsAre(base + "/plugins", "/opt/lmsgw/plugins"));
  EXPECT_EQ(config->plugins.load[1].file, base + "/extra/lmsgw_google.so");
}

TEST_F(GatewayConfigTest, RelativePathsFollowTheConfigFileNotTheWorkingDirectory) {
  std::string nested = dir_.write("etc/lmsgw/gateway.yaml", kBase);
  auto config = load_gateway_config(nested);
  ASSERT_TRUE(config.ok()) << config.error().detail;
  EXPECT_EQ(config->store.sqlite_path, (dir_.path() / "etc/lmsgw/data/lmsgw.db").string());
  EXPECT_EQ(config->directory, (dir_.path() / "etc/lmsgw").string());
}

TEST_F(GatewayConfigTest, UnknownKeyAtTheTopLevelStopsStartUp) {
  std::string yaml = replace_line("logging:", "loging:");
  EXPECT_EQ(error_of(yaml), at(yaml, "loging:", "loging", "unknown key"));
}

TEST_F(GatewayConfigTest, UnknownKeyInASectionStopsStartUp) {
  std::string yaml = replace_line("  threads: 2", "  thread: 2");
  EXPECT_EQ(error_of(yaml), at(yaml, "thread:", "server.thread", "unknown key"));
}

TEST_F(GatewayConfigTest, UnknownKeyInANestedSectionStopsStartUp) {
  std::string yaml = replace_line("    max_connections: 100", "    max_conections: 100");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "max_conections", "server.limits.max_conections", "unknown key"));
}

TEST_F(GatewayConfigTest, UnknownKeyInAListItemStopsStartUp) {
  std::string yaml = replace_line("      required: false", "      optional: true");
  EXPECT_EQ(error_of(yaml), at(yaml, "optional:", "plugins.load[1].optional", "unknown key"));
}

TEST_F(GatewayConfigTest, UnknownKeyInAConnectionStopsStartUp) {
  std::string yaml = replace_line("    allow_provider_initiated: true", "    allow_instant: true");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "allow_instant", "connections.clever.allow_instant", "unknown key"));
}

TEST_F(GatewayConfigTest, UnknownKeyInADistrictStopsStartUp) {
  std::string yaml = replace_line("    staff_display_name: full_name", "    staff_name: full_name");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "staff_name:", "districts.springfield.staff_name", "unknown key"));
}

TEST_F(GatewayConfigTest, WrongTypesAreRefused) {
  std::string yaml = replace_line("  threads: 2", "  threads: many");
  EXPECT_EQ(error_of(yaml), at(yaml, "threads:", "server.threads", "expected an integer"));

  yaml = replace_line("  cookie_secure: false", "  cookie_secure: yes");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "cookie_secure:", "session.cookie_secure", "expected true or false"));

  yaml = replace_line("  shelbyville: {}", "  shelbyville: [a]");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "shelbyville:", "districts.shelbyville", "expected a mapping"));

  yaml = replace_line("  return_urls: [http://127.0.0.1:3000/app/]",
                      "  return_urls: http://127.0.0.1:3000/app/");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "return_urls:", "session.return_urls", "expected a list of URL prefixes"));

  yaml = replace_line("    plugin: clever", "    plugin: [clever]");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "plugin: [clever]", "connections.clever.plugin", "expected a string"));

  yaml = replace_line("      client_id: abc", "      - client_id");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "    config:", "connections.clever.config", "expected a mapping"));
}

TEST_F(GatewayConfigTest, EnumValuesAreChecked) {
  std::string yaml = replace_line("  level: debug", "  level: verbose");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "level:", "logging.level", "must be one of debug, info, warn, error"));

  yaml = replace_line("    student_display_name: initial", "    student_display_name: full_name");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "student_display_name", "districts.springfield.student_display_name",
               "must be one of first_name, initial"));
}

TEST_F(GatewayConfigTest, MissingRequiredKeysAreNamed) {
  std::string yaml = replace_line("  listen: 127.0.0.1:8080", "  # listen: removed");
  EXPECT_EQ(error_of(yaml), at(yaml, "server:", "server.listen", "is required"));

  yaml = replace_line("    path: data/lmsgw.db", "    path:");
  EXPECT_EQ(error_of(yaml), at(yaml, "  sqlite:", "store.sqlite.path", "is required"));

  yaml = replace_line("  default_return_url: http://127.0.0.1:3000/app/home", "");
  EXPECT_EQ(error_of(yaml), at(yaml, "session:", "session.default_return_url", "is required"));

  yaml = replace_line("    plugin: clever", "    # no plugin");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "  clever:\n    # no", "connections.clever.plugin", "is required"));
}

TEST_F(GatewayConfigTest, MissingRequiredSectionIsNamed) {
  std::string yaml = replace_line("secrets:", "# secrets:");
  yaml = std::string(yaml).replace(yaml.find("  pepper: env:LMSGW_TEST_PEPPER"),
                                   std::string_view("  pepper: env:LMSGW_TEST_PEPPER").size(), "#");
  EXPECT_EQ(error_of(yaml), file_ + ":1: secrets: is required");
}

TEST_F(GatewayConfigTest, ValuesOutOfRangeAreRefused) {
  std::string yaml = replace_line("  threads: 2", "  threads: 1000");
  EXPECT_EQ(error_of(yaml), at(yaml, "threads:", "server.threads", "must be between 0 and 256"));

  yaml = replace_line("  lifetime_minutes: 60", "  lifetime_minutes: 0");
  EXPECT_EQ(error_of(yaml), at(yaml, "lifetime_minutes", "session.lifetime_minutes",
                               "must be between 1 and 43200"));

  yaml = replace_line("    max_body_bytes: 65536", "    max_body_bytes: -1");
  EXPECT_EQ(error_of(yaml), at(yaml, "max_body_bytes", "server.limits.max_body_bytes",
                               "must be between 1024 and 67108864"));
}

TEST_F(GatewayConfigTest, BadListenAddressesAreRefused) {
  struct Case {
    std::string_view value;
    std::string_view reason;
  };
  const Case cases[] = {
      {"127.0.0.1", "expected host:port (e.g. 127.0.0.1:8080 or [::1]:8080)"},
      {"127.0.0.1:http", "the port must be a number between 0 and 65535"},
      {"127.0.0.1:65536", "the port must be a number between 0 and 65535"},
      {"::1:8080", "an IPv6 address must be in brackets, e.g. [::1]:8080"},
      {"\"[::g]:8080\"", "'::g' is not an IPv6 address"},
      {"\"[::1]8080\"", "expected host:port (e.g. 127.0.0.1:8080 or [::1]:8080)"},
      {"bad_host:80", "'bad_host' is not an IP address or host name"},
  };
  for (const Case& c : cases) {
    std::string yaml =
        replace_line("  listen: 127.0.0.1:8080", "  listen: " + std::string(c.value));
    EXPECT_EQ(error_of(yaml), at(yaml, "listen:", "server.listen", c.reason)) << c.value;
  }
}

TEST_F(GatewayConfigTest, BadPublicUrlsAreRefused) {
  struct Case {
    std::string_view value;
    std::string_view reason;
  };
  const Case cases[] = {
      {"ftp://127.0.0.1", "expected an absolute http:// or https:// URL"},
      {"/relative", "expected an absolute http:// or https:// URL"},
      {"http://127.0.0.1:8080/", "must not end with a slash"},
      {"http://127.0.0.1:8080/gw?x=1", "must not contain a query"},
      {"\"http://127.0.0.1:8080/#top\"", "must not contain a fragment (#...)"},
      {"http://user@127.0.0.1:8080", "must not contain user information"},
      {"http://127.0.0.1:99999", "has an invalid port"},
      {"http://login.example.org", "must be https:// unless the host is a loopback address"},
  };
  for (const Case& c : cases) {
    std::string yaml = replace_line("  public_url: http://127.0.0.1:8080",
                                    "  public_url: " + std::string(c.value));
    EXPECT_EQ(error_of(yaml), at(yaml, "public_url:", "server.public_url", c.reason)) << c.value;
  }
}

TEST_F(GatewayConfigTest, PublicUrlMayCarryAPathAndLoopbackNames) {
  for (std::string_view value : {"https://example.org/gateway", "http://localhost:8080",
                                 "http://[::1]:8080", "http://127.0.0.2"}) {
    std::string yaml =
        replace_line("  public_url: http://127.0.0.1:8080", "  public_url: " + std::string(value));
    yaml.replace(yaml.find("cookie_secure: false"), 20, "cookie_secure: true");
    auto config = load(yaml);
    EXPECT_TRUE(config.ok()) << value << ": " << (config.ok() ? "" : config.error().detail);
  }
}

TEST_F(GatewayConfigTest, InsecureCookieNeedsALoopbackHttpPublicUrl) {
  std::string yaml =
      replace_line("  public_url: http://127.0.0.1:8080", "  public_url: https://127.0.0.1:8443");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "cookie_secure:", "session.cookie_secure",
               "may be false only when server.public_url is http:// on a loopback host"));
}

TEST_F(GatewayConfigTest, CookieNameMustBeAToken) {
  std::string yaml = replace_line("  cookie_name: lmsgw_session", "  cookie_name: \"my session\"");
  EXPECT_EQ(error_of(yaml), at(yaml, "cookie_name:", "session.cookie_name",
                               "must be 1 to 64 characters of an HTTP token (letters, digits "
                               "and !#$%&'*+-.^_`|~)"));

  yaml = replace_line("  cookie_name: lmsgw_session", "  cookie_name: __Host-lmsgw");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "cookie_secure:", "session.cookie_secure",
               "must be true for a cookie name starting with __Host- or __Secure-"));
}

TEST_F(GatewayConfigTest, ReturnUrlsAreCheckedAndTheDefaultMustBeAllowed) {
  std::string yaml =
      replace_line("  return_urls: [http://127.0.0.1:3000/app/]", "  return_urls: []");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "return_urls:", "session.return_urls", "must list at least one URL prefix"));

  yaml = replace_line("  return_urls: [http://127.0.0.1:3000/app/]",
                      "  return_urls: [http://127.0.0.1:3000/app/, app.example.org]");
  EXPECT_EQ(error_of(yaml), at(yaml, "return_urls:", "session.return_urls[1]",
                               "expected an absolute http:// or https:// URL"));

  for (std::string_view outside :
       {"http://127.0.0.1:3000/apple", "http://127.0.0.1:3001/app/home",
        "https://127.0.0.1:3000/app/home", "http://localhost:3000/app/home"}) {
    yaml = replace_line("  default_return_url: http://127.0.0.1:3000/app/home",
                        "  default_return_url: " + std::string(outside));
    EXPECT_EQ(error_of(yaml), at(yaml, "default_return_url:", "session.default_return_url",
                                 "must be under one of session.return_urls"))
        << outside;
  }

  yaml = replace_line("  default_return_url: http://127.0.0.1:3000/app/home",
                      "  default_return_url: http://127.0.0.1:3000/app/?tab=1");
  EXPECT_TRUE(load(yaml).ok());
}

TEST_F(GatewayConfigTest, InlineSecretIsRefusedAtValidation) {
  std::string yaml = replace_line("  pepper: env:LMSGW_TEST_PEPPER", "  pepper: hunter2hunter2");
  std::string error = error_of(yaml);
  EXPECT_EQ(error, at(yaml, "pepper:", "secrets.pepper",
                      "secrets must be references (env:NAME or file:PATH)"));
  EXPECT_THAT(error, ::testing::Not(::testing::HasSubstr("hunter2")));
}

TEST_F(GatewayConfigTest, ConnectionMustNameAListedPlugin) {
  std::string yaml = replace_line("    plugin: clever", "    plugin: cleverr");
  EXPECT_EQ(error_of(yaml), at(yaml, "plugin: cleverr", "connections.clever.plugin",
                               "plugin 'cleverr' is not listed in plugins.load"));
}

TEST_F(GatewayConfigTest, ConnectionMustNameAConfiguredDistrict) {
  std::string yaml = replace_line("    district: springfield", "    district: capital_city");
  EXPECT_EQ(error_of(yaml), at(yaml, "district: capital_city", "connections.clever.district",
                               "district 'capital_city' is not configured in districts"));

  yaml = replace_line(
      "    provider_districts: {\"6620aa00000000000000d001\": springfield, \"d2\": shelbyville}",
      "    provider_districts: {\"6620aa00000000000000d001\": springfield, \"d2\": ogdenville}");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "provider_districts:", "connections.google.provider_districts.d2",
               "district 'ogdenville' is not configured in districts"));
}

TEST_F(GatewayConfigTest, DistrictAndProviderDistrictsTogetherAreRefused) {
  std::string yaml = replace_line("    district: springfield",
                                  "    district: springfield\n"
                                  "    provider_districts: {d1: springfield}");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "provider_districts: {d1", "connections.clever.provider_districts",
               "cannot be combined with district; set one fixed district or a mapping, not "
               "both"));
}

TEST_F(GatewayConfigTest, IdsMustBeUrlSafe) {
  std::string yaml = replace_line("  shelbyville: {}", "  Shelby Ville: {}");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "Shelby Ville", "districts.Shelby Ville",
               "district id must be 1 to 63 characters of a-z, 0-9, '_' and '-', starting "
               "with a letter or digit"));

  yaml = replace_line("  google:", "  _google:");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "_google:", "connections._google",
               "connection id must be 1 to 63 characters of a-z, 0-9, '_' and '-', starting "
               "with a letter or digit"));
}

TEST_F(GatewayConfigTest, PluginListedTwiceIsRefused) {
  std::string yaml = replace_line("    - name: google", "    - name: clever");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "- name: clever\n      required: false", "plugins.load[1].name",
               "plugin 'clever' is already listed at line " +
                   std::to_string(line_of(yaml, "- name: clever"))));
}

TEST_F(GatewayConfigTest, PluginWithoutFileNeedsDirectories) {
  std::string yaml =
      replace_line("  directories: [plugins, /opt/lmsgw/plugins]", "  directories: []");
  EXPECT_EQ(error_of(yaml), at(yaml, "- name: clever", "plugins.load[0]",
                               "needs `file` when plugins.directories is empty"));
}

TEST_F(GatewayConfigTest, DistrustingTheSystemStoreNeedsACaFile) {
  std::string yaml = replace_line("  ca_file: certs/test-ca.pem", "");
  yaml = std::string(yaml).replace(yaml.find("use_system_trust_store: true"),
                                   std::string_view("use_system_trust_store: true").size(),
                                   "use_system_trust_store: false");
  EXPECT_EQ(error_of(yaml),
            at(yaml, "use_system_trust_store", "http_client.use_system_trust_store",
               "false requires http_client.ca_file, or no server could be trusted"));
}

TEST_F(GatewayConfigTest, DuplicateKeyIsRefusedAtItsSecondOccurrence) {
  std::string yaml = replace_line("  worker_threads: 4", "  threads: 4");
  int second = line_of(yaml, "  threads: 4");
  EXPECT_EQ(error_of(yaml),
            file_ + ":" + std::to_string(second) + ": server.threads: duplicate key");
}

TEST_F(GatewayConfigTest, YamlSyntaxErrorNamesFileAndLine) {
  std::string yaml = replace_line("  return_urls: [http://127.0.0.1:3000/app/]",
                                  "  return_urls: [http://127.0.0.1:3000/app/");
  std::string error = error_of(yaml);
  EXPECT_THAT(error, ::testing::StartsWith(file_ + ":"));
  EXPECT_THAT(error, ::testing::HasSubstr("end of sequence flow not found"));
}

TEST_F(GatewayConfigTest, EmptyFileAndNonMappingAreRefused) {
  EXPECT_EQ(error_of(""), file_ + ":1: the file is empty");
  EXPECT_EQ(error_of("- a\n- b\n"),
            file_ + ":1: expected a mapping of sections (server, store, secrets, session, ...)");
}

TEST_F(GatewayConfigTest, MissingFileIsReported) {
  auto config = load_gateway_config((dir_.path() / "absent.yaml").string());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().detail, (dir_.path() / "absent.yaml").string() +
                                       ": cannot open the file (No such file or directory)");
}

}  // namespace
}  // namespace lmsgw::config
