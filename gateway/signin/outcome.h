// The outcome of a sign-in attempt: one word for metrics and logs, an HTTP status and a
// message for the person in front of the browser. Messages are generic on purpose: the
// details go to the log (redacted), never to the page.
#pragma once

#include <cstdint>
#include <string_view>

#include "lmsgw/sdk/errors.h"

namespace lmsgw::signin {

enum class Outcome : std::uint8_t {
  success,
  unknown_connection,
  connection_unavailable,
  return_url_not_allowed,
  state_missing,
  state_unknown,
  state_replayed,
  provider_denied,
  invalid_request,
  upstream_rejected,
  upstream_unavailable,
  upstream_malformed,
  token_invalid,
  limit_exceeded,
  not_permitted,
  district_not_connected,
  district_revoked,
  internal,
};

std::string_view to_string(Outcome outcome) noexcept;
int http_status(Outcome outcome) noexcept;
std::string_view user_message(Outcome outcome) noexcept;
Outcome outcome_of(sdk::ErrorCode code) noexcept;

}  // namespace lmsgw::signin
