// GET /auth/check: the forward-auth answer for nginx auth_request, Envoy ext_authz (HTTP)
// and Traefik ForwardAuth. 200 with the identity headers of PRIVACY.md E, or 401. The caller
// is the session cookie, or an `Authorization: Bearer` access token of ours whose session is
// still live.
#pragma once

#include <string>

#include "http/message.h"
#include "lmsgw/sdk/context.h"
#include "session/access_tokens.h"
#include "session/session_service.h"

namespace lmsgw::session {

class ForwardAuth {
 public:
  // `tokens` may be null (no token issuer configured): bearer tokens are then refused.
  ForwardAuth(const SessionService& sessions, AccessTokens* tokens, std::string cookie_name,
              const sdk::Clock& clock);

  // Runs on the I/O thread: memory only, no lock, no allocation. The answer points at the
  // session's prepared headers and keeps the session alive until it is written.
  http::Response check(const http::Request& request) const;

 private:
  http::Response unauthorized(bool bearer) const;

  http::PreparedHeaders unauthorized_headers_;
  http::PreparedHeaders invalid_token_headers_;
  const SessionService& sessions_;
  AccessTokens* tokens_;
  std::string cookie_name_;
  const sdk::Clock& clock_;
};

}  // namespace lmsgw::session
