#include "signin/sign_in_service.h"

#include <spdlog/spdlog.h>

#include "common/crypto.h"
#include "common/time.h"
#include "session/cookies.h"
#include "signin/pages.h"

namespace lmsgw::signin {
namespace {

constexpr std::size_t kRandomBytes = 32;
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
      login_cookie_prefix_(settings_.session_cookie_name + "_login") {}

http::Response SignInService::fail(std::string_view connection_label, Outcome outcome,
                                   std::string_view detail) const {
  deps_.metrics.record_sign_in(connection_label, to_string(outcome));
  spdlog::warn("sign-in failed: connection={} outcome={} detail={}", connection_label,
               to_string(outcome), deps_.redact(detail));
  return error_page(outcome, deps_.return_urls.default_url());
}

const Connection* SignInService::connection_for(const http::Request& request,
                                                std::optional<http::Response>& failure) const {
  const std::string_view id = request.route_param("connection");
  auto found = deps_.connections.find(id);
  if (found != deps_.connections.end()) return &found->second;
  if (auto unavailable = deps_.unavailable_connections.find(id);
      unavailable != deps_.unavailable_connections.end()) {
    failure = fail(*unavailable, Outcome::connection_unavailable, "its plugin is not loaded");
  } else {
    failure = fail("unknown", Outcome::unknown_connection, "no such connection");
  }
  return nullptr;
}

http::Response SignInService::login(const http::Request& request) const {
  std::optional<http::Response> failure;
  const Connection* connection = connection_for(request, failure);
  if (connection == nullptr) return std::move(*failure);
  const std::string& label = connection->config.id;

  auto params = request_params(request);
  if (!params) return fail(label, Outcome::invalid_request, "login parameters malformed");
  const std::string return_to = take_param(*params, kReturnToParameter);

  sdk::LoginRequest login;
  login.redirect_uri = connection->redirect_uri;
  login.state = crypto::random_token(kRandomBytes);
  login.nonce = crypto::random_token(kRandomBytes);
  const std::string code_verifier = crypto::random_token(kRandomBytes);
  login.code_challenge = pkce_challenge(code_verifier);
  login.params = std::move(*params);

  auto redirect = connection->plugin->begin(login);
  if (!redirect) {
    return fail(label, outcome_of(redirect.error().code), redirect.error().detail);
  }
  if (redirect->flow_data.size() > session::LoginStateSealer::kMaxFlowDataBytes) {
    return fail(label, Outcome::internal, "plugin flow data exceeds 1 KiB");
  }
  // An explicit return_to wins; a provider's wish (LTI target_link_uri) comes next. Either must
  // fall under session.return_urls.
  auto return_url = deps_.return_urls.resolve(!return_to.empty() ? return_to : redirect->return_to);
  if (!return_url || return_url->size() > session::LoginStateSealer::kMaxReturnUrlBytes) {
    return fail(label, Outcome::return_url_not_allowed, "return URL refused");
  }

  const session::LoginState state{
      connection->config.id,  login.nonce,
      code_verifier,          std::move(redirect->flow_data),
      std::move(*return_url), deps_.clock.now() + settings_.login_timeout};
  const session::CookieOptions cookie = state_cookie_options(*connection, settings_.login_timeout);
  http::Response response = http::Response::redirect(redirect->url);
  response.headers.emplace_back(
      "Set-Cookie", session::make_set_cookie(
                        session::LoginStateSealer::cookie_name(login_cookie_prefix_, login.state),
                        deps_.login_states.seal(login.state, state), cookie));
  add_page_security_headers(response);
  return response;
}

http::Response SignInService::callback(const http::Request& request) const {
  std::optional<http::Response> failure;
  const Connection* connection = connection_for(request, failure);
  if (connection == nullptr) return std::move(*failure);
  const std::string& label = connection->config.id;

  auto params = request_params(request);
  if (!params) return fail(label, Outcome::invalid_request, "callback parameters malformed");
  const std::string state = take_param(*params, "state");

  sdk::CallbackRequest callback;
  callback.redirect_uri = connection->redirect_uri;
  std::string return_url;
  std::string spent_cookie;
  if (!state.empty()) {
    spent_cookie = session::LoginStateSealer::cookie_name(login_cookie_prefix_, state);
    // Only the browser that started this sign-in holds the cookie; only we can open it, and
    // only for this state. Whatever happens next, the browser drops it.
    const session::TimePoint now = deps_.clock.now();
    auto started = deps_.login_states.open(state, request.cookie(spent_cookie));
    Outcome refused = Outcome::success;
    if (!started) {
      refused = Outcome::state_unknown;
    } else if (started->expires_at <= now || started->connection_id != connection->config.id) {
      refused = Outcome::state_unknown;
    } else if (!deps_.used_login_states.mark_used(state, started->expires_at, now)) {
      refused = Outcome::state_replayed;
    }
    if (refused != Outcome::success) {
      http::Response page = fail(label, refused,
                                 "state not started by this browser, expired, "
                                 "for another connection or already used");
      page.headers.emplace_back(
          "Set-Cookie",
          session::make_clear_cookie(spent_cookie, state_cookie_options(*connection, {})));
      return page;
    }
    callback.login = sdk::StartedLogin{std::move(started->nonce), std::move(started->code_verifier),
                                       std::move(started->flow_data)};
    return_url = std::move(started->return_url);
  } else {
    // A provider-initiated sign-in (Clever Instant Login) has no state we issued. It is let
    // through only where the district's connection allows it; see docs/architecture.md for
    // how the login-CSRF risk is contained. The return URL is never taken from the request.
    if (!connection->config.allow_provider_initiated) {
      return fail(label, Outcome::state_missing, "callback without state");
    }
    return_url = deps_.return_urls.default_url();
  }
  callback.params = std::move(*params);

  auto identity = connection->plugin->complete(callback);
  http::Response response =
      identity ? finish(*connection, *identity, return_url, request)
               : fail(label, outcome_of(identity.error().code), identity.error().detail);
  if (!spent_cookie.empty()) {
    response.headers.emplace_back(
        "Set-Cookie",
        session::make_clear_cookie(spent_cookie, state_cookie_options(*connection, {})));
  }
  return response;
}

session::CookieOptions SignInService::state_cookie_options(const Connection& connection,
                                                           std::chrono::seconds max_age) const {
  session::CookieOptions options = cookie_options(max_age);
  // A cross-site form POST (LTI) carries only SameSite=None cookies, and browsers keep those
  // only when they are Secure. They accept Secure cookies from http on loopback too, so the
  // state cookie is Secure even where session.cookie_secure is off (the loopback demo).
  if (connection.plugin->callback_is_cross_site_post()) {
    options.same_site = session::SameSite::none;
    options.secure = true;
  }
  return options;
}

session::CookieOptions SignInService::cookie_options(std::chrono::seconds max_age) const {
  return session::CookieOptions{settings_.cookie_secure, session::SameSite::lax, "/", max_age};
}

sdk::Result<std::optional<std::string>> SignInService::resolve_district(
    const Connection& connection, const sdk::ExternalIdentity& identity) const {
  // A district the provider names must be one this connection maps: a provider shared by
  // many districts must never let another district's people in under ours, or with none.
  if (identity.provider_district) {
    auto mapped = connection.config.provider_districts.find(*identity.provider_district);
    if (mapped == connection.config.provider_districts.end()) {
      return sdk::Error{sdk::ErrorCode::not_permitted, "provider district not mapped"};
    }
    return std::optional<std::string>(mapped->second);
  }
  if (!connection.config.provider_districts.empty()) {
    return sdk::Error{sdk::ErrorCode::not_permitted, "identity names no provider district"};
  }
  return connection.config.district;
}

std::optional<Outcome> SignInService::refuse_withdrawn_district(
    const std::optional<std::string>& district) const {
  if (!district) return std::nullopt;
  auto withdrawal = deps_.store.district_withdrawal(*district);
  if (!withdrawal) return Outcome::internal;
  if (*withdrawal) return Outcome::district_revoked;
  return std::nullopt;
}

http::Response SignInService::finish(const Connection& connection,
                                     const sdk::ExternalIdentity& identity,
                                     const std::string& return_url,
                                     const http::Request& request) const {
  const std::string& label = connection.config.id;
  auto district = resolve_district(connection, identity);
  if (!district) return fail(label, Outcome::district_not_connected, district.error().detail);

  if (auto refused = refuse_withdrawn_district(*district)) return fail(label, *refused, "");

  identity::NamePolicy names;
  if (*district) {
    auto configured = deps_.districts.find(**district);
    if (configured != deps_.districts.end()) names = configured->second.names;
  }
  const session::TimePoint now = deps_.clock.now();
  auto minimized = deps_.minimizer.minimize(identity, connection.config.identity_namespace,
                                            *district, names, time::earliest_civil_date(now));
  if (!minimized) return fail(label, outcome_of(minimized.error().code), minimized.error().detail);

  auto account = deps_.store.upsert_from_sign_in(*minimized, connection.config.id, now);
  // not_permitted: the identity's provider disabled it (a provider signal, docs/signals.md).
  if (!account) return fail(label, outcome_of(account.error().code), account.error().detail);

  // A sign-in always gets a fresh session; whatever session this browser had ends here.
  if (auto previous = request.cookie(settings_.session_cookie_name); !previous.empty()) {
    if (auto ended = deps_.sessions.end(previous); !ended) {
      return fail(label, Outcome::internal, ended.error().detail);
    }
  }
  auto session = deps_.sessions.start(*account);
  if (!session) return fail(label, Outcome::internal, session.error().detail);
  // The district may have been withdrawn while this sign-in was under way: a session started
  // after the withdrawal's in-memory revocation would not be covered by it (RevocationService).
  if (auto refused = refuse_withdrawn_district(*district)) {
    if (auto ended = deps_.sessions.end(session->id); !ended) {
      return fail(label, Outcome::internal, ended.error().detail);
    }
    return fail(label, *refused, "");
  }

  deps_.metrics.record_sign_in(label, to_string(Outcome::success));
  spdlog::info("sign-in succeeded: connection={} account={} district={}", label, account->id,
               district->value_or("-"));

  http::Response response = http::Response::redirect(return_url);
  response.headers.emplace_back(
      "Set-Cookie",
      session::make_set_cookie(settings_.session_cookie_name, session->id,
                               cookie_options(std::chrono::duration_cast<std::chrono::seconds>(
                                   session->expires_at - now))));
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
  http::Response response = http::Response::redirect(*return_url, 303);
  response.headers.emplace_back(
      "Set-Cookie", session::make_clear_cookie(settings_.session_cookie_name, cookie_options({})));
  add_page_security_headers(response);
  return response;
}

}  // namespace lmsgw::signin
