#include "risc.h"

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "oauth.h"

namespace lmsgw::plugins::google {
namespace {

// Google sends one event per token; a few more are allowed, a flood is not.
constexpr std::size_t kMaxEvents = 8;
constexpr std::size_t kMaxJtiBytes = 256;
constexpr std::size_t kMaxSubjectBytes = 255;

sdk::Error invalid(std::string detail) {
  return sdk::Error{sdk::ErrorCode::token_invalid, "security event token: " + std::move(detail)};
}

// The Google `sub` an event is about (subject types iss-sub and id_token_claims both carry it).
sdk::Result<std::string> event_subject(const boost::json::object& event) {
  const boost::json::object* subject = common::object_member(event, "subject");
  if (subject == nullptr) return invalid("event has no subject");
  const boost::json::string* sub = common::string_member(*subject, "sub");
  if (sub == nullptr || sub->empty() || sub->size() > kMaxSubjectBytes) {
    return invalid("event subject has no usable sub");
  }
  return std::string(*sub);
}

}  // namespace

sdk::Result<RiscEvents> read_security_events(std::string_view claims,
                                             std::chrono::system_clock::time_point now,
                                             std::chrono::seconds max_age,
                                             std::chrono::seconds leeway) {
  auto parsed = common::parse_json_object(claims, "security event token claims");
  if (!parsed) return invalid("claims are not a JSON object");
  const boost::json::object& token = *parsed;

  const boost::json::string* jti = common::string_member(token, "jti");
  if (jti == nullptr || jti->empty() || jti->size() > kMaxJtiBytes)
    return invalid("jti is missing");
  const std::optional<std::int64_t> iat = common::int64_member(token, "iat");
  if (!iat) return invalid("iat is missing");
  const std::int64_t now_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (*iat > now_seconds + leeway.count()) return invalid("iat is in the future");
  if (now_seconds - *iat > max_age.count()) return invalid("iat is too old");

  const boost::json::object* events = common::object_member(token, "events");
  if (events == nullptr || events->empty()) return invalid("events are missing");
  if (events->size() > kMaxEvents) {
    return sdk::Error{sdk::ErrorCode::limit_exceeded, "security event token has too many events"};
  }

  RiscEvents out;
  for (const auto& [type, value] : *events) {
    const boost::json::object* event = value.if_object();
    if (event == nullptr) return invalid("an event is not an object");
    std::optional<sdk::SignalKind> kind;
    if (type == kSessionsRevokedEvent || type == kTokensRevokedEvent) {
      kind = sdk::SignalKind::sessions_revoked;
    } else if (type == kAccountDisabledEvent) {
      const boost::json::string* reason = common::string_member(*event, "reason");
      kind = reason != nullptr && *reason == "hijacking" ? sdk::SignalKind::sessions_revoked
                                                         : sdk::SignalKind::account_disabled;
    } else if (type == kAccountEnabledEvent) {
      kind = sdk::SignalKind::account_enabled;
    } else if (type == kVerificationEvent) {
      ++out.verifications;
      continue;
    } else {
      ++out.ignored;
      continue;
    }
    auto subject = event_subject(*event);
    if (!subject) return subject.error();
    sdk::ProviderSignal signal;
    signal.kind = *kind;
    signal.subject = std::move(*subject);
    // One token may carry several events; each is applied (and refused as a replay) alone.
    signal.signal_id = std::string(*jti) + " " + std::string(type);
    out.signals.push_back(std::move(signal));
  }
  return out;
}

}  // namespace lmsgw::plugins::google
