#include "facebook_signals.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include <boost/json/object.hpp>
#include <boost/url/params_encoded_view.hpp>
#include <boost/url/parse_query.hpp>

#include "lmsgw/sdk/encoding.h"
#include "oauth.h"

namespace lmsgw::plugins::facebook {
namespace {

// A signed_request is about 200 bytes; anything near this is not one.
constexpr std::size_t kMaxSignedRequestBytes = 4096;
constexpr std::size_t kHmacSha256Bytes = 32;
constexpr std::size_t kMaxUserIdBytes = 32;
// Keys the hash that names a request, so the signal id is not the signature itself.
constexpr std::string_view kSignalIdKey = "lmsgw facebook signed_request id";

sdk::Error invalid(std::string detail) {
  return sdk::Error{sdk::ErrorCode::token_invalid, "signed_request: " + std::move(detail)};
}

// The first `signed_request` field of a form body; nullopt when the form is malformed or has
// none.
std::optional<std::string> signed_request_field(std::string_view body) {
  auto query = boost::urls::parse_query(body);
  if (!query) return std::nullopt;
  boost::urls::encoding_opts form;
  form.space_as_plus = true;
  for (const auto param : *query) {
    if (param.has_value && param.key.decode(form) == "signed_request") {
      return param.value.decode(form);
    }
  }
  return std::nullopt;
}

}  // namespace

sdk::Result<SignedRequest> verify_signed_request(std::string_view signed_request,
                                                 const SignedRequestRules& rules) {
  if (signed_request.size() > kMaxSignedRequestBytes) {
    return sdk::Error{sdk::ErrorCode::limit_exceeded, "signed_request is too long"};
  }
  const auto dot = signed_request.find('.');
  if (dot == std::string_view::npos ||
      signed_request.find('.', dot + 1) != std::string_view::npos) {
    return invalid("expected <signature>.<payload>");
  }
  const std::string_view encoded_signature = signed_request.substr(0, dot);
  const std::string_view encoded_payload = signed_request.substr(dot + 1);
  const std::optional<std::string> signature = sdk::base64url_decode(encoded_signature);
  if (!signature || signature->size() != kHmacSha256Bytes) {
    return invalid("signature is not a base64url HMAC-SHA-256");
  }
  // The MAC covers the payload as sent; nothing of it is read before the MAC matches.
  const std::string expected = rules.crypto.hmac_sha256(rules.app_secret.reveal(), encoded_payload);
  if (expected.size() != kHmacSha256Bytes) {
    return sdk::Error{sdk::ErrorCode::internal, "HMAC-SHA-256 gave no 32-byte digest"};
  }
  if (!rules.crypto.constant_time_equal(expected, *signature)) {
    return invalid("signature does not match");
  }

  const std::optional<std::string> payload_text = sdk::base64url_decode(encoded_payload);
  if (!payload_text) return invalid("payload is not base64url");
  auto payload = common::parse_json_object(*payload_text, "signed_request payload");
  if (!payload) return invalid("payload is not a JSON object");

  const boost::json::string* algorithm = common::string_member(*payload, "algorithm");
  if (algorithm == nullptr || *algorithm != "HMAC-SHA256") {
    return invalid("algorithm is not HMAC-SHA256");
  }
  const boost::json::string* user_id = common::string_member(*payload, "user_id");
  if (user_id == nullptr || user_id->empty() || user_id->size() > kMaxUserIdBytes ||
      !std::all_of(user_id->begin(), user_id->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return invalid("user_id is not an app-scoped id");
  }

  using std::chrono::seconds;
  const std::int64_t now =
      std::chrono::duration_cast<seconds>(rules.now.time_since_epoch()).count();
  const std::optional<std::int64_t> issued_at = common::int64_member(*payload, "issued_at");
  if (!issued_at) return invalid("issued_at is missing");
  if (*issued_at > now + kSignalClockLeeway.count()) return invalid("issued_at is in the future");
  if (now - *issued_at > rules.max_age.count()) return invalid("issued_at is too old");
  if (payload->contains("expires")) {
    const std::optional<std::int64_t> expires = common::int64_member(*payload, "expires");
    if (!expires) return invalid("expires is not a time");
    if (*expires <= now) return invalid("expired");
  }

  SignedRequest out;
  out.user_id = std::string(*user_id);
  out.signal_id = sdk::hex_encode(rules.crypto.hmac_sha256(kSignalIdKey, *signature));
  return out;
}

sdk::Result<std::vector<sdk::ProviderSignal>> read_signal(const sdk::WebhookRequest& request,
                                                          const SignedRequestRules& rules) {
  sdk::SignalKind kind;
  if (request.channel == kDeauthorizeChannel) {
    kind = sdk::SignalKind::identity_unlinked;
  } else if (request.channel == kDataDeletionChannel) {
    kind = sdk::SignalKind::deletion_requested;
  } else {
    return sdk::Error{sdk::ErrorCode::unsupported,
                      "Facebook callbacks are served at .../deauthorize and .../data-deletion"};
  }
  if (!request.content_type.starts_with("application/x-www-form-urlencoded")) {
    return sdk::Error{sdk::ErrorCode::invalid_request, "callback is not a form POST"};
  }
  const std::optional<std::string> field = signed_request_field(request.body);
  if (!field) return sdk::Error{sdk::ErrorCode::invalid_request, "callback has no signed_request"};
  auto verified = verify_signed_request(*field, rules);
  if (!verified) return verified.error();

  sdk::ProviderSignal signal;
  signal.kind = kind;
  signal.subject = std::move(verified->user_id);
  signal.signal_id = std::move(verified->signal_id);
  return std::vector<sdk::ProviderSignal>{std::move(signal)};
}

}  // namespace lmsgw::plugins::facebook
