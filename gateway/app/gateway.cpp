#include "app/gateway.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <ostream>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "admin/admin_api.h"
#include "admin/admin_directive_routes.h"
#include "admin/admin_retention_runner.h"
#include "admin/admin_routes.h"
#include "admin/admin_sync_runner.h"
#include "admin/admin_tokens.h"
#include "common/crypto.h"
#include "common/time.h"
#include "config/secrets.h"
#include "directives/account_deletion.h"
#include "directives/directive_service.h"
#include "directives/retention_engine.h"
#include "http/client.h"
#include "http/server.h"
#include "identity/minimizer.h"
#include "jose/remote_jwks.h"
#include "logging/plugin_logger.h"
#include "logging/redactor.h"
#include "metrics/metrics.h"
#include "plugins/plugin_host.h"
#include "session/access_tokens.h"
#include "session/forward_auth.h"
#include "session/login_state.h"
#include "session/return_urls.h"
#include "session/revocation.h"
#include "session/session_cache.h"
#include "session/session_service.h"
#include "session/token_endpoints.h"
#include "signals/signal_service.h"
#include "signin/connection.h"
#include "signin/sign_in_service.h"
#include "store/audit_log.h"
#include "store/directive_store.h"
#include "store/roster_store.h"
#include "store/sqlite/sqlite_account_store.h"
#include "sync/run_report.h"
#include "sync/sync_engine.h"
#include "sync/sync_metrics.h"
#include "sync/sync_scheduler.h"

namespace lmsgw::app {
namespace {

// How often the database is probed for /readyz and for revocations other processes recorded
// (so a revocation reaches every replica within a second), and how many probes between purges
// of expired sessions (which also checkpoint the write-ahead log).
constexpr auto kProbeInterval = std::chrono::seconds(1);
constexpr int kProbesPerPurge = 60;
// Remembered used sign-in states; past this, the oldest are forgotten first (they are close
// to expiry, and the provider's single-use codes still stop a replay).
constexpr std::size_t kUsedLoginStatesCapacity = 100'000;
constexpr std::size_t kMinLoginStateKeyBytes = 32;

StartupError config_error(std::string message) {
  return StartupError{kExitConfigInvalid, std::move(message)};
}

}  // namespace

// A configured roster-sync connection with the plugin instance serving it.
struct SyncConnection {
  const config::SyncConnectionConfig* config = nullptr;
  // Declared before `plugin` so that it is destroyed after it.
  std::unique_ptr<signin::ConnectionContext> context;
  std::shared_ptr<sdk::SyncPlugin> plugin;
};

// Members are declared in the order they are built and torn down in reverse: the server
// stops first, and every object outlives whatever refers to it.
struct Gateway::Parts {
  config::GatewayConfig config;
  time::SystemClock clock;
  std::shared_ptr<logging::Redactor> redactor = std::make_shared<logging::Redactor>();
  std::unique_ptr<config::SecretResolver> secrets;
  std::optional<plugins::PluginHost> plugin_host;
  std::unique_ptr<http::Client> http_client;
  std::unique_ptr<jose::RemoteJwksVerifier> provider_tokens;
  signin::CoreCrypto plugin_crypto;
  std::unique_ptr<store::AccountStore> store;
  std::unique_ptr<store::AuditLog> audit;
  std::optional<identity::Minimizer> minimizer;
  session::RevocationEpochs revocation_epochs;
  session::SessionCache session_cache;
  std::unique_ptr<session::SessionService> sessions;
  std::unique_ptr<session::RevocationService> revocations;
  std::map<std::string, sdk::Secret> introspection_clients;
  std::unique_ptr<session::KeyRing> key_ring;
  std::unique_ptr<session::AccessTokens> access_tokens;
  std::unique_ptr<session::TokenEndpoints> token_endpoints;
  std::optional<session::LoginStateSealer> login_states;
  session::UsedLoginStates used_login_states{kUsedLoginStatesCapacity};
  std::unique_ptr<session::ReturnUrlPolicy> return_urls;
  signin::Connections connections;
  std::set<std::string, std::less<>> unavailable_connections;
  std::vector<SyncConnection> sync_connections;
  std::unique_ptr<store::RosterStore> roster;
  sync::SyncMetrics sync_metrics;
  std::unique_ptr<sync::SyncEngine> sync_engine;
  // District directives (docs/directives.md). One connection serves the admin API, the
  // provider signals and the retention engine: the store serializes its callers, each call one
  // transaction at most (a disposal batch holds it for one batch).
  std::unique_ptr<store::DirectiveStore> directive_store;
  std::unique_ptr<directives::DirectiveService> directive_service;
  // The one account deletion: teachers' and guardians' requests (admin API) and providers'
  // data-deletion signals.
  std::unique_ptr<directives::AccountDeleter> account_deleter;
  // Only with the tokens section: certificates are signed with its key.
  std::unique_ptr<directives::KeyRingSigner> certificate_signer;
  std::unique_ptr<directives::RetentionEngine> retention;
  // The admin API (docs/admin-api.md): after the sync engine and the retention engine its
  // runners use, before the server whose routes call it.
  std::unique_ptr<admin::AdminTokenStore> admin_token_store;
  std::unique_ptr<admin::AdminTokens> admin_tokens;
  std::unique_ptr<admin::AdminSyncRunner> admin_sync_runner;
  std::unique_ptr<admin::AdminRetentionRunner> admin_retention_runner;
  std::unique_ptr<admin::AdminApi> admin_api;
  std::unique_ptr<admin::AdminDirectiveRoutes> admin_directive_routes;
  std::unique_ptr<admin::AdminRouter> admin_router;
  std::atomic<bool> store_ready{true};
  http::Router router;
  std::unique_ptr<metrics::Registry> metrics;
  std::unique_ptr<signin::SignInService> sign_in;
  std::unique_ptr<session::ForwardAuth> forward_auth;
  std::unique_ptr<http::HttpServer> server;
  std::unique_ptr<sync::SyncScheduler> sync_scheduler;
  std::unique_ptr<directives::RetentionScheduler> retention_scheduler;
  // Provider signals: the data-deletion signal deletes through the one account deletion.
  std::unique_ptr<signals::SignalStore> signal_store;
  signals::SignalMetrics signal_metrics;
  std::unique_ptr<signals::SignalService> signal_service;

