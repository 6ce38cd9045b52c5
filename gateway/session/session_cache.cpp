#include "session/session_cache.h"

namespace lmsgw::session {

bool SessionView::live_at(TimePoint now) const noexcept {
  if (now >= expires_at) return false;
  if (account_revocation && account_revocation->revokes(created_at)) return false;
  if (district_revocation && district_revocation->revokes(created_at)) return false;
  return true;
}

const http::PreparedHeaders& SessionView::headers_for(identity::AgeBand band) const noexcept {
  return band == identity::AgeBand::thirteen_plus ? *thirteen_plus_headers : *under13_headers;
}

identity::AgeBand age_band(const SessionView& view, sdk::CivilDate today) noexcept {
  if (view.role != identity::AccountRole::student) return identity::AgeBand::thirteen_plus;
  if (view.thirteen_plus_from && today >= *view.thirteen_plus_from) {
    return identity::AgeBand::thirteen_plus;
  }
  return identity::AgeBand::under13;
}

sdk::Result<void> prepare_headers(SessionView& view) {
  auto make = [&view](identity::AgeBand band) {
    std::vector<std::pair<std::string, std::string>> headers;
    headers.emplace_back("X-Account-Id", view.account_id);
    headers.emplace_back("X-Account-Role", std::string(identity::to_string(view.role)));
    if (view.district_id) headers.emplace_back("X-District-Id", *view.district_id);
    headers.emplace_back("X-Age-Band", std::string(identity::to_string(band)));
    headers.emplace_back("X-Display-Name", view.display_name);
    headers.emplace_back("Cache-Control", "no-store");
    return http::PreparedHeaders::make(headers);
  };
  view.under13_headers = make(identity::AgeBand::under13);
  view.thirteen_plus_headers = make(identity::AgeBand::thirteen_plus);
  if (!view.under13_headers || !view.thirteen_plus_headers) {
    return sdk::Error{sdk::ErrorCode::internal, "session fields cannot be sent as headers"};
  }
  return {};
}

}  // namespace lmsgw::session
