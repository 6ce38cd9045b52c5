// The gateway's configuration, parsed and validated from one YAML file at start-up.
// Every error is reported as `file:line: key: reason` and stops start-up; every key is
// documented in docs/configuration.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/client.h"
#include "http/server.h"
#include "identity/minimizer.h"
#include "lmsgw/sdk/config_node.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::config {

// The same levels plugins log at.
using LogLevel = sdk::LogLevel;

struct LoggingConfig {
  LogLevel level = LogLevel::info;
  std::optional<std::string> file;  // stderr when absent
};

struct ServerConfig {
  http::ServerOptions options;
  // The external base URL browsers use, e.g. https://login.district.example. Callback URLs are
  // `public_url + "/callback/" + connection id`. No trailing slash, no query.
  std::string public_url;
};

struct StoreConfig {
  std::string sqlite_path;
};

struct SessionConfig {
  // Default: "__Host-lmsgw_session", or "lmsgw_session" when cookie_secure is false.
  std::string cookie_name = "__Host-lmsgw_session";
  // Only the loopback demo may turn this off: validation refuses `false` unless public_url
  // is http:// on a loopback host.
  bool cookie_secure = true;
  std::chrono::seconds lifetime{8 * 3600};
  // Allowed return URLs: each entry is an absolute URL prefix (scheme, host, port exact,
  // path prefix on a segment boundary).
  std::vector<std::string> return_url_prefixes;
  std::string default_return_url;
  // How long a started sign-in waits for its callback.
  std::chrono::seconds login_timeout{600};
};

// The gateway as token issuer (docs/front-door.md). Absent: no tokens are minted and the
// token endpoints answer 404.
struct TokensConfig {
  std::string issuer;    // default: server.public_url
  std::string audience;  // what the platform backend expects in `aud`
  enum class Algorithm : std::uint8_t { es256, eddsa } algorithm = Algorithm::es256;
  std::chrono::seconds lifetime{300};
  std::string keys_directory;
  // Backends allowed to call /oauth/introspect: client id -> secret reference.
  std::map<std::string, sdk::ConfigNode> introspection_clients;
};

struct PluginLoad {
  std::string name;
  std::optional<std::string> file;  // explicit path; else lmsgw_<name>.so in the directories
  bool required = true;
  sdk::ConfigNode::Location where;
};

struct PluginsConfig {
  std::vector<std::string> directories;
  std::vector<PluginLoad> load;
};

struct DistrictConfig {
  std::string id;
  identity::NamePolicy names;
};

struct ConnectionConfig {
  std::string id;      // the key under `connections:`; appears in /login/{id}
  std::string plugin;  // a loaded plugin's name
  // Namespace for keyed subject hashes; defaults to the plugin name.
  std::string identity_namespace;
  // Either one fixed district for everyone signing in here...
  std::optional<std::string> district;
  // ...or the provider's district ids mapped to ours.
  std::map<std::string, std::string> provider_districts;
  bool allow_provider_initiated = false;
  sdk::ConfigNode plugin_config;  // the `config:` subtree, for the plugin
  sdk::ConfigNode node;           // the whole connection, for error locations
};

// A roster-sync connection (the `sync:` section): a district's roster source read by a sync
// plugin, on a schedule and on demand.
struct SyncConnectionConfig {
  std::string id;      // the key under `sync:`
  std::string plugin;  // a loaded plugin's name
  // Namespace for keyed subject hashes; defaults to the plugin name, so a rostered person and
  // the same person signing in through that provider share one account.
  std::string identity_namespace;
  // Either one fixed district for everything this source reports...
  std::optional<std::string> district;
  // ...or the provider's district ids mapped to ours; records of other districts are discarded.
  std::map<std::string, std::string> provider_districts;
  // Time between scheduled runs; absent: `schedule: manual` (lmsgwctl sync run only).
  std::optional<std::chrono::seconds> interval;
  sdk::ConfigNode plugin_config;  // the `config:` subtree, for the plugin
  sdk::ConfigNode node;           // the whole entry, for error locations
};

// Retention and disposal (the `retention:` section; docs/directives.md).
struct RetentionConfig {
  // The platform's own inactivity policy: accounts of a district whose directive sets no
  // inactive_days, and (in runs over all districts) accounts of no district, are deleted this
  // many days after their last sign-in (or creation, if none). Absent: none.
  std::optional<int> default_inactive_days;
  // Days from a district's withdrawal to the complete disposal of its data, when its directive
  // says nothing (PRIVACY.md C.1: the default is complete disposal, at once).
  int after_revocation_days = 0;
  // Units deleted per transaction.
  std::size_t batch_size = 1000;
  // Time between scheduled runs; absent (`interval: manual`): lmsgwctl retention run only.
  std::optional<std::chrono::seconds> interval = std::chrono::hours(1);
  // Named in disposal certificates; empty: the host name.
  std::string instance;
};

struct GatewayConfig {
  std::string file;       // the path it was loaded from
  std::string directory;  // absolute directory of `file`; relative paths resolve against it
  ServerConfig server;
  LoggingConfig logging;
  StoreConfig store;
  http::ClientOptions http_client;
  SessionConfig session;
  std::optional<TokensConfig> tokens;
  PluginsConfig plugins;
  std::map<std::string, DistrictConfig> districts;
  std::map<std::string, ConnectionConfig> connections;
  std::map<std::string, SyncConnectionConfig> sync;
  RetentionConfig retention;
  // Secrets stay references here; they are resolved through SecretResolver.
  sdk::ConfigNode pepper_ref;
  // Seals sign-in state into cookies; replicas behind one load balancer must share it. Absent:
  // a random key per process (a callback must then reach the process that started it).
  std::optional<sdk::ConfigNode> login_state_key_ref;
  sdk::ConfigNode root;
};

// "30m", "6h", "1d" (also "s"), at least a minute and at most 30 days; nullopt otherwise.
std::optional<std::chrono::seconds> parse_sync_interval(std::string_view text);

// Reads YAML into a ConfigNode tree with the file and line of every node. Paths are dotted
// (`connections.clever.config.client_id`, `plugins.load[0].name`); a mapping value is located
// at its key's line. Refused: syntax errors, duplicate keys, keys that are not scalars,
// anchors/aliases, explicit tags and more than one document.
sdk::Result<sdk::ConfigNode> load_yaml(const std::string& path);

// Parses and validates the whole file. Relative paths in it are resolved against the
// directory of the file. The first error found is returned, as `file:line: key: reason`.
sdk::Result<GatewayConfig> load_gateway_config(const std::string& path);
// Same, from a tree load_yaml made; the file named by `root.location()` anchors relative paths.
sdk::Result<GatewayConfig> parse_gateway_config(const sdk::ConfigNode& root);

}  // namespace lmsgw::config
