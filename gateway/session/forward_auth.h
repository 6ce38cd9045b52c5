// GET /auth/check: the forward-auth answer for nginx auth_request, Envoy ext_authz (HTTP)
// and Traefik ForwardAuth. 200 with the identity headers of PRIVACY.md E, or 401.
#pragma once

#include <string>

#include "http/message.h"
#include "lmsgw/sdk/context.h"
#include "session/session_service.h"

namespace lmsgw::session {

class ForwardAuth {
 public:
  ForwardAuth(const SessionService& sessions, std::string cookie_name, const sdk::Clock& clock);

  // Runs on the I/O thread: memory only, no lock, no allocation. The answer points at the
  // session's prepared headers and keeps the session alive until it is written.
  http::Response check(const http::Request& request) const;

 private:
  http::PreparedHeaders unauthorized_headers_;
  const SessionService& sessions_;
  std::string cookie_name_;
  const sdk::Clock& clock_;
};

}  // namespace lmsgw::session
