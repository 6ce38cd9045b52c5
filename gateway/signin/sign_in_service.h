// The sign-in flow of DESIGN.md section 3, around the plugins:
//   GET|POST /login/{connection}    -> state, nonce and PKCE minted here, plugin builds redirect,
//                                      what the callback needs sealed into a cookie
//   GET|POST /callback/{connection} -> state checked here (its sealed cookie, single use),
//                                      plugin redeems and verifies, minimizer, store, session
//   POST /logout                    -> session ended everywhere at once
// The plugin never sees the store or the session; the store never sees anything but the
// minimal account.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "config/gateway_config.h"
#include "http/message.h"
#include "identity/minimizer.h"
#include "lmsgw/sdk/context.h"
#include "metrics/metrics.h"
#include "session/cookies.h"
#include "session/login_state.h"
#include "session/return_urls.h"
#include "session/session_service.h"
#include "signin/connection.h"
#include "signin/outcome.h"
#include "store/account_store.h"

namespace lmsgw::signin {

struct SignInSettings {
  std::string session_cookie_name;
  bool cookie_secure = true;
  std::chrono::seconds login_timeout{600};
};

struct SignInDependencies {
  const Connections& connections;
  // Configured connections whose optional plugin was refused: they answer 503.
  const std::set<std::string, std::less<>>& unavailable_connections;
  const std::map<std::string, config::DistrictConfig>& districts;
  const identity::Minimizer& minimizer;
  store::AccountStore& store;
  session::SessionService& sessions;
  const session::LoginStateSealer& login_states;
  session::UsedLoginStates& used_login_states;
  const session::ReturnUrlPolicy& return_urls;
  metrics::Registry& metrics;
  const sdk::Clock& clock;
  // Makes an error detail safe to log: secrets and email-shaped text masked, control
  // characters escaped, length capped.
  std::function<std::string(std::string_view)> redact;
};

class SignInService {
 public:
  SignInService(SignInDependencies dependencies, SignInSettings settings);

  http::Response login(const http::Request& request) const;
  http::Response callback(const http::Request& request) const;
  http::Response logout(const http::Request& request) const;

  // Prefix of the cookies that carry started sign-ins (LoginStateSealer::cookie_name).
  const std::string& login_cookie_prefix() const noexcept { return login_cookie_prefix_; }

 private:
  // The connection named by the route; nullptr with `failure` set when there is none to use.
  const Connection* connection_for(const http::Request& request,
                                   std::optional<http::Response>& failure) const;
  http::Response fail(std::string_view connection_label, Outcome outcome,
                      std::string_view detail) const;
  // The internal district of `identity`, nullopt for none; fails when the provider names a
  // district this connection does not map.
  sdk::Result<std::optional<std::string>> resolve_district(
      const Connection& connection, const sdk::ExternalIdentity& identity) const;
  // PRIVACY.md C.1: no new sign-in from a district whose access was withdrawn.
  std::optional<Outcome> refuse_withdrawn_district(
      const std::optional<std::string>& district) const;
  http::Response finish(const Connection& connection, const sdk::ExternalIdentity& identity,
                        const std::string& return_url, const http::Request& request) const;

  session::CookieOptions cookie_options(std::chrono::seconds max_age) const;
  // The sign-in state cookie's options for `connection`.
  session::CookieOptions state_cookie_options(const Connection& connection,
                                              std::chrono::seconds max_age) const;

  SignInDependencies deps_;
  SignInSettings settings_;
  std::string login_cookie_prefix_;
};

}  // namespace lmsgw::signin
