#include "session/forward_auth.h"

#include "common/time.h"

namespace lmsgw::session {

ForwardAuth::ForwardAuth(const SessionService& sessions, std::string cookie_name,
                         const sdk::Clock& clock)
    : sessions_(sessions), cookie_name_(std::move(cookie_name)), clock_(clock) {}

http::Response ForwardAuth::check(const http::Request& request) const {
  auto view = sessions_.find(request.cookie(cookie_name_));
  if (!view) {
    return http::Response::text(401, "").with_header("Cache-Control", "no-store");
  }
  http::Response response = http::Response::text(200, "");
  response.headers.reserve(6);
  response.headers.emplace_back("X-Account-Id", view->account_id);
  response.headers.emplace_back("X-Account-Role", std::string(identity::to_string(view->role)));
  if (view->district_id) response.headers.emplace_back("X-District-Id", *view->district_id);
  response.headers.emplace_back(
      "X-Age-Band",
      std::string(identity::to_string(age_band(*view, time::earliest_civil_date(clock_.now())))));
  response.headers.emplace_back("X-Display-Name", view->display_name);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

}  // namespace lmsgw::session
