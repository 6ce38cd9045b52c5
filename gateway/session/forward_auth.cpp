#include "session/forward_auth.h"

#include "common/time.h"

namespace lmsgw::session {

ForwardAuth::ForwardAuth(const SessionService& sessions, std::string cookie_name,
                         const sdk::Clock& clock)
    : unauthorized_headers_(*http::PreparedHeaders::make({{"Cache-Control", "no-store"}})),
      sessions_(sessions),
      cookie_name_(std::move(cookie_name)),
      clock_(clock) {}

http::Response ForwardAuth::check(const http::Request& request) const {
  http::Response response;
  SessionCache::ViewPtr view = sessions_.find(request.cookie(cookie_name_));
  if (!view) {
    response.status = 401;
    response.prepared = &unauthorized_headers_;
    return response;
  }
  response.prepared = &view->headers_for(age_band(*view, time::earliest_civil_date(clock_.now())));
  response.keep_alive = std::move(view);
  return response;
}

}  // namespace lmsgw::session
