// Facebook's server-to-server callbacks (PROTOCOLS.md 3.4): the Deauthorize callback and the
// Data Deletion Request callback, each a form POST whose `signed_request` is
// `<base64url(HMAC-SHA-256(app secret, payload))>.<base64url(payload JSON)>`. Registered as
// `<public url>/webhooks/<connection>/deauthorize` and `.../data-deletion`.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "lmsgw/sdk/auth_plugin.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::plugins::facebook {

inline constexpr std::string_view kDeauthorizeChannel = "deauthorize";
inline constexpr std::string_view kDataDeletionChannel = "data-deletion";

// How far `issued_at` may lie ahead of our clock.
inline constexpr std::chrono::seconds kSignalClockLeeway{60};

struct SignedRequest {
  // The app-scoped user id: the subject our sign-in reports for this person.
  std::string user_id;
  // Lowercase hex of a hash of the signature: the same for every delivery of one request.
  std::string signal_id;
};

struct SignedRequestRules {
  // The app secret: the HMAC key.
  const sdk::Secret& app_secret;
  const sdk::Crypto& crypto;
  std::chrono::system_clock::time_point now;
  // `issued_at` older than this is refused.
  std::chrono::seconds max_age;
};

// Verifies the signature (constant-time), then the payload: `algorithm` HMAC-SHA256, a
// numeric `user_id`, `issued_at` within [now - max_age, now + leeway], and `expires`, when
// present, still ahead. Errors: token_invalid, invalid_request, limit_exceeded.
sdk::Result<SignedRequest> verify_signed_request(std::string_view signed_request,
                                                 const SignedRequestRules& rules);

// The signals of one callback: its channel decides the kind (deauthorize: identity_unlinked;
// data-deletion: deletion_requested); another channel is `unsupported`.
sdk::Result<std::vector<sdk::ProviderSignal>> read_signal(const sdk::WebhookRequest& request,
                                                          const SignedRequestRules& rules);

}  // namespace lmsgw::plugins::facebook
