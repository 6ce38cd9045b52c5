/// @file
/// @brief `AuthPlugin`: one sign-in connection speaking one provider's protocol.
///
/// The division of labour, which is what makes plugins safe to write:
/// - the core mints `state`, `nonce` and the PKCE verifier, binds the state to the browser,
///   makes it single-use, and checks it on the callback before the plugin sees anything;
/// - the plugin speaks the provider's protocol: it builds the redirect, redeems the code,
///   verifies what it receives and reports the identity as an `ExternalIdentity`;
/// - the core applies the privacy contract, stores the minimal account and mints the session.
/// A plugin never writes to the store and never mints sessions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/config.hpp>
#include "lmsgw/sdk/http.h"
#include "lmsgw/sdk/identity.h"

#include "lmsgw/sdk/result.h"
#include "lmsgw/sdk/signals.h"

namespace lmsgw::sdk {

/// The start of a sign-in: `GET|POST /login/{connection}`.
struct LoginRequest {
  /// The exact callback URL of this connection, from configuration (never from the request).
  std::string redirect_uri;
  /// Opaque, single-use, bound to the browser by the core. Send it to the provider as is.
  std::string state;
  /// For OpenID Connect providers: send as `nonce`, check it in the `id_token`.
  std::string nonce;
  /// PKCE (RFC 7636) S256 challenge of a verifier the core keeps for the callback.
  std::string code_challenge;
  /// The query or form parameters of the login request (`login_hint`, LTI's `iss`, ...).
  std::map<std::string, std::string> params;
};

/// Where to send the browser, and what to remember until the callback.
struct LoginRedirect {
  std::string url;
  /// Opaque data the core keeps with the state and hands back on the callback (at most
  /// 1 KiB). It travels sealed (encrypted and authenticated) in a cookie: the browser can
  /// neither read nor change it.
  std::string flow_data;
  /// Where the provider asked the browser to land after sign-in (LTI's target_link_uri), if
  /// anywhere. The core uses it only when it falls under session.return_urls, and refuses the
  /// sign-in otherwise; an explicit `return_to` of the login request wins.
  std::string return_to;
};

/// What the core kept from `begin` for this callback, after checking the state.
struct StartedLogin {
  std::string nonce;
  std::string code_verifier;
  std::string flow_data;
};

/// The provider's callback: `GET|POST /callback/{connection}`.
struct CallbackRequest {
  /// The same exact callback URL that `begin` was given.
  std::string redirect_uri;
  /// The query (GET) or form (POST) parameters, `state` removed.
  std::map<std::string, std::string> params;
  /// Present when the callback carried the state of a login this gateway started. Absent
  /// for a provider-initiated sign-in (e.g. Clever Instant Login), which the core only lets
  /// through when the connection allows it; a plugin that does not support provider-initiated
  /// sign-in must answer `ErrorCode::state_missing`.
  std::optional<StartedLogin> login;
};

/// A provider's server-to-server notification: `POST /webhooks/{connection}` or
/// `POST /webhooks/{connection}/{channel}`.
struct WebhookRequest {
  /// The path segment after the connection, for a provider that calls one connection at
  /// several URLs (Facebook: `deauthorize`, `data-deletion`); empty without one. The core
  /// passes only lowercase letters, digits and '-', at most 32 of them.
  std::string channel;
  std::string content_type;
  HttpHeaders headers;
  std::string body;
};

/// Implementations must be safe to call from several threads at once.
class BOOST_SYMBOL_VISIBLE AuthPlugin {
 public:
  virtual ~AuthPlugin() = default;

  /// Builds the redirect to the provider.
  virtual Result<LoginRedirect> begin(const LoginRequest& request) noexcept = 0;

  /// Redeems the callback and returns the identity the provider vouches for. Never returns
  /// an identity it did not verify (code redeemed server-side, or token signature checked).
  virtual Result<ExternalIdentity> complete(const CallbackRequest& request) noexcept = 0;

  /// Whether this plugin can complete a sign-in that the provider started (no `login`).
  virtual bool supports_provider_initiated() const noexcept { return false; }

  /// Whether the provider delivers the callback as a cross-site form POST (LTI 1.3's
  /// form_post): the core then sends the sign-in's state cookie with SameSite=None, since
  /// browsers withhold SameSite=Lax cookies from such a POST.
  virtual bool callback_is_cross_site_post() const noexcept { return false; }

  /// Verifies and decodes a provider notification.
  virtual Result<std::vector<ProviderSignal>> handle_signal(const WebhookRequest&) noexcept {
    return Error{ErrorCode::unsupported, "this connection accepts no webhooks"};
  }
};

}  // namespace lmsgw::sdk
