#include "signin/sign_in_service.h"

#include <spdlog/spdlog.h>

#include "common/crypto.h"
#include "common/time.h"
#include "session/cookies.h"
#include "signin/pages.h"

namespace lmsgw::signin {
namespace {

constexpr std::size_t kRandomBytes = 32;
constexpr std::size_t kMaxFlowDataBytes = 4096;
constexpr std::string_view kReturnToParameter = "return_to";

using Params = std::map<std::string, std::string>;

// Query parameters for GET, form fields for a form POST. Repeated names keep the first value:
// a provider never repeats them, and an attacker must not choose which one we read.
std::optional<Params> request_params(const http::Request& request) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string_view encoded = request.query;
  if (request.method == http::Method::post) {
    if (!request.header("Content-Type").starts_with("application/x-www-form-urlencoded")) {
      return std::nullopt;
    }
    encoded = request.body;
  }
  if (!http::parse_form(encoded, pairs)) return std::nullopt;
  Params params;
  for (auto& [name, value] : pairs) params.emplace(std::move(name), std::move(value));
  return params;
}

std::string take_param(Params& params, std::string_view name) {
  auto it = params.find(std::string(name));
  if (it == params.end()) return {};
  std::string value = std::move(it->second);
  params.erase(it);
  return value;
}

std::string pkce_challenge(std::string_view verifier) {
  return crypto::base64url_encode(crypto::sha256(verifier));
}

}  // namespace

SignInService::SignInService(SignInDependencies dependencies, SignInSettings settings)
    : deps_(std::move(dependencies)),
      settings_(std::move(settings)),
      binding_cookie_name_(settings_.session_cookie_name + "_login") {}

http::Response SignInService::fail(std::string_view connection_label, Outcome outcome,
                                   std::string_view detail) const {
  deps_.metrics.record_sign_in(connection_label, to_string(outcome));
  spdlog::warn("sign-in failed: connection={} outcome={} detail={}", connection_label,
               to_string(outcome), deps_.redact(detail));
  return error_page(outcome, deps_.return_urls.default_url());
}

const Connection* SignInService::connection_for(const http::Request& request) const {
  auto found = deps_.connections.find(request.route_param("connection"));
  return found == deps_.connections.end() ? nullptr : &found->second;
}

http::Response SignInService::login(const http::Request& request) const {
  const Connection* found = connection_for(request);
  if (found == nullptr) return fail("unknown", Outcome::unknown_connection, "no such connection");
  const Connection& connection = *found;
  const std::string& label = connection.config.id;

  auto params = request_params(request);
  if (!params) return fail(label, Outcome::invalid_request, "login parameters malformed");
  auto return_url = deps_.return_urls.resolve(take_param(*params, kReturnToParameter));
  if (!return_url) return fail(label, Outcome::return_url_not_allowed, "return_to refused");

  sdk::LoginRequest login;
  login.redirect_uri = connection.redirect_uri;
  login.state = crypto::random_token(kRandomBytes);
  login.nonce = crypto::random_token(kRandomBytes);
  const std::string code_verifier = crypto::random_token(kRandomBytes);
  login.code_challenge = pkce_challenge(code_verifier);
  login.params = std::move(*params);

  auto redirect = connection.plugin->begin(login);
  if (!redirect) {
    return fail(label, outcome_of(redirect.error().code), redirect.error().detail);
  }
  if (redirect->flow_data.size() > kMaxFlowDataBytes) {
    return fail(label, Outcome::internal, "plugin flow data exceeds 4 KiB");
  }

  // One binding cookie per browser serves every sign-in it starts, so parallel tabs work.
  std::string binding(request.cookie(binding_cookie_name_));
  if (!session::SessionService::well_formed(binding)) binding = crypto::random_token(kRandomBytes);

  const session::TimePoint now = deps_.clock.now();
  session::PendingLogin pending{connection.config.id,
                                crypto::sha256(binding),
                                login.nonce,
                                code_verifier,
                                std::move(redirect->flow_data),
                                std::move(*return_url),
                                now + settings_.login_timeout};
  if (!deps_.pending_logins.put(login.state, std::move(pending), now)) {
    return fail(label, Outcome::too_many_pending_logins, "pending login capacity reached");
  }

  session::CookieOptions cookie{settings_.cookie_secure, session::SameSite::lax, "/",
                                settings_.login_timeout};
  http::Response response = http::Response::redirect(redirect->url);
  response.headers.emplace_back("Set-Cookie",
                                session::make_set_cookie(binding_cookie_name_, binding, cookie));
  add_page_security_headers(response);
  return response;
}

