// The sign-in flow of DESIGN.md section 3, around the plugins:
//   GET|POST /login/{connection}    -> state, nonce and PKCE minted here, plugin builds redirect
//   GET|POST /callback/{connection} -> state checked here (bound to the browser, single use),
//                                      plugin redeems and verifies, minimizer, store, session
//   POST /logout                    -> session ended everywhere at once
// The plugin never sees the store or the session; the store never sees anything but the
// minimal account.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "config/gateway_config.h"
#include "http/message.h"
#include "identity/minimizer.h"
#include "lmsgw/sdk/context.h"
#include "metrics/metrics.h"
#include "session/pending_logins.h"
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
  const std::map<std::string, config::DistrictConfig>& districts;
  const identity::Minimizer& minimizer;
  store::AccountStore& store;
  session::SessionService& sessions;
  session::PendingLogins& pending_logins;
  const session::ReturnUrlPolicy& return_urls;
  metrics::Registry& metrics;
  const sdk::Clock& clock;
  // Masks secrets and email-shaped text in error details before they are logged.
  std::function<std::string(std::string_view)> redact;
};

class SignInService {
 public:
  SignInService(SignInDependencies dependencies, SignInSettings settings);

  http::Response login(const http::Request& request) const;
  http::Response callback(const http::Request& request) const;
  http::Response logout(const http::Request& request) const;

  // The name of the cookie that binds a started sign-in to its browser.
  const std::string& binding_cookie_name() const noexcept { return binding_cookie_name_; }

 private:
  // The connection named by the route, or nullptr.
  const Connection* connection_for(const http::Request& request) const;
  http::Response fail(std::string_view connection_label, Outcome outcome,
                      std::string_view detail) const;
  std::optional<std::string> resolve_district(const Connection& connection,
                                              const sdk::ExternalIdentity& identity) const;
  http::Response finish(const Connection& connection, const sdk::ExternalIdentity& identity,
                        const std::string& return_url, const http::Request& request) const;

  SignInDependencies deps_;
  SignInSettings settings_;
  std::string binding_cookie_name_;
};

}  // namespace lmsgw::signin
