#include "signin/outcome.h"

namespace lmsgw::signin {

std::string_view to_string(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::success:
      return "success";
    case Outcome::unknown_connection:
      return "unknown_connection";
    case Outcome::connection_unavailable:
      return "connection_unavailable";
    case Outcome::return_url_not_allowed:
      return "return_url_not_allowed";
    case Outcome::state_missing:
      return "state_missing";
    case Outcome::state_unknown:
      return "state_unknown";
    case Outcome::state_replayed:
      return "state_replayed";
    case Outcome::provider_denied:
      return "provider_denied";
    case Outcome::invalid_request:
      return "invalid_request";
    case Outcome::upstream_rejected:
      return "upstream_rejected";
    case Outcome::upstream_unavailable:
      return "upstream_unavailable";
    case Outcome::upstream_malformed:
      return "upstream_malformed";
    case Outcome::token_invalid:
      return "token_invalid";
    case Outcome::limit_exceeded:
      return "limit_exceeded";
    case Outcome::not_permitted:
      return "not_permitted";
    case Outcome::district_not_connected:
      return "district_not_connected";
    case Outcome::district_revoked:
      return "district_revoked";
    case Outcome::internal:
      return "internal";
  }
  return "internal";
}

int http_status(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::success:
      return 302;
    case Outcome::unknown_connection:
      return 404;
    case Outcome::connection_unavailable:
      return 503;
    case Outcome::provider_denied:
    case Outcome::not_permitted:
    case Outcome::district_not_connected:
    case Outcome::district_revoked:
      return 403;
    case Outcome::upstream_rejected:
    case Outcome::upstream_unavailable:
    case Outcome::upstream_malformed:
    case Outcome::limit_exceeded:
      return 502;
    case Outcome::internal:
      return 500;
    case Outcome::return_url_not_allowed:
    case Outcome::state_missing:
    case Outcome::state_unknown:
    case Outcome::state_replayed:
    case Outcome::invalid_request:
    case Outcome::token_invalid:
      return 400;
  }
  return 500;
}

std::string_view user_message(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::success:
      return "Signed in.";
    case Outcome::unknown_connection:
      return "This sign-in option does not exist.";
    case Outcome::connection_unavailable:
      return "This sign-in option is not available right now. Please try again later.";
    case Outcome::return_url_not_allowed:
      return "The page you asked to return to is not one this service may send you to.";
    case Outcome::state_missing:
      return "This sign-in did not start here. Please start again from the sign-in page.";
    case Outcome::state_unknown:
      return "This sign-in has expired or was started in another browser. Please start again.";
    case Outcome::state_replayed:
      return "This sign-in link was already used. Please start again.";
    case Outcome::provider_denied:
      return "Sign-in was cancelled or refused by the provider.";
    case Outcome::invalid_request:
      return "The sign-in response was incomplete.";
    case Outcome::upstream_rejected:
    case Outcome::upstream_unavailable:
    case Outcome::upstream_malformed:
    case Outcome::limit_exceeded:
      return "The sign-in provider could not be reached or gave an unexpected answer. "
             "Please try again later.";
    case Outcome::token_invalid:
      return "The sign-in provider's answer could not be verified.";
    case Outcome::not_permitted:
      return "This account may not sign in here.";
    case Outcome::district_not_connected:
      return "Your school district has not connected this service.";
    case Outcome::district_revoked:
      return "Your school district has withdrawn this service's access.";
    case Outcome::internal:
      return "Something went wrong on our side. Please try again later.";
  }
  return "Something went wrong.";
}

Outcome outcome_of(sdk::ErrorCode code) noexcept {
  switch (code) {
    case sdk::ErrorCode::invalid_request:
      return Outcome::invalid_request;
    case sdk::ErrorCode::provider_denied:
      return Outcome::provider_denied;
    case sdk::ErrorCode::state_missing:
      return Outcome::state_missing;
    case sdk::ErrorCode::upstream_rejected:
      return Outcome::upstream_rejected;
    case sdk::ErrorCode::upstream_unavailable:
      return Outcome::upstream_unavailable;
    case sdk::ErrorCode::upstream_malformed:
      return Outcome::upstream_malformed;
    case sdk::ErrorCode::token_invalid:
      return Outcome::token_invalid;
    case sdk::ErrorCode::not_permitted:
      return Outcome::not_permitted;
    case sdk::ErrorCode::limit_exceeded:
      return Outcome::limit_exceeded;
    case sdk::ErrorCode::unsupported:
    case sdk::ErrorCode::config_invalid:
    case sdk::ErrorCode::internal:
      return Outcome::internal;
  }
  return Outcome::internal;
}

}  // namespace lmsgw::signin