http::Response SignInService::callback(const http::Request& request) const {
  const Connection* found = connection_for(request);
  if (found == nullptr) return fail("unknown", Outcome::unknown_connection, "no such connection");
  const Connection& connection = *found;
  const std::string& label = connection.config.id;

  auto params = request_params(request);
  if (!params) return fail(label, Outcome::invalid_request, "callback parameters malformed");
  const std::string state = take_param(*params, "state");

  sdk::CallbackRequest callback;
  callback.redirect_uri = connection.redirect_uri;
  std::string return_url;
  if (!state.empty()) {
    auto pending = deps_.pending_logins.take(state, deps_.clock.now());
    if (!pending || pending->connection_id != connection.config.id) {
      return fail(label, Outcome::state_unknown, "state unknown, expired or already used");
    }
    const std::string_view binding = request.cookie(binding_cookie_name_);
    if (!crypto::constant_time_equal(crypto::sha256(binding), pending->browser_binding_hash)) {
      return fail(label, Outcome::state_browser_mismatch, "state bound to another browser");
    }
    callback.login = sdk::StartedLogin{std::move(pending->nonce), std::move(pending->code_verifier),
                                       std::move(pending->flow_data)};
    return_url = std::move(pending->return_url);
  } else {
    // A provider-initiated sign-in (Clever Instant Login) has no state we issued. It is let
    // through only where the district's connection allows it; see docs/architecture.md for
    // how the login-CSRF risk is contained. The return URL is never taken from the request.
    if (!connection.config.allow_provider_initiated) {
      return fail(label, Outcome::state_missing, "callback without state");
    }
    return_url = deps_.return_urls.default_url();
  }
  callback.params = std::move(*params);

  auto identity = connection.plugin->complete(callback);
  if (!identity) {
    return fail(label, outcome_of(identity.error().code), identity.error().detail);
  }
  return finish(connection, *identity, return_url, request);
}

std::optional<std::string> SignInService::resolve_district(
    const Connection& connection, const sdk::ExternalIdentity& identity) const {
  if (connection.config.district) return connection.config.district;
  if (!identity.provider_district) return std::nullopt;
  auto mapped = connection.config.provider_districts.find(*identity.provider_district);
  if (mapped == connection.config.provider_districts.end()) return std::nullopt;
  return mapped->second;
}

http::Response SignInService::finish(const Connection& connection,
                                     const sdk::ExternalIdentity& identity,
                                     const std::string& return_url,
                                     const http::Request& request) const {
  const std::string& label = connection.config.id;
  std::optional<std::string> district = resolve_district(connection, identity);
  const bool district_required = !connection.config.provider_districts.empty();
  if (district_required && !district) {
    return fail(label, Outcome::district_not_connected, "provider district not mapped");
  }

  identity::NamePolicy names;
  if (district) {
    auto configured = deps_.districts.find(*district);
    if (configured != deps_.districts.end()) names = configured->second.names;
  }
  const session::TimePoint now = deps_.clock.now();
  auto minimized = deps_.minimizer.minimize(identity, connection.config.identity_namespace,
                                            district, names, time::civil_date_utc(now));
  if (!minimized) return fail(label, outcome_of(minimized.error().code), minimized.error().detail);

  auto account = deps_.store.upsert_from_sign_in(*minimized, connection.config.id, now);
  if (!account) return fail(label, Outcome::internal, account.error().detail);

  // A sign-in always gets a fresh session; whatever session this browser had ends here.
  if (auto previous = request.cookie(settings_.session_cookie_name); !previous.empty()) {
    if (auto ended = deps_.sessions.end(previous); !ended) {
      return fail(label, Outcome::internal, ended.error().detail);
    }
  }
  auto session = deps_.sessions.start(*account);
  if (!session) return fail(label, Outcome::internal, session.error().detail);

  deps_.metrics.record_sign_in(label, to_string(Outcome::success));
  spdlog::info("sign-in succeeded: connection={} account={} district={}", label, account->id,
               district.value_or("-"));

  session::CookieOptions cookie{
      settings_.cookie_secure, session::SameSite::lax, "/",
      std::chrono::duration_cast<std::chrono::seconds>(session->expires_at - now)};
  http::Response response = http::Response::redirect(return_url);
  response.headers.emplace_back(
      "Set-Cookie", session::make_set_cookie(settings_.session_cookie_name, session->id, cookie));
  add_page_security_headers(response);
  return response;
}

http::Response SignInService::logout(const http::Request& request) const {
  auto params = request_params(request);
  std::optional<std::string> return_url = deps_.return_urls.default_url();
  if (params) return_url = deps_.return_urls.resolve(take_param(*params, kReturnToParameter));
  if (!return_url) return_url = deps_.return_urls.default_url();

  if (auto current = request.cookie(settings_.session_cookie_name); !current.empty()) {
    auto ended = deps_.sessions.end(current);
    if (!ended) {
      spdlog::error("logout failed: detail={}", deps_.redact(ended.error().detail));
      http::Response failure = http::Response::text(500, "logout failed\n");
      add_page_security_headers(failure);
      return failure;
    }
  }
  session::CookieOptions cookie{settings_.cookie_secure, session::SameSite::lax, "/", {}};
  http::Response response = http::Response::redirect(*return_url, 303);
  response.headers.emplace_back("Set-Cookie",
                                session::make_clear_cookie(settings_.session_cookie_name, cookie));
  add_page_security_headers(response);
  return response;
}

}  // namespace lmsgw::signin
