#include "session/forward_auth.h"

#include "common/time.h"

namespace lmsgw::session {

ForwardAuth::ForwardAuth(const SessionService& sessions, AccessTokens* tokens,
                         std::string cookie_name, const sdk::Clock& clock)
    : unauthorized_headers_(*http::PreparedHeaders::make({{"Cache-Control", "no-store"}})),
      invalid_token_headers_(*http::PreparedHeaders::make(
          {{"WWW-Authenticate", "Bearer error=\"invalid_token\""}, {"Cache-Control", "no-store"}})),
      sessions_(sessions),
      tokens_(tokens),
      cookie_name_(std::move(cookie_name)),
      clock_(clock) {}

http::Response ForwardAuth::unauthorized(bool bearer) const {
  http::Response response;
  response.status = 401;
  response.prepared = bearer ? &invalid_token_headers_ : &unauthorized_headers_;
  return response;
}

http::Response ForwardAuth::check(const http::Request& request) const {
  const TimePoint now = clock_.now();
  SessionCache::ViewPtr view;
  const std::string_view authorization = request.header("Authorization");
  const bool bearer = authorization.size() > 7 && authorization.starts_with("Bearer ");
  if (bearer) {
    if (tokens_ == nullptr) return unauthorized(true);
    auto token = tokens_->verify(authorization.substr(7));
    if (!token) return unauthorized(true);
    view = sessions_.cache().find((*token)->session_hash, now);
  } else {
    view = sessions_.find(request.cookie(cookie_name_));
  }
  if (!view) return unauthorized(bearer);
  http::Response response;
  response.prepared = &view->headers_for(age_band(*view, time::earliest_civil_date(now)));
  response.keep_alive = std::move(view);
  return response;
}

}  // namespace lmsgw::session
