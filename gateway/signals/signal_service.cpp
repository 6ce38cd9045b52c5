#include "signals/signal_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "common/crypto.h"
#include "signin/pages.h"

namespace lmsgw::signals {
namespace {

constexpr std::size_t kMaxChannelLength = 32;
constexpr std::size_t kConfirmationCodeBytes = 16;
// base64url of kConfirmationCodeBytes, without padding.
constexpr std::size_t kConfirmationCodeLength = 22;
constexpr std::string_view kMediaTypes[] = {"application/x-www-form-urlencoded", "application/json",
                                            "application/jwt", "application/secevent+jwt"};

bool is_channel(std::string_view channel) {
  return channel.size() <= kMaxChannelLength &&
         std::all_of(channel.begin(), channel.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

bool is_confirmation_code(std::string_view code) {
  return code.size() == kConfirmationCodeLength &&
         std::all_of(code.begin(), code.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
         });
}

// The media type of a Content-Type value, lower case, without parameters.
std::string media_type(std::string_view content_type) {
  std::string out(content_type.substr(0, content_type.find(';')));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

crypto::Digest hash_of(std::string_view text) { return crypto::sha256(text); }

http::Response plain(int status, std::string body) {
  return http::Response::text(status, std::move(body));
}

// What the page says for each status: no account id, no date, nothing about the person.
std::string_view status_sentence(DeletionStatus status) {
  switch (status) {
    case DeletionStatus::received:
      return "We received this request and are deleting the data.";
    case DeletionStatus::completed:
      return "The data linked to this request has been deleted.";
    case DeletionStatus::held:
      return "We received this request, but the school or district has placed the account "
             "under a legal hold: its data is kept, untouched, while the hold lasts, and "
             "deleted under the district's instructions afterwards.";
    case DeletionStatus::no_data:
      return "We hold no data for this account.";
  }
  return "";
}

http::Response status_page(int status, std::string_view title, std::string_view sentence) {
  std::string body =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>Data deletion request</title>"
      "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;"
      "padding:0 1rem;color:#222}</style></head><body><h1>";
  body += http::html_escape(title);
  body += "</h1><p>";
  body += http::html_escape(sentence);
  body += "</p></body></html>\n";
  http::Response response = http::Response::html(status, std::move(body));
  signin::add_page_security_headers(response);
  return response;
}

}  // namespace

SignalService::SignalService(SignalDependencies dependencies, std::string public_url)
    : deps_(std::move(dependencies)), public_url_(std::move(public_url)) {}

http::Response SignalService::webhook(const http::Request& request) const {
  const std::string_view connection_id = request.route_param("connection");
  const std::string_view channel = request.route_param("channel");
  auto found = deps_.connections.find(connection_id);
  if (found == deps_.connections.end() || !is_channel(channel)) {
    return plain(404, "no such webhook\n");
  }
  const signin::Connection& connection = found->second;
  const std::string& label = connection.config.id;
  if (request.body.size() > kMaxWebhookBodyBytes) return plain(413, "body too large\n");
  const std::string type = media_type(request.header("Content-Type"));
  if (std::find(std::begin(kMediaTypes), std::end(kMediaTypes), type) == std::end(kMediaTypes)) {
    return plain(415, "unsupported content type\n");
  }

  sdk::WebhookRequest webhook;
  webhook.channel = std::string(channel);
  webhook.content_type = std::string(request.header("Content-Type"));
  for (const http::HeaderView& header : request.headers) {
    // A provider authenticates by signature, never by a browser's cookie.
    if (media_type(header.name) == "cookie") continue;
    webhook.headers.emplace_back(std::string(header.name), std::string(header.value));
  }
  webhook.body = std::string(request.body);

  auto decoded = connection.plugin->handle_signal(webhook);
  if (!decoded) {
    if (decoded.error().code == sdk::ErrorCode::unsupported) {
      return plain(404, "no such webhook\n");
    }
    deps_.metrics.record(SignalOutcome::rejected);
    spdlog::warn("webhook refused: connection={} error={} detail={}", label,
                 to_string(decoded.error().code), deps_.redact(decoded.error().detail));
    return plain(400, "invalid signal\n");
  }
  if (decoded->empty()) {
    deps_.metrics.record(SignalOutcome::no_signal);
    return plain(202, "");
  }

  forget_old();
  std::optional<std::string> confirmation_code;
  for (const sdk::ProviderSignal& signal : *decoded) {
    auto applied = apply(connection, signal);
    if (!applied) {
      deps_.metrics.record(SignalOutcome::failed);
      spdlog::error("webhook signal not applied: connection={} kind={} detail={}", label,
                    to_string(signal.kind), deps_.redact(applied.error().detail));
      return plain(500, "signal not applied; retry later\n");
    }
    switch (applied->effect) {
      case Effect::applied:
        deps_.metrics.record(SignalOutcome::applied);
        break;
      case Effect::replayed:
        deps_.metrics.record(SignalOutcome::replayed);
        spdlog::info("webhook signal replayed, not applied again: connection={} kind={}", label,
                     to_string(signal.kind));
        break;
      case Effect::unknown_subject:
        deps_.metrics.record(SignalOutcome::unknown_subject);
        break;
    }
    if (applied->confirmation_code) confirmation_code = std::move(applied->confirmation_code);
  }
  if (!confirmation_code) return plain(202, "");
  // The answer Facebook's Data Deletion callback expects (PROTOCOLS.md 3.4).
  boost::json::object answer{{"url", public_url_ + "/deletion-status/" + *confirmation_code},
                             {"confirmation_code", *confirmation_code}};
  return http::Response::json(200, boost::json::serialize(answer));
}

http::Response SignalService::deletion_status(const http::Request& request) const {
  const std::string_view code = request.route_param("code");
  if (!is_confirmation_code(code)) {
    return status_page(404, "Unknown request", "No deletion request has this confirmation code.");
  }
  auto status = deps_.signals.deletion_status(hash_of(code));
  if (!status) {
    spdlog::error("deletion status unavailable: detail={}", deps_.redact(status.error().detail));
    return status_page(503, "Try again later", "The status cannot be read right now.");
  }
  if (!*status) {
    return status_page(404, "Unknown request", "No deletion request has this confirmation code.");
  }
  return status_page(200, "Data deletion request", status_sentence(**status));
}

sdk::Result<SignalService::Applied> SignalService::apply(const signin::Connection& connection,
                                                         const sdk::ProviderSignal& signal) const {
  if (signal.signal_id.empty()) {
    return sdk::Error{sdk::ErrorCode::internal, "the plugin gave a signal without an id"};
  }
  const crypto::Digest signal_hash = hash_of(signal.signal_id);
  const std::string actor = "webhook:" + connection.config.id;
  if (signal.kind == sdk::SignalKind::deletion_requested) {
    return apply_deletion(connection, signal, signal_hash, actor);
  }
  const std::string& connection_id = connection.config.id;
  auto claimed = deps_.signals.claim_signal(connection_id, signal_hash, deps_.clock.now());
  if (!claimed) return claimed.error();
  if (!*claimed) return Applied{Effect::replayed, std::nullopt};
  auto effect = signal.kind == sdk::SignalKind::district_revoked
                    ? apply_to_district(connection, signal, actor)
                    : apply_to_account(connection, signal, actor);
  if (!effect) {
    // Not applied: the provider's retry must find no receipt.
    if (auto released = deps_.signals.release_signal(connection_id, signal_hash); !released) {
      spdlog::error("webhook receipt not released: connection={} detail={}", connection_id,
                    deps_.redact(released.error().detail));
    }
    return effect.error();
  }
  return Applied{*effect, std::nullopt};
}

sdk::Result<SignalService::Effect> SignalService::apply_to_account(
    const signin::Connection& connection, const sdk::ProviderSignal& signal,
    const std::string& actor) const {
  auto target = find_target(connection, signal);
  if (!target) return target.error();
  if (!*target) return Effect::unknown_subject;
  const crypto::Digest& key = (*target)->subject_hash;
  const std::string& account_id = (*target)->account_id;

  const TimePoint now = deps_.clock.now();
  bool revoke = true;
  switch (signal.kind) {
    case sdk::SignalKind::sessions_revoked:
      break;
    case sdk::SignalKind::identity_unlinked:
      if (auto unlinked = deps_.accounts.unlink_identity(key); !unlinked) return unlinked.error();
      break;
    case sdk::SignalKind::account_disabled:
      if (auto disabled = deps_.accounts.set_identity_disabled(key, true, now); !disabled) {
        return disabled.error();
      }
      break;
    case sdk::SignalKind::account_enabled:
      if (auto enabled = deps_.accounts.set_identity_disabled(key, false, now); !enabled) {
        return enabled.error();
      }
      revoke = false;
      break;
    case sdk::SignalKind::deletion_requested:
    case sdk::SignalKind::district_revoked:
      return sdk::Error{sdk::ErrorCode::internal, "not a signal about one account"};
  }
  if (revoke) {
    if (auto revoked = deps_.revocations.revoke_account(account_id, actor); !revoked) {
      return revoked.error();
    }
  }
  if (auto audited = audit(actor, signal, (*target)->district_id, account_id); !audited) {
    return audited.error();
  }
  return Effect::applied;
}

sdk::Result<SignalService::Effect> SignalService::apply_to_district(
    const signin::Connection& connection, const sdk::ProviderSignal& signal,
    const std::string& actor) const {
  // Only a district this connection maps: a provider shared by many districts must not
  // withdraw another district's access.
  std::optional<std::string> district_id;
  if (signal.provider_district) {
    auto mapped = connection.config.provider_districts.find(*signal.provider_district);
    if (mapped != connection.config.provider_districts.end()) district_id = mapped->second;
  } else {
    district_id = connection.config.district;
  }
  if (!district_id) return Effect::unknown_subject;
  if (auto revoked = deps_.revocations.revoke_district(*district_id, actor); !revoked) {
    return revoked.error();
  }
  if (auto audited = audit(actor, signal, district_id, *district_id); !audited) {
    return audited.error();
  }
  return Effect::applied;
}

sdk::Result<SignalService::Applied> SignalService::apply_deletion(
    const signin::Connection& connection, const sdk::ProviderSignal& signal,
    const crypto::Digest& signal_hash, const std::string& actor) const {
  const std::string& connection_id = connection.config.id;
  auto claimed = deps_.signals.claim_signal(connection_id, signal_hash, deps_.clock.now());
  if (!claimed) return claimed.error();
  if (!*claimed) {
    // The provider asks again: answer with a fresh code that shows the first request's status
    // (only hashes of the codes given out are kept). A request still "received" was
    // interrupted (or is under way), and this delivery applies it again. No request at all:
    // the id belongs to a signal of another kind (the same signed_request sent to another
    // callback), which must not turn into a deletion.
    auto first = deps_.signals.deletion_status_of_signal(connection_id, signal_hash);
    if (!first) return first.error();
    if (!*first || **first != DeletionStatus::received) {
      auto code = issue_code(connection, signal_hash, first->value_or(DeletionStatus::no_data));
      if (!code) return code.error();
      return Applied{Effect::replayed, std::move(*code)};
    }
  }

  auto result = [&]() -> sdk::Result<Applied> {
    auto code = issue_code(connection, signal_hash, DeletionStatus::received);
    if (!code) return code.error();
    auto target = find_target(connection, signal);
    if (!target) return target.error();
    DeletionStatus status = DeletionStatus::no_data;
    Effect effect = Effect::unknown_subject;
    if (*target) {
      const std::string& account_id = (*target)->account_id;
      auto deletion = deps_.deleter.delete_account(account_id, actor, "provider_data_deletion");
      if (!deletion) return deletion.error();
      switch (deletion->outcome) {
        case directives::AccountDeletion::Outcome::deleted:
          status = DeletionStatus::completed;
          break;
        case directives::AccountDeletion::Outcome::held:
          status = DeletionStatus::held;
          break;
        case directives::AccountDeletion::Outcome::not_found:
          status = DeletionStatus::no_data;
          break;
      }
      if (auto audited = audit(actor, signal, (*target)->district_id, account_id); !audited) {
        return audited.error();
      }
      effect = Effect::applied;
    }
    if (auto set = deps_.signals.set_deletion_status(connection_id, signal_hash, status,
                                                     deps_.clock.now());
        !set) {
      return set.error();
    }
    return Applied{effect, std::move(*code)};
  }();
  if (!result) {
    if (auto released = deps_.signals.release_signal(connection_id, signal_hash); !released) {
      spdlog::error("webhook receipt not released: connection={} detail={}", connection_id,
                    deps_.redact(released.error().detail));
    }
  }
  return result;
}

sdk::Result<std::optional<SignalService::Target>> SignalService::find_target(
    const signin::Connection& connection, const sdk::ProviderSignal& signal) const {
  if (signal.subject.empty()) {
    return sdk::Error{sdk::ErrorCode::internal, "the plugin gave a signal without a subject"};
  }
  Target target;
  target.subject_hash =
      deps_.minimizer.identity_key(connection.config.identity_namespace, signal.subject)
          .subject_hash;
  auto link = deps_.accounts.find_identity(target.subject_hash);
  if (!link) return link.error();
  if (!*link) return std::optional<Target>{};
  target.account_id = (*link)->account_id;
  auto account = deps_.accounts.find_account(target.account_id);
  if (!account) return account.error();
  if (*account) target.district_id = (*account)->account.district_id;
  return std::optional<Target>(std::move(target));
}

sdk::Result<std::string> SignalService::issue_code(const signin::Connection& connection,
                                                   const crypto::Digest& signal_hash,
                                                   DeletionStatus status) const {
  std::string code = crypto::random_token(kConfirmationCodeBytes);
  if (auto added = deps_.signals.add_deletion_request(hash_of(code), connection.config.id,
                                                      signal_hash, status, deps_.clock.now());
      !added) {
    return added.error();
  }
  return code;
}

sdk::Result<void> SignalService::audit(const std::string& actor, const sdk::ProviderSignal& signal,
                                       std::optional<std::string> district_id,
                                       std::string object) const {
  store::AuditEvent event;
  event.at = deps_.clock.now();
  event.district_id = std::move(district_id);
  event.actor = actor;
  event.action = "signal." + std::string(to_string(signal.kind));
  event.object = std::move(object);
  auto appended = deps_.audit.append(event);
  if (!appended) return appended.error();
  return {};
}

void SignalService::forget_old() const {
  const TimePoint now = deps_.clock.now();
  const auto due = next_forget_.load(std::memory_order_relaxed);
  if (now.time_since_epoch().count() < due) return;
  const auto next = (now + std::chrono::hours(1)).time_since_epoch().count();
  auto expected = due;
  if (!next_forget_.compare_exchange_strong(expected, next)) return;
  if (auto forgotten =
          deps_.signals.forget(now - kReceiptRetention, now - kDeletionRequestRetention);
      !forgotten) {
    spdlog::warn("forgetting old webhook receipts failed: detail={}",
                 deps_.redact(forgotten.error().detail));
  }
}

}  // namespace lmsgw::signals