  std::mutex housekeeping_mutex;
  std::condition_variable housekeeping_wake;
  bool stopping = false;
  std::thread housekeeping;

  // Everything start-up checks before touching the store or the network: secrets, plugins,
  // the HTTP client's trust store, and each connection's plugin configuration.
  std::optional<StartupError> prepare();
  std::optional<StartupError> build_connections();
  std::optional<StartupError> build_sync_connections();
  // Opens the store and the services every runtime needs (sessions, revocations, sync).
  std::optional<StartupError> open_store();
  std::optional<StartupError> make_login_state_sealer();
  // The admin router with the admin API's routes; other modules add theirs before add_routes().
  std::optional<StartupError> build_admin();
  void add_routes();
  void run_housekeeping();
  // The directive store and services, and the retention engine (docs/directives.md): after
  // the key ring, since certificates are signed with the token key; without a tokens section
  // there is no engine.
  std::optional<StartupError> build_directives();
  // The retention schedule, when the engine exists and `retention.interval` is not manual.
  void start_retention();
};

std::optional<StartupError> Gateway::Parts::build_directives() {
  auto opened = store::open_sqlite_directive_store(config.store.sqlite_path);
  if (!opened) return StartupError{kExitRuntimeFailure, opened.error().detail};
  directive_store = std::move(*opened);
  directive_service =
      std::make_unique<directives::DirectiveService>(*directive_store, *audit, clock);
  account_deleter =
      std::make_unique<directives::AccountDeleter>(*directive_store, *revocations, *audit, clock);
  if (!key_ring) return std::nullopt;
  certificate_signer = std::make_unique<directives::KeyRingSigner>(*key_ring);
  retention = std::make_unique<directives::RetentionEngine>(
      *directive_store, *store, *revocations, *audit, *certificate_signer,
      directives::retention_settings(config.retention), clock);
  return std::nullopt;
}

void Gateway::Parts::start_retention() {
  if (!config.retention.interval) return;
  if (!retention) {
    spdlog::warn(
        "retention: no scheduled disposal: certificates need the tokens section's "
        "signing key (lmsgwctl retention run needs it too)");
    return;
  }
  retention_scheduler = std::make_unique<directives::RetentionScheduler>(
      *retention, *config.retention.interval, clock);
  retention_scheduler->start();
}

std::optional<StartupError> Gateway::Parts::build_connections() {
  for (const auto& [id, connection_config] : config.connections) {
    const auto& refused = plugin_host->refused();
    if (std::any_of(refused.begin(), refused.end(), [&](const plugins::RefusedPlugin& plugin) {
          return plugin.name == connection_config.plugin;
        })) {
      // Only optional plugins get here (a refused required one already stopped start-up).
      spdlog::warn("connection {} is unavailable: its optional plugin {} was refused", id,
                   connection_config.plugin);
      unavailable_connections.insert(id);
      continue;
    }
    signin::Connection connection;
    connection.config = connection_config;
    connection.redirect_uri = config.server.public_url + "/callback/" + id;
    connection.context = std::make_unique<signin::ConnectionContext>(
        id, connection_config.plugin_config,
        signin::SharedServices{*http_client, clock, *secrets, *provider_tokens, plugin_crypto},
        std::make_unique<logging::PluginLogger>(id, redactor));
    auto plugin = plugin_host->create_auth(connection_config.plugin, *connection.context);
    if (!plugin) {
      const sdk::Error& error = plugin.error();
      // The plugin's own config errors already carry `file:line: key`.
      if (error.code == sdk::ErrorCode::config_invalid &&
          error.detail.find(':') != std::string::npos) {
        return config_error(error.detail);
      }
      return config_error(connection_config.node
                              .error("plugin '" + connection_config.plugin +
                                     "' refused the connection: " + error.detail)
                              .detail);
    }
    connection.plugin = std::move(*plugin);
    if (connection_config.allow_provider_initiated &&
        !connection.plugin->supports_provider_initiated()) {
      const sdk::ConfigNode* flag = connection_config.node.find("allow_provider_initiated");
      return config_error((flag != nullptr ? *flag : connection_config.node)
                              .error("plugin '" + connection_config.plugin +
                                     "' cannot complete provider-initiated sign-in")
                              .detail);
    }
    connections.emplace(id, std::move(connection));
  }
  return std::nullopt;
}

std::optional<StartupError> Gateway::Parts::build_sync_connections() {
  for (const auto& [id, connection_config] : config.sync) {
    const auto& refused = plugin_host->refused();
    if (std::any_of(refused.begin(), refused.end(), [&](const plugins::RefusedPlugin& plugin) {
          return plugin.name == connection_config.plugin;
        })) {
      spdlog::warn("sync connection {} is unavailable: its optional plugin {} was refused", id,
                   connection_config.plugin);
      continue;
    }
    SyncConnection connection;
    connection.config = &connection_config;
    connection.context = std::make_unique<signin::ConnectionContext>(
        id, connection_config.plugin_config,
        signin::SharedServices{*http_client, clock, *secrets, *provider_tokens, plugin_crypto},
        std::make_unique<logging::PluginLogger>(id, redactor));
    auto plugin = plugin_host->create_sync(connection_config.plugin, *connection.context);
    if (!plugin) {
      const sdk::Error& error = plugin.error();
      if (error.code == sdk::ErrorCode::config_invalid &&
          error.detail.find(':') != std::string::npos) {
        return config_error(error.detail);
      }
      return config_error(connection_config.node
                              .error("plugin '" + connection_config.plugin +
                                     "' refused the sync connection: " + error.detail)
                              .detail);
    }
    connection.plugin = std::move(*plugin);
    sync_connections.push_back(std::move(connection));
  }
  return std::nullopt;
}

std::optional<StartupError> Gateway::Parts::open_store() {
  auto opened = store::open_sqlite_store({.path = config.store.sqlite_path});
  if (!opened) return StartupError{kExitRuntimeFailure, opened.error().detail};
  store = std::move(*opened);
  for (const auto& [district_id, district] : config.districts) {
    if (auto ensured = store->ensure_district(district_id, clock.now()); !ensured) {
      return StartupError{kExitRuntimeFailure, ensured.error().detail};
    }
  }
  auto opened_audit = store::open_sqlite_audit_log(config.store.sqlite_path);
  if (!opened_audit) return StartupError{kExitRuntimeFailure, opened_audit.error().detail};
  audit = std::move(*opened_audit);
  sessions = std::make_unique<session::SessionService>(*store, session_cache, revocation_epochs,
                                                       clock, config.session.lifetime);
  revocations =
      std::make_unique<session::RevocationService>(*store, *audit, revocation_epochs, clock);
  if (auto applied = revocations->catch_up(); !applied) {
    return StartupError{kExitRuntimeFailure, applied.error().detail};
  }
  if (!sync_connections.empty()) {
    auto opened_roster = store::open_sqlite_roster_store({.path = config.store.sqlite_path});
    if (!opened_roster) return StartupError{kExitRuntimeFailure, opened_roster.error().detail};
    roster = std::move(*opened_roster);
    std::shared_ptr<const logging::Redactor> masks = redactor;
    sync_engine = std::make_unique<sync::SyncEngine>(sync::SyncEngineDependencies{
        *roster, *minimizer, *revocations, *audit, config.districts, clock, sync_metrics,
        config.store.sqlite_path,
        [masks](std::string_view text) { return masks->redact_detail(text); }});
  }
  return std::nullopt;
}

std::optional<StartupError> Gateway::Parts::build_admin() {
  auto opened = admin::open_sqlite_admin_token_store(config.store.sqlite_path);
  if (!opened) return StartupError{kExitRuntimeFailure, opened.error().detail};
  admin_token_store = std::move(*opened);
  admin_tokens = std::make_unique<admin::AdminTokens>(*admin_token_store, clock);
  std::set<std::string, std::less<>> district_ids;
  for (const auto& [id, district] : config.districts) district_ids.insert(id);
  admin_router = std::make_unique<admin::AdminRouter>(*admin_tokens, std::move(district_ids));
  if (sync_engine) {
    std::vector<sync::ScheduledConnection> runnable;
    for (const SyncConnection& connection : sync_connections) {
      runnable.push_back({connection.config, connection.plugin});
    }
    admin_sync_runner = std::make_unique<admin::AdminSyncRunner>(*sync_engine, std::move(runnable),
                                                                 config.store.sqlite_path);
  }
  if (retention) {
    admin_retention_runner = std::make_unique<admin::AdminRetentionRunner>(*retention, clock);
  }
  admin_api = std::make_unique<admin::AdminApi>(
      admin::AdminApiDependencies{*store, *revocations, *audit, *account_deleter, roster.get(),
                                  admin_sync_runner.get(), clock});
  admin_api->add_routes(*admin_router);
  admin_directive_routes =
      std::make_unique<admin::AdminDirectiveRoutes>(admin::AdminDirectiveDependencies{
          *directive_service, *directive_store, *audit, admin_retention_runner.get(), clock});
  admin_directive_routes->add_routes(*admin_router);
  return std::nullopt;
}

void Gateway::Parts::add_routes() {
  using http::Dispatch;
  using http::Method;
  router.add({Method::get, Method::head}, "/healthz",
             [](const http::Request&) { return http::Response::text(200, "ok\n"); });
  router.add({Method::get, Method::head}, "/readyz", [this](const http::Request&) {
    // Memory only, on the I/O thread: a slow provider filling the worker pool must not make a
    // load balancer drop the gateway. The housekeeping thread keeps the flag current.
    return store_ready.load(std::memory_order_relaxed)
               ? http::Response::text(200, "ready\n")
               : http::Response::text(503, "store unavailable\n");
  });
  router.add({Method::get}, "/metrics", [this](const http::Request&) {
    return http::Response{
        200, "text/plain; version=0.0.4; charset=utf-8", {}, metrics->render(), nullptr, {}};
  });
  // Every method and any path below: Envoy's ext_authz sends the original method with the
  // original path appended; nginx and Traefik send GET.
  const std::vector<Method> any_method{Method::get,     Method::head,  Method::post,
                                       Method::put,     Method::patch, Method::delete_,
                                       Method::options, Method::other};
  for (const char* pattern : {"/auth/check", "/auth/check/{original_path...}"}) {
    router.add(any_method, pattern,
               [this](const http::Request& r) { return forward_auth->check(r); });
  }
  router.add(
      {Method::get, Method::post}, "/login/{connection}",
      [this](const http::Request& r) { return sign_in->login(r); }, Dispatch::worker);
  router.add(
      {Method::get, Method::post}, "/callback/{connection}",
      [this](const http::Request& r) { return sign_in->callback(r); }, Dispatch::worker);
  router.add(
      {Method::post}, "/logout", [this](const http::Request& r) { return sign_in->logout(r); },
      Dispatch::worker);
  // Provider signals (docs/signals.md): they reach the database and the providers' keys, so
  // workers serve them.
  for (const char* pattern : {"/webhooks/{connection}", "/webhooks/{connection}/{channel}"}) {
    router.add(
        {Method::post}, pattern,
        [this](const http::Request& r) { return signal_service->webhook(r); }, Dispatch::worker);
  }
  router.add(
      {Method::get}, "/deletion-status/{code}",
      [this](const http::Request& r) { return signal_service->deletion_status(r); },
      Dispatch::worker);
  if (config.tokens) {
    router.add({Method::get}, "/.well-known/openid-configuration",
               [this](const http::Request& r) { return token_endpoints->discovery(r); });
    router.add({Method::get}, "/.well-known/jwks.json",
               [this](const http::Request& r) { return token_endpoints->jwks(r); });
    // Minting and verifying are a few tens of microseconds of CPU: fine on the I/O thread.
    router.add({Method::post}, "/auth/token",
               [this](const http::Request& r) { return token_endpoints->token(r); });
    router.add({Method::post}, "/oauth/introspect",
               [this](const http::Request& r) { return token_endpoints->introspect(r); });
  }
  // Last: its catch-all answers every other path under /admin, after authentication.
  admin_router->install(router);
}

void Gateway::Parts::run_housekeeping() {
  std::unique_lock lock(housekeeping_mutex);
  for (int probe = 1;
       !housekeeping_wake.wait_for(lock, kProbeInterval, [this] { return stopping; }); ++probe) {
    lock.unlock();
    const bool ready = store->schema_version().ok();
    if (ready != store_ready.exchange(ready)) {
      spdlog::warn("store is {}", ready ? "reachable again" : "unreachable: /readyz answers 503");
    }
    // Revocations other processes recorded (lmsgwctl, other replicas) apply within a probe.
    if (ready) {
      if (auto applied = revocations->catch_up(); !applied) {
        spdlog::warn("housekeeping: reading revocations failed: {}",
                     redactor->redact_detail(applied.error().detail));
      }
    }
    if (key_ring) {
      // Picks up a rotation another process made and stops publishing keys whose tokens have
      // all expired.
      if (auto refreshed = key_ring->refresh(clock.now()); !refreshed) {
        spdlog::warn("housekeeping: reading signing keys failed: {}",
                     redactor->redact_detail(refreshed.error().detail));
      }
    }
    if (ready && probe % kProbesPerPurge == 0) {
      const auto now = clock.now();
      session_cache.purge(now);
      if (access_tokens) access_tokens->purge(now);
      if (auto purged = store->delete_expired_sessions(now); !purged) {
        spdlog::warn("housekeeping: deleting expired sessions failed: {}",
                     redactor->redact_detail(purged.error().detail));
      }
      // Values that were replaced or deleted must not linger in the write-ahead log.
      if (auto checkpoint = store->checkpoint(); !checkpoint) {
        spdlog::warn("housekeeping: checkpoint failed: {}",
                     redactor->redact_detail(checkpoint.error().detail));
      }
    }
    lock.lock();
  }
}

Gateway::Gateway(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Gateway::~Gateway() {
  if (!parts_) return;
  // A run under way ends at its next batch boundary; the next start resumes it.
  if (parts_->sync_scheduler) parts_->sync_scheduler->stop();
  if (parts_->admin_sync_runner) parts_->admin_sync_runner->stop();
  if (parts_->admin_retention_runner) parts_->admin_retention_runner->stop();
  // A disposal under way ends at its next batch boundary; the next start resumes it.
  if (parts_->retention_scheduler) parts_->retention_scheduler->stop();
  {
    std::lock_guard lock(parts_->housekeeping_mutex);
    parts_->stopping = true;
  }
  parts_->housekeeping_wake.notify_all();
  if (parts_->housekeeping.joinable()) parts_->housekeeping.join();
}

std::optional<StartupError> Gateway::Parts::prepare() {
  secrets = std::make_unique<config::SecretResolver>(config.directory);
  auto pepper = secrets->resolve(config.pepper_ref);
  if (!pepper) return config_error(pepper.error().detail);
  auto created = identity::Minimizer::create(std::move(*pepper));
  if (!created) return config_error(config.pepper_ref.error(created.error().detail).detail);
  minimizer.emplace(std::move(*created));

  plugin_host.emplace(plugins::PluginHost::load(config.plugins));
  if (plugin_host->required_refused()) {
    std::string message = "a required plugin was refused:";
    for (const auto& refused : plugin_host->refused()) {
      if (refused.required) message += "\n  " + refused.message();
    }
    return StartupError{kExitPluginRefused, message};
  }

  if (auto failure = make_login_state_sealer()) return failure;
  if (config.tokens) {
    for (const auto& [client_id, reference] : config.tokens->introspection_clients) {
      auto secret = secrets->resolve(reference);
      if (!secret) return config_error(secret.error().detail);
      introspection_clients.emplace(client_id, std::move(*secret));
    }
  }

  auto client = http::Client::create(config.http_client);
  if (!client) return config_error(client.error().detail);
  http_client = std::move(*client);
  provider_tokens = std::make_unique<jose::RemoteJwksVerifier>(*http_client, clock);

  if (auto failure = build_connections()) return failure;
  if (auto failure = build_sync_connections()) return failure;
  // Every secret resolved so far (the pepper, the plugins' client secrets) is masked in logs.
  for (const std::string& value : secrets->resolved_values()) redactor->add_secret(value);
  return std::nullopt;
}

std::optional<StartupError> Gateway::Parts::make_login_state_sealer() {
  if (!config.login_state_key_ref) {
    // One process on its own: a fresh key each start is enough, and a stolen cookie dies
    // with the process.
    login_states.emplace(crypto::random_token(32));
    return std::nullopt;
  }
  auto key = secrets->resolve(*config.login_state_key_ref);
  if (!key) return config_error(key.error().detail);
  if (key->reveal().size() < kMinLoginStateKeyBytes) {
    return config_error(config.login_state_key_ref->error("must be at least 32 bytes").detail);
  }
  login_states.emplace(key->reveal());
  return std::nullopt;
}

std::optional<StartupError> Gateway::validate(config::GatewayConfig config) {
  Parts parts;
  parts.config = std::move(config);
  return parts.prepare();
}

std::variant<std::unique_ptr<Gateway>, StartupError> Gateway::start(config::GatewayConfig config) {
  auto parts = std::make_unique<Parts>();
  Parts& p = *parts;
  p.config = std::move(config);
  const config::GatewayConfig& cfg = p.config;
  if (auto failure = p.prepare()) return *failure;

  if (auto failure = p.open_store()) return *failure;
  auto loaded = p.sessions->load_from_store();
  if (!loaded) return StartupError{kExitRuntimeFailure, loaded.error().detail};
  p.return_urls = std::make_unique<session::ReturnUrlPolicy>(cfg.session.return_url_prefixes,
                                                             cfg.session.default_return_url);

  if (cfg.tokens) {
    auto ring = session::KeyRing::open(session::KeyDirectory(cfg.tokens->keys_directory),
                                       session::signing_algorithm(*cfg.tokens),
                                       cfg.tokens->lifetime, p.clock.now());
    if (!ring) return StartupError{kExitRuntimeFailure, ring.error().detail};
    p.key_ring = std::move(*ring);
    p.access_tokens = std::make_unique<session::AccessTokens>(*cfg.tokens, *p.key_ring, p.clock);
    p.token_endpoints = std::make_unique<session::TokenEndpoints>(
        *p.access_tokens, *p.key_ring, *p.sessions, cfg.session.cookie_name, cfg.server.public_url,
        std::move(p.introspection_clients), p.clock);
  }
  if (auto failure = p.build_directives()) return *failure;
  if (auto failure = p.build_admin()) return *failure;
  p.add_routes();
  p.metrics = std::make_unique<metrics::Registry>(p.router.route_names());
  p.admin_router->register_metrics(*p.metrics);
  p.metrics->add_gauge("lmsgw_sessions_live", "Sessions held in memory.",
                       [&p] { return static_cast<double>(p.session_cache.size()); });
  if (!p.sync_connections.empty()) p.sync_metrics.register_with(*p.metrics);
  p.signal_metrics.register_with(*p.metrics);

  std::shared_ptr<const logging::Redactor> redactor = p.redactor;
  const auto redact_detail = [redactor](std::string_view text) {
    return redactor->redact_detail(text);
  };
  p.sign_in = std::make_unique<signin::SignInService>(
      signin::SignInDependencies{p.connections, p.unavailable_connections, cfg.districts,
                                 *p.minimizer, *p.store, *p.sessions, *p.login_states,
                                 p.used_login_states, *p.return_urls, *p.metrics, p.clock,
                                 redact_detail},
      signin::SignInSettings{cfg.session.cookie_name, cfg.session.cookie_secure,
                             cfg.session.login_timeout});
  // Whatever a route calls exists before the server binds and the background threads start: a
  // start-up failure after that would leave threads running.
  auto signal_store = signals::open_sqlite_signal_store({.path = cfg.store.sqlite_path});
  if (!signal_store) return StartupError{kExitRuntimeFailure, signal_store.error().detail};
  p.signal_store = std::move(*signal_store);
  p.signal_service = std::make_unique<signals::SignalService>(
      signals::SignalDependencies{p.connections, *p.minimizer, *p.store, *p.signal_store,
                                  *p.revocations, *p.account_deleter, *p.audit, p.signal_metrics,
                                  p.clock, redact_detail},
      cfg.server.public_url);
  p.forward_auth = std::make_unique<session::ForwardAuth>(*p.sessions, p.access_tokens.get(),
                                                          cfg.session.cookie_name, p.clock);

  metrics::Registry* registry = p.metrics.get();
  p.server = std::make_unique<http::HttpServer>(
      cfg.server.options, p.router,
      [registry](std::uint32_t route, int status, std::chrono::nanoseconds elapsed) {
        registry->record_request(route, status, elapsed);
      });
  if (auto bound = p.server->bind(); !bound) {
    return StartupError{kExitRuntimeFailure, bound.error().detail};
  }
  http::HttpServer* server = p.server.get();
  p.metrics->add_gauge("lmsgw_http_open_connections", "Open client connections.",
                       [server] { return static_cast<double>(server->open_connections()); });
  p.housekeeping = std::thread([&p] { p.run_housekeeping(); });
  if (p.sync_engine) {
    std::vector<sync::ScheduledConnection> scheduled;
    for (const SyncConnection& connection : p.sync_connections) {
      scheduled.push_back({connection.config, connection.plugin});
    }
    p.sync_scheduler = std::make_unique<sync::SyncScheduler>(*p.sync_engine, *p.roster, p.clock,
                                                             std::move(scheduled));
    p.sync_scheduler->start();
  }
  p.start_retention();

  spdlog::info(
      "lms-gateway listening on {}:{} ({} connection(s), {} live session(s), {} plugin(s))",
      cfg.server.options.listen_host, p.server->port(), p.connections.size(), *loaded,
      p.plugin_host->loaded().size());
  return std::unique_ptr<Gateway>(new Gateway(std::move(parts)));
}

int Gateway::run_sync(config::GatewayConfig config, const std::string& district, bool full,
                      std::ostream& out, std::ostream& err) {
  Parts parts;
  parts.config = std::move(config);
  if (auto failure = parts.prepare()) {
    err << "lmsgwctl: " << failure->message << "\n";
    return failure->exit_code;
  }
  std::vector<const SyncConnection*> chosen;
  for (const SyncConnection& connection : parts.sync_connections) {
    const auto districts = sync::connection_districts(*connection.config);
    if (std::find(districts.begin(), districts.end(), district) != districts.end()) {
      chosen.push_back(&connection);
    }
  }
  if (chosen.empty()) {
    err << "lmsgwctl: no available sync connection writes to district '" << district << "'\n";
    return kExitConfigInvalid;
  }
  if (auto failure = parts.open_store()) {
    err << "lmsgwctl: " << failure->message << "\n";
    return failure->exit_code;
  }
  int code = kExitOk;
  for (const SyncConnection* connection : chosen) {
    sync::RunRequest request;
    request.trigger = store::SyncTrigger::manual;
    request.full = full;
    auto run = parts.sync_engine->run(*connection->config, *connection->plugin, request);
    if (!run) {
      err << "lmsgwctl: sync " << connection->config->id << ": " << run.error().detail << "\n";
      code = kExitRuntimeFailure;
      continue;
    }
    out << sync::describe_run(*run);
    if (run->outcome != store::SyncOutcome::succeeded) code = kExitRuntimeFailure;
  }
  return code;
}

void Gateway::run() {
  parts_->server->run(true);
  spdlog::info("lms-gateway stopped");
}

void Gateway::stop() noexcept { parts_->server->stop(); }

std::uint16_t Gateway::port() const noexcept { return parts_->server->port(); }

}  // namespace lmsgw::app
