// The token issuer's HTTP surface (docs/front-door.md):
//   GET  /.well-known/openid-configuration   discovery: issuer, jwks_uri, introspection endpoint
//   GET  /.well-known/jwks.json              the published verification keys
//   POST /auth/token                         a fresh access token for the session cookie
//   POST /oauth/introspect                   RFC 7662, for backends with client credentials
#pragma once

#include <map>
#include <string>

#include "http/message.h"
#include "lmsgw/sdk/context.h"
#include "session/access_tokens.h"
#include "session/session_service.h"

namespace lmsgw::session {

class TokenEndpoints {
 public:
  TokenEndpoints(AccessTokens& tokens, const KeyRing& keys, const SessionService& sessions,
                 std::string cookie_name, const std::string& public_url,
                 std::map<std::string, sdk::Secret> introspection_clients, const sdk::Clock& clock);

  http::Response discovery(const http::Request& request) const;
  http::Response jwks(const http::Request& request) const;
  http::Response token(const http::Request& request) const;
  http::Response introspect(const http::Request& request) const;

 private:
  // True when the request carries HTTP Basic credentials of a configured client.
  bool authenticated_client(const http::Request& request) const;

  AccessTokens& tokens_;
  const KeyRing& keys_;
  const SessionService& sessions_;
  std::string cookie_name_;
  std::string discovery_document_;
  std::map<std::string, sdk::Secret> clients_;
  const sdk::Clock& clock_;
};

}  // namespace lmsgw::session
