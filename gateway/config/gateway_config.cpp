#include "config/gateway_config.h"

#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "config/secrets.h"
#include "config/validators.h"

namespace lmsgw::config {
namespace {

using sdk::ConfigNode;
using sdk::Error;
using sdk::Result;

constexpr std::string_view kBadIdentifier =
    "must be 1 to 63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit";

// Moves a successful result into `out`, or hands back its error.
template <class T, class U>
std::optional<Error> take(Result<T> result, U& out) {
  if (!result) return result.error();
  out = std::move(*result);
  return std::nullopt;
}

std::optional<Error> take(Result<void> result) {
  if (!result) return result.error();
  return std::nullopt;
}

// A sub-mapping: nullptr when absent (or written as an empty value) and not required.
Result<const ConfigNode*> section(const ConfigNode& parent, std::string_view key, bool required) {
  const ConfigNode* child = parent.find(key);
  if (child == nullptr || child->is_null()) {
    if (required) return parent.missing(key);
    return static_cast<const ConfigNode*>(nullptr);
  }
  if (!child->is_mapping()) return child->error("expected a mapping");
  return child;
}

// A present, scalar value (its text is read by the caller's own check).
Result<const ConfigNode*> required_scalar(const ConfigNode& parent, std::string_view key) {
  const ConfigNode* child = parent.find(key);
  if (child == nullptr || child->is_null()) return parent.missing(key);
  if (!child->is_scalar()) return child->error("expected a string");
  return child;
}

Result<std::string> required_path(const ConfigNode& parent, std::string_view key,
                                  const std::filesystem::path& base) {
  auto node = required_scalar(parent, key);
  if (!node) return node.error();
  if ((*node)->text().empty()) return (*node)->error("must not be empty");
  return resolve_path(base, (*node)->text());
}

Result<std::optional<std::string>> optional_path(const ConfigNode& parent, std::string_view key,
                                                 const std::filesystem::path& base) {
  const ConfigNode* child = parent.find(key);
  if (child == nullptr || child->is_null()) return std::optional<std::string>{};
  auto path = required_path(parent, key, base);
  if (!path) return path.error();
  return std::optional<std::string>{std::move(*path)};
}

template <class T>
std::optional<Error> take_int(const ConfigNode& parent, std::string_view key, std::int64_t fallback,
                              std::int64_t min, std::int64_t max, T& out) {
  auto value = parent.get_int(key, fallback, min, max);
  if (!value) return value.error();
  out = static_cast<T>(*value);
  return std::nullopt;
}

template <class Duration>
std::optional<Error> take_duration(const ConfigNode& parent, std::string_view key,
                                   std::int64_t fallback, std::int64_t min, std::int64_t max,
                                   Duration& out) {
  auto value = parent.get_int(key, fallback, min, max);
  if (!value) return value.error();
  out = Duration(*value);
  return std::nullopt;
}

// One of `choices`, mapped to its value; `fallback` when absent.
template <class T>
Result<T> get_choice(const ConfigNode& parent, std::string_view key, T fallback,
                     std::initializer_list<std::pair<std::string_view, T>> choices) {
  const ConfigNode* child = parent.find(key);
  if (child == nullptr || child->is_null()) return fallback;
  std::string names;
  for (const auto& [name, value] : choices) {
    if (child->is_scalar() && child->text() == name) return value;
    names += names.empty() ? "" : ", ";
    names += name;
  }
  return child->error("must be one of " + names);
}

// What later sections need from earlier ones.
struct Context {
  std::filesystem::path base;
  HttpUrl public_url;
  std::string public_url_text;
};

std::optional<Error> parse_server(const ConfigNode& root, Context& context, ServerConfig& out) {
  const ConfigNode* server = nullptr;
  if (auto e = take(section(root, "server", true), server)) return e;
  if (auto e = take(server->check_keys({"listen", "public_url", "threads", "worker_threads", "tls",
                                        "limits", "drain_timeout_ms"}))) {
    return e;
  }
  http::ServerOptions& options = out.options;

  const ConfigNode* listen = nullptr;
  if (auto e = take(required_scalar(*server, "listen"), listen)) return e;
  ListenAddress address;
  if (auto e = take(parse_listen(*listen), address)) return e;
  options.listen_host = address.host;
  options.listen_port = address.port;

  const ConfigNode* public_url = nullptr;
  if (auto e = take(required_scalar(*server, "public_url"), public_url)) return e;
  if (auto e = take(parse_http_url(*public_url,
                                   UrlRules{.allow_query = false, .allow_trailing_slash = false}),
                    context.public_url)) {
    return e;
  }
  // Over plain HTTP anyone on the path reads the session cookie; only loopback is exempt.
  if (!context.public_url.https && !context.public_url.loopback) {
    return public_url->error("must be https:// unless the host is a loopback address");
  }
  out.public_url = public_url->text();
  context.public_url_text = out.public_url;

  if (auto e = take_int(*server, "threads", 0, 0, 256, options.threads)) return e;
  if (auto e = take_int(*server, "worker_threads", 32, 1, 1024, options.worker_threads)) return e;

  const ConfigNode* tls = nullptr;
  if (auto e = take(section(*server, "tls", false), tls)) return e;
  if (tls != nullptr) {
    if (auto e = take(tls->check_keys({"certificate", "private_key"}))) return e;
    http::TlsFiles files;
    if (auto e =
            take(required_path(*tls, "certificate", context.base), files.certificate_chain_file)) {
      return e;
    }
    if (auto e = take(required_path(*tls, "private_key", context.base), files.private_key_file)) {
      return e;
    }
    options.tls = std::move(files);
  }

  const ConfigNode* limits = nullptr;
  if (auto e = take(section(*server, "limits", false), limits)) return e;
  if (limits != nullptr) {
    if (auto e = take(limits->check_keys({"max_header_bytes", "max_body_bytes",
                                          "request_timeout_ms", "idle_timeout_ms",
                                          "max_connections", "max_queued_worker_requests"}))) {
      return e;
    }
    http::ServerLimits& l = options.limits;
    if (auto e = take_int(*limits, "max_header_bytes", 8 * 1024, 1024, 1024 * 1024,
                          l.max_header_bytes)) {
      return e;
    }
    if (auto e = take_int(*limits, "max_body_bytes", 64 * 1024, 1024, 64 * 1024 * 1024,
                          l.max_body_bytes)) {
      return e;
    }
    if (auto e =
            take_duration(*limits, "request_timeout_ms", 10'000, 100, 600'000, l.request_timeout)) {
      return e;
    }
    if (auto e =
            take_duration(*limits, "idle_timeout_ms", 60'000, 100, 3'600'000, l.idle_timeout)) {
      return e;
    }
    if (auto e = take_int(*limits, "max_connections", 10'000, 1, 1'000'000, l.max_connections)) {
      return e;
    }
    if (auto e = take_int(*limits, "max_queued_worker_requests", 2048, 1, 1'000'000,
                          l.max_queued_worker_requests)) {
      return e;
    }
  }
  return take_duration(*server, "drain_timeout_ms", 10'000, 0, 600'000, options.drain_timeout);
}

std::optional<Error> parse_logging(const ConfigNode& root, const Context& context,
                                   LoggingConfig& out) {
  const ConfigNode* logging = nullptr;
  if (auto e = take(section(root, "logging", false), logging)) return e;
  if (logging == nullptr) return std::nullopt;
  if (auto e = take(logging->check_keys({"level", "file"}))) return e;
  if (auto e = take(get_choice<LogLevel>(*logging, "level", LogLevel::info,
                                         {{"debug", LogLevel::debug},
                                          {"info", LogLevel::info},
                                          {"warn", LogLevel::warn},
                                          {"error", LogLevel::error}}),
                    out.level)) {
    return e;
  }
  return take(optional_path(*logging, "file", context.base), out.file);
}

std::optional<Error> parse_store(const ConfigNode& root, const Context& context, StoreConfig& out) {
  const ConfigNode* store = nullptr;
  if (auto e = take(section(root, "store", true), store)) return e;
  if (auto e = take(store->check_keys({"sqlite"}))) return e;
  const ConfigNode* sqlite = nullptr;
  if (auto e = take(section(*store, "sqlite", true), sqlite)) return e;
  if (auto e = take(sqlite->check_keys({"path"}))) return e;
  return take(required_path(*sqlite, "path", context.base), out.sqlite_path);
}

std::optional<Error> parse_secrets(const ConfigNode& root, GatewayConfig& out) {
  const ConfigNode* secrets = nullptr;
  if (auto e = take(section(root, "secrets", true), secrets)) return e;
  if (auto e = take(secrets->check_keys({"pepper", "login_state_key"}))) return e;
  const ConfigNode* pepper = secrets->find("pepper");
  if (pepper == nullptr || pepper->is_null()) return secrets->missing("pepper");
  if (auto e = take(check_secret_reference(*pepper))) return e;
  out.pepper_ref = *pepper;
  if (const ConfigNode* key = secrets->find("login_state_key"); key != nullptr && !key->is_null()) {
    if (auto e = take(check_secret_reference(*key))) return e;
    out.login_state_key_ref = *key;
  }
  return std::nullopt;
}

std::optional<Error> parse_http_client(const ConfigNode& root, const Context& context,
                                       http::ClientOptions& out) {
  const ConfigNode* client = nullptr;
  if (auto e = take(section(root, "http_client", false), client)) return e;
  if (client == nullptr) return std::nullopt;
  if (auto e = take(client->check_keys({"ca_file", "use_system_trust_store", "timeout_ms",
                                        "max_response_bytes", "max_dns_lookups"}))) {
    return e;
  }
  if (auto e = take(optional_path(*client, "ca_file", context.base), out.extra_ca_file)) return e;
  if (auto e = take(client->get_bool("use_system_trust_store", true), out.use_system_trust_store)) {
    return e;
  }
  if (!out.use_system_trust_store && !out.extra_ca_file) {
    return client->find("use_system_trust_store")
        ->error("false requires http_client.ca_file, or no server could be trusted");
  }
  if (auto e = take_duration(*client, "timeout_ms", 10'000, 100, 600'000, out.default_timeout)) {
    return e;
  }
  if (auto e = take_int(*client, "max_response_bytes", 1024 * 1024, 1024, 64 * 1024 * 1024,
                        out.default_max_response_bytes)) {
    return e;
  }
  return take_int(*client, "max_dns_lookups", 8, 1, 256, out.max_dns_lookups);
}

std::optional<Error> parse_session(const ConfigNode& root, const Context& context,
                                   SessionConfig& out) {
  const ConfigNode* session = nullptr;
  if (auto e = take(section(root, "session", true), session)) return e;
  if (auto e = take(
          session->check_keys({"cookie_name", "cookie_secure", "lifetime_minutes", "return_urls",
                               "default_return_url", "login_timeout_seconds"}))) {
    return e;
  }

  if (auto e = take(session->get_bool("cookie_secure", true), out.cookie_secure)) return e;
  // With Secure cookies the __Host- prefix is the default: browsers then refuse the cookie
  // from any other host (a sibling subdomain cannot plant a session or a sign-in state).
  out.cookie_name = out.cookie_secure ? "__Host-lmsgw_session" : "lmsgw_session";
  if (const ConfigNode* name = session->find("cookie_name"); name != nullptr && !name->is_null()) {
    if (auto e = take(session->get_string("cookie_name"), out.cookie_name)) return e;
    if (!is_http_token(out.cookie_name) || out.cookie_name.size() > 64) {
      return name->error(
          "must be 1 to 64 characters of an HTTP token (letters, digits and "
          "!#$%&'*+-.^_`|~)");
    }
  }

  if (!out.cookie_secure) {
    const ConfigNode& secure = *session->find("cookie_secure");
    if (context.public_url.https || !context.public_url.loopback) {
      return secure.error("may be false only when server.public_url is http:// on a loopback host");
    }
    std::string_view name = out.cookie_name;
    if (name.substr(0, 7) == "__Host-" || name.substr(0, 9) == "__Secure-") {
      return secure.error("must be true for a cookie name starting with __Host- or __Secure-");
    }
  }

  std::chrono::minutes lifetime{};
  if (auto e = take_duration(*session, "lifetime_minutes", 480, 1, 43'200, lifetime)) return e;
  out.lifetime = lifetime;

  const ConfigNode* return_urls = session->find("return_urls");
  if (return_urls == nullptr || return_urls->is_null()) return session->missing("return_urls");
  if (!return_urls->is_sequence()) return return_urls->error("expected a list of URL prefixes");
  if (return_urls->items().empty()) return return_urls->error("must list at least one URL prefix");
  std::vector<HttpUrl> prefixes;
  for (const ConfigNode& item : return_urls->items()) {
    if (!item.is_scalar()) return item.error("expected a string");
    HttpUrl prefix;
    if (auto e =
            take(parse_http_url(item, UrlRules{.allow_query = false, .allow_trailing_slash = true}),
                 prefix)) {
      return e;
    }
    prefixes.push_back(std::move(prefix));
    out.return_url_prefixes.push_back(item.text());
  }

  const ConfigNode* fallback = nullptr;
  if (auto e = take(required_scalar(*session, "default_return_url"), fallback)) return e;
  HttpUrl fallback_url;
  if (auto e = take(
          parse_http_url(*fallback, UrlRules{.allow_query = true, .allow_trailing_slash = true}),
          fallback_url)) {
    return e;
  }
  bool allowed = false;
  for (const HttpUrl& prefix : prefixes)
    allowed = allowed || url_under_prefix(fallback_url, prefix);
  if (!allowed) return fallback->error("must be under one of session.return_urls");
  out.default_return_url = fallback->text();

  return take_duration(*session, "login_timeout_seconds", 600, 30, 3600, out.login_timeout);
}

std::optional<Error> parse_plugins(const ConfigNode& root, const Context& context,
                                   PluginsConfig& out) {
  const ConfigNode* plugins = nullptr;
  if (auto e = take(section(root, "plugins", false), plugins)) return e;
  if (plugins == nullptr) return std::nullopt;
  if (auto e = take(plugins->check_keys({"directories", "load"}))) return e;

  if (auto e = take(plugins->get_string_list("directories"), out.directories)) return e;
  for (std::size_t i = 0; i < out.directories.size(); ++i) {
    if (out.directories[i].empty()) {
      return plugins->find("directories")->items()[i].error("must not be empty");
    }
    out.directories[i] = resolve_path(context.base, out.directories[i]);
  }

  const ConfigNode* load = plugins->find("load");
  if (load == nullptr || load->is_null()) return std::nullopt;
  if (!load->is_sequence()) return load->error("expected a list of plugins");
  for (const ConfigNode& item : load->items()) {
    if (auto e = take(item.check_keys({"name", "required", "file"}))) return e;
    PluginLoad entry;
    entry.where = item.location();
    const ConfigNode* name = nullptr;
    if (auto e = take(required_scalar(item, "name"), name)) return e;
    if (!is_identifier(name->text())) return name->error(kBadIdentifier);
    for (const PluginLoad& earlier : out.load) {
      if (earlier.name == name->text()) {
        return name->error("plugin '" + name->text() + "' is already listed at line " +
                           std::to_string(earlier.where.line));
      }
    }
    entry.name = name->text();
    if (auto e = take(item.get_bool("required", true), entry.required)) return e;
    if (auto e = take(optional_path(item, "file", context.base), entry.file)) return e;
    if (!entry.file && out.directories.empty()) {
      return item.error("needs `file` when plugins.directories is empty");
    }
    out.load.push_back(std::move(entry));
  }
  return std::nullopt;
}

std::optional<Error> parse_tokens(const ConfigNode& root, const Context& context,
                                  std::optional<TokensConfig>& out) {
  const ConfigNode* tokens = nullptr;
  if (auto e = take(section(root, "tokens", false), tokens)) return e;
  if (tokens == nullptr) return std::nullopt;
  if (auto e = take(tokens->check_keys({"issuer", "audience", "algorithm", "lifetime_seconds",
                                        "keys_directory", "introspection_clients"}))) {
    return e;
  }
  TokensConfig config;
  config.issuer = context.public_url_text;
  if (const ConfigNode* issuer = tokens->find("issuer"); issuer != nullptr && !issuer->is_null()) {
    HttpUrl parsed;
    if (auto e = take(
            parse_http_url(*issuer, UrlRules{.allow_query = false, .allow_trailing_slash = false}),
            parsed)) {
      return e;
    }
    config.issuer = issuer->text();
  }
  const ConfigNode* audience = nullptr;
  if (auto e = take(required_scalar(*tokens, "audience"), audience)) return e;
  if (audience->text().empty() || audience->text().size() > 256) {
    return audience->error("must be 1 to 256 characters");
  }
  config.audience = audience->text();
  if (auto e = take(
          get_choice<TokensConfig::Algorithm>(*tokens, "algorithm", TokensConfig::Algorithm::es256,
                                              {{"ES256", TokensConfig::Algorithm::es256},
                                               {"EdDSA", TokensConfig::Algorithm::eddsa}}),
          config.algorithm)) {
    return e;
  }
  if (auto e = take_duration(*tokens, "lifetime_seconds", 300, 30, 3600, config.lifetime)) return e;
  if (auto e =
          take(required_path(*tokens, "keys_directory", context.base), config.keys_directory)) {
    return e;
  }
  const ConfigNode* clients = nullptr;
  if (auto e = take(section(*tokens, "introspection_clients", false), clients)) return e;
  if (clients != nullptr) {
    for (const auto& [client_id, secret] : clients->entries()) {
      if (!is_http_token(client_id) || client_id.size() > 128) {
        return secret.error("client ids must be 1 to 128 characters of an HTTP token");
      }
      if (auto e = take(check_secret_reference(secret))) return e;
      config.introspection_clients.emplace(client_id, secret);
    }
  }
  out = std::move(config);
  return std::nullopt;
}

std::optional<Error> parse_districts(const ConfigNode& root,
                                     std::map<std::string, DistrictConfig>& out) {
  const ConfigNode* districts = nullptr;
  if (auto e = take(section(root, "districts", false), districts)) return e;
  if (districts == nullptr) return std::nullopt;
  for (const auto& [id, node] : districts->entries()) {
    if (!is_identifier(id)) return node.error("district id " + std::string(kBadIdentifier));
    DistrictConfig district;
    district.id = id;
    if (!node.is_null()) {
      if (auto e = take(node.check_keys({"student_display_name", "staff_display_name"}))) {
        return e;
      }
      using identity::StaffNameStyle;
      using identity::StudentNameStyle;
      if (auto e = take(get_choice<StudentNameStyle>(node, "student_display_name",
                                                     StudentNameStyle::first_name,
                                                     {{"first_name", StudentNameStyle::first_name},
                                                      {"initial", StudentNameStyle::initial}}),
                        district.names.students)) {
        return e;
      }
      if (auto e = take(
              get_choice<StaffNameStyle>(node, "staff_display_name", StaffNameStyle::first_name,
                                         {{"first_name", StaffNameStyle::first_name},
                                          {"full_name", StaffNameStyle::full_name}}),
              district.names.staff)) {
        return e;
      }
    }
    out.emplace(id, std::move(district));
  }
  return std::nullopt;
}

// `district` (one fixed district) or `provider_districts` (the provider's ids mapped to
// configured districts), shared by sign-in and sync connections.
std::optional<Error> parse_district_choice(const ConfigNode& node, const GatewayConfig& config,
                                           std::optional<std::string>& fixed,
                                           std::map<std::string, std::string>& mapped) {
  const ConfigNode* district = node.find("district");
  const ConfigNode* provider_districts = node.find("provider_districts");
  if (district != nullptr && !district->is_null() && provider_districts != nullptr &&
      !provider_districts->is_null()) {
    return provider_districts->error(
        "cannot be combined with district; set one fixed district or a mapping, not both");
  }
  if (district != nullptr && !district->is_null()) {
    if (!district->is_scalar()) return district->error("expected a string");
    if (config.districts.count(district->text()) == 0) {
      return district->error("district '" + district->text() + "' is not configured in districts");
    }
    fixed = district->text();
  }
  if (provider_districts != nullptr && !provider_districts->is_null()) {
    if (!provider_districts->is_mapping()) {
      return provider_districts->error("expected a mapping of provider district ids to districts");
    }
    for (const auto& [provider_id, target] : provider_districts->entries()) {
      if (provider_id.empty()) return target.error("a provider district id must not be empty");
      if (!target.is_scalar()) return target.error("expected a district id");
      if (config.districts.count(target.text()) == 0) {
        return target.error("district '" + target.text() + "' is not configured in districts");
      }
      mapped.emplace(provider_id, target.text());
    }
  }
  return std::nullopt;
}

// A plugin name listed in plugins.load.
std::optional<Error> parse_plugin_name(const ConfigNode& node, const GatewayConfig& config,
                                       std::string& out) {
  const ConfigNode* plugin = nullptr;
  if (auto e = take(required_scalar(node, "plugin"), plugin)) return e;
  bool listed = false;
  for (const PluginLoad& load : config.plugins.load) listed = listed || load.name == plugin->text();
  if (!listed)
    return plugin->error("plugin '" + plugin->text() + "' is not listed in plugins.load");
  out = plugin->text();
  return std::nullopt;
}

// `identity_namespace`, defaulting to the plugin name.
std::optional<Error> parse_identity_namespace(const ConfigNode& node, const std::string& plugin,
                                              std::string& out) {
  if (const ConfigNode* ns = node.find("identity_namespace"); ns != nullptr && !ns->is_null()) {
    if (!ns->is_scalar()) return ns->error("expected a string");
    if (!is_identifier(ns->text())) return ns->error(kBadIdentifier);
    out = ns->text();
  } else {
    out = plugin;
  }
  return std::nullopt;
}

// The `config:` subtree for the plugin; an empty mapping when absent, so the plugin's own
// "is required" errors point at the entry.
std::optional<Error> parse_plugin_config(const ConfigNode& node, sdk::ConfigNode& out) {
  const ConfigNode* plugin_config = node.find("config");
  if (plugin_config != nullptr && !plugin_config->is_null()) {
    if (!plugin_config->is_mapping()) return plugin_config->error("expected a mapping");
    out = *plugin_config;
  } else {
    out = ConfigNode::mapping(node.path() + ".config", node.location(), {});
  }
  return std::nullopt;
}

std::optional<Error> parse_connection(const std::string& id, const ConfigNode& node,
                                      const GatewayConfig& config, ConnectionConfig& out) {
  if (!is_identifier(id)) return node.error("connection id " + std::string(kBadIdentifier));
  if (!node.is_mapping() && !node.is_null()) return node.error("expected a mapping");
  if (node.is_mapping()) {
    if (auto e =
            take(node.check_keys({"plugin", "identity_namespace", "district", "provider_districts",
                                  "allow_provider_initiated", "config"}))) {
      return e;
    }
  }
  out.id = id;
  out.node = node;

  if (auto e = parse_plugin_name(node, config, out.plugin)) return e;
  if (auto e = parse_identity_namespace(node, out.plugin, out.identity_namespace)) return e;

  if (auto e = parse_district_choice(node, config, out.district, out.provider_districts)) {
    return e;
  }

  if (auto e =
          take(node.get_bool("allow_provider_initiated", false), out.allow_provider_initiated)) {
    return e;
  }

  return parse_plugin_config(node, out.plugin_config);
}

std::optional<Error> parse_connections(const ConfigNode& root, GatewayConfig& config) {
  const ConfigNode* connections = nullptr;
  if (auto e = take(section(root, "connections", false), connections)) return e;
  if (connections == nullptr) return std::nullopt;
  for (const auto& [id, node] : connections->entries()) {
    ConnectionConfig connection;
    if (auto e = parse_connection(id, node, config, connection)) return e;
    config.connections.emplace(id, std::move(connection));
  }
  return std::nullopt;
}

std::optional<Error> parse_sync_connection(const std::string& id, const ConfigNode& node,
                                           const GatewayConfig& config, SyncConnectionConfig& out) {
  if (!is_identifier(id)) return node.error("sync connection id " + std::string(kBadIdentifier));
  if (!node.is_mapping()) return node.error("expected a mapping");
  if (auto e = take(node.check_keys({"plugin", "identity_namespace", "district",
                                     "provider_districts", "schedule", "config"}))) {
    return e;
  }
  out.id = id;
  out.node = node;
  if (auto e = parse_plugin_name(node, config, out.plugin)) return e;
  if (auto e = parse_identity_namespace(node, out.plugin, out.identity_namespace)) return e;
  if (auto e = parse_district_choice(node, config, out.district, out.provider_districts)) {
    return e;
  }
  // Every roster record must land in a district: the retention and revocation rules are
  // per district.
  if (!out.district && out.provider_districts.empty()) {
    return node.error("needs `district` or `provider_districts`");
  }
  const ConfigNode* schedule = nullptr;
  if (auto e = take(required_scalar(node, "schedule"), schedule)) return e;
  if (schedule->text() != "manual") {
    out.interval = parse_sync_interval(schedule->text());
    if (!out.interval) {
      return schedule->error(
          "must be `manual` or an interval such as 30m, 6h or 1d (from 1m to 30d)");
    }
  }
  return parse_plugin_config(node, out.plugin_config);
}

std::optional<Error> parse_sync(const ConfigNode& root, GatewayConfig& config) {
  const ConfigNode* sync = nullptr;
  if (auto e = take(section(root, "sync", false), sync)) return e;
  if (sync == nullptr) return std::nullopt;
  for (const auto& [id, node] : sync->entries()) {
    SyncConnectionConfig connection;
    if (auto e = parse_sync_connection(id, node, config, connection)) return e;
    config.sync.emplace(id, std::move(connection));
  }
  return std::nullopt;
}

std::optional<Error> parse_retention(const ConfigNode& root, RetentionConfig& out) {
  const ConfigNode* retention = nullptr;
  if (auto e = take(section(root, "retention", false), retention)) return e;
  if (retention == nullptr) return std::nullopt;
  if (auto e = take(retention->check_keys({"default_inactive_days", "after_revocation_days",
                                           "batch_size", "interval", "instance"}))) {
    return e;
  }
  if (const ConfigNode* days = retention->find("default_inactive_days");
      days != nullptr && !days->is_null()) {
    int value = 0;
    if (auto e = take_int(*retention, "default_inactive_days", 0, 1, 3650, value)) return e;
    out.default_inactive_days = value;
  }
  if (auto e = take_int(*retention, "after_revocation_days", 0, 0, 3650,
                        out.after_revocation_days)) {
    return e;
  }
  if (auto e = take_int(*retention, "batch_size", 1000, 1, 100'000, out.batch_size)) return e;
  if (const ConfigNode* interval = retention->find("interval");
      interval != nullptr && !interval->is_null()) {
    if (interval->is_scalar() && interval->text() == "manual") {
      out.interval.reset();
    } else {
      const auto parsed = interval->is_scalar() ? parse_sync_interval(interval->text())
                                                : std::optional<std::chrono::seconds>{};
      if (!parsed) {
        return interval->error("must be \"manual\" or a duration from 1m to 30d "
                               "(\"30m\", \"1h\", \"1d\")");
      }
      out.interval = *parsed;
    }
  }
  if (const ConfigNode* instance = retention->find("instance");
      instance != nullptr && !instance->is_null()) {
    if (auto e = take(retention->get_string("instance"), out.instance)) return e;
    if (out.instance.empty() || out.instance.size() > 100 ||
        out.instance.find_first_of("\r\n\t") != std::string::npos) {
      return instance->error("must be 1 to 100 characters on one line");
    }
  }
  return std::nullopt;
}

std::optional<Error> parse_root(const ConfigNode& root, GatewayConfig& config) {
  const ConfigNode::Location& where = root.location();
  std::string at = where.file + ":" + std::to_string(where.line) + ": ";
  if (root.is_null()) return Error{sdk::ErrorCode::config_invalid, at + "the file is empty"};
  if (!root.is_mapping()) {
    return Error{sdk::ErrorCode::config_invalid,
                 at + "expected a mapping of sections (server, store, secrets, session, ...)"};
  }
  if (auto e =
          take(root.check_keys({"server", "logging", "store", "secrets", "http_client", "session",
                                "tokens", "plugins", "districts", "connections", "sync",
                                "retention"}))) {
    return e;
  }

  std::error_code ec;
  std::filesystem::path file = std::filesystem::absolute(where.file, ec);
  if (ec) {
    return Error{sdk::ErrorCode::config_invalid,
                 where.file + ": cannot make the path absolute (" + ec.message() + ")"};
  }
  Context context;
  context.base = file.parent_path();
  config.file = where.file;
  config.directory = context.base.string();
  config.root = root;

  if (auto e = parse_server(root, context, config.server)) return e;
  if (auto e = parse_logging(root, context, config.logging)) return e;
  if (auto e = parse_store(root, context, config.store)) return e;
  if (auto e = parse_secrets(root, config)) return e;
  if (auto e = parse_http_client(root, context, config.http_client)) return e;
  if (auto e = parse_session(root, context, config.session)) return e;
  if (auto e = parse_tokens(root, context, config.tokens)) return e;
  if (auto e = parse_plugins(root, context, config.plugins)) return e;
  if (auto e = parse_districts(root, config.districts)) return e;
  if (auto e = parse_connections(root, config)) return e;
  if (auto e = parse_retention(root, config.retention)) return e;
  return parse_sync(root, config);
}

}  // namespace

std::optional<std::chrono::seconds> parse_sync_interval(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86'400;
      break;
    default:
      return std::nullopt;
  }
  std::int64_t count = 0;
  for (const char c : text.substr(0, text.size() - 1)) {
    if (c < '0' || c > '9' || count > 1'000'000'000) return std::nullopt;
    count = count * 10 + (c - '0');
  }
  const std::chrono::seconds interval(count * unit);
  if (interval < std::chrono::minutes(1) || interval > std::chrono::days(30)) return std::nullopt;
  return interval;
}

sdk::Result<GatewayConfig> parse_gateway_config(const sdk::ConfigNode& root) {
  try {
    GatewayConfig config;
    if (auto e = parse_root(root, config)) return *e;
    return config;
  } catch (const std::exception& e) {
    return Error{sdk::ErrorCode::internal,
                 "unexpected error while reading the configuration: " + std::string(e.what())};
  }
}

sdk::Result<GatewayConfig> load_gateway_config(const std::string& path) {
  auto root = load_yaml(path);
  if (!root) return root.error();
  return parse_gateway_config(*root);
}

}  // namespace lmsgw::config
