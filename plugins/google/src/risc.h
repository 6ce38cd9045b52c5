// Cross-Account Protection (RISC) security event tokens (PROTOCOLS.md 2.3): what each event
// of a verified token means for the gateway. Google POSTs the token (a JWT) to
// `<public url>/webhooks/<connection>`; OidcSignIn verifies it against the RISC
// configuration's keys, issuer and our client id, and this reads its claims.
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>
#include <vector>

#include "lmsgw/sdk/result.h"
#include "lmsgw/sdk/signals.h"

namespace lmsgw::plugins::google {

inline constexpr std::string_view kSessionsRevokedEvent =
    "https://schemas.openid.net/secevent/risc/event-type/sessions-revoked";
inline constexpr std::string_view kTokensRevokedEvent =
    "https://schemas.openid.net/secevent/oauth/event-type/tokens-revoked";
inline constexpr std::string_view kAccountDisabledEvent =
    "https://schemas.openid.net/secevent/risc/event-type/account-disabled";
inline constexpr std::string_view kAccountEnabledEvent =
    "https://schemas.openid.net/secevent/risc/event-type/account-enabled";
inline constexpr std::string_view kVerificationEvent =
    "https://schemas.openid.net/secevent/risc/event-type/verification";

struct RiscEvents {
  std::vector<sdk::ProviderSignal> signals;
  // Events of a type the gateway does not act on (token-revoked for a refresh token we never
  // keep, account-credential-change-required, types added later).
  std::size_t ignored = 0;
  // Verification events: Google's test of the stream, accepted with no effect.
  std::size_t verifications = 0;
};

// Reads the claims of a verified token. `jti` is required (each signal's id is the jti and
// its event type), `iat` is required and must lie within [now - max_age, now + leeway].
// Events:
//   sessions-revoked                      -> sessions_revoked
//   tokens-revoked                        -> sessions_revoked: Google requires ending the
//       sessions of a sign-in; the gateway keeps no Google token to delete, and the link from
//       the Google account stays, since a district roster may share it and revoking the app's
//       tokens is not a request to forget the person
//   account-disabled, reason "hijacking"  -> sessions_revoked (Google: end the sessions)
//   account-disabled, any other reason    -> account_disabled
//   account-enabled                       -> account_enabled
//   verification                          -> nothing (counted)
//   anything else                         -> nothing (counted as ignored)
// Errors: token_invalid (claims missing, wrong type, out of time), limit_exceeded.
sdk::Result<RiscEvents> read_security_events(std::string_view claims,
                                             std::chrono::system_clock::time_point now,
                                             std::chrono::seconds max_age,
                                             std::chrono::seconds leeway);

}  // namespace lmsgw::plugins::google
