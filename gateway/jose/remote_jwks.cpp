#include "jose/remote_jwks.h"

#include <algorithm>
#include <charconv>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "jose/jwt.h"
#include "lmsgw/sdk/encoding.h"

namespace lmsgw::jose {
namespace {

// The kid a compact token's header names ("" when none or unreadable). Only a hint for the
// cache; verify() parses and checks the header properly.
std::string kid_hint(std::string_view compact) {
  const std::size_t dot = compact.find('.');
  if (dot == std::string_view::npos || dot > 4096) return {};
  auto header = sdk::base64url_decode(compact.substr(0, dot));
  if (!header) return {};
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(*header, ec);
  const boost::json::object* object = ec ? nullptr : parsed.if_object();
  const boost::json::value* kid = object != nullptr ? object->if_contains("kid") : nullptr;
  return kid != nullptr && kid->is_string() ? std::string(kid->get_string()) : std::string();
}

std::chrono::seconds keep_for(const sdk::HttpHeaders& headers) {
  const std::string_view cache_control = sdk::find_header(headers, "Cache-Control");
  const std::size_t at = cache_control.find("max-age=");
  if (at == std::string_view::npos) return RemoteJwksVerifier::kDefaultKeep;
  long seconds = 0;
  const char* first = cache_control.data() + at + 8;
  auto [end, ec] = std::from_chars(first, cache_control.data() + cache_control.size(), seconds);
  if (ec != std::errc{} || end == first) return RemoteJwksVerifier::kDefaultKeep;
  return std::clamp(std::chrono::seconds(seconds), RemoteJwksVerifier::kMinKeep,
                    RemoteJwksVerifier::kMaxKeep);
}

}  // namespace

RemoteJwksVerifier::RemoteJwksVerifier(sdk::HttpClient& http, const sdk::Clock& clock)
    : http_(http), clock_(clock) {}

sdk::Result<std::shared_ptr<const RemoteJwksVerifier::Fetched>> RemoteJwksVerifier::fetch(
    const std::string& uri) {
  sdk::HttpRequest request;
  request.url = uri;
  request.headers = {{"Accept", "application/json"}};
  request.max_response_bytes = kMaxJwksBytes;
  auto response = http_.send(request);
  if (!response) return response.error();
  if (response->status != 200) {
    return sdk::Error{sdk::ErrorCode::upstream_rejected,
                      "JWKS answered HTTP " + std::to_string(response->status)};
  }
  auto loaded = KeySet::from_jwks_text(response->body);
  if (!loaded)
    return sdk::Error{sdk::ErrorCode::upstream_malformed, "JWKS: " + loaded.error().detail};
  return std::shared_ptr<const Fetched>(std::make_shared<Fetched>(
      Fetched{std::move(loaded->keys), clock_.now() + keep_for(response->headers)}));
}

RemoteJwksVerifier::Source& RemoteJwksVerifier::source(const std::string& uri) {
  std::lock_guard lock(sources_mutex_);
  std::unique_ptr<Source>& entry = sources_[uri];
  if (!entry) entry = std::make_unique<Source>();
  return *entry;
}

sdk::Result<std::shared_ptr<const RemoteJwksVerifier::Fetched>> RemoteJwksVerifier::keys_for(
    const std::string& uri, const std::string& kid) {
  Source& source = this->source(uri);
  std::lock_guard lock(source.mutex);
  const TimePoint now = clock_.now();
  // A clock set back must not stretch a pause: an attempt "in the future" counts as long ago.
  const auto since_attempt = now >= source.last_attempt
                                 ? now - source.last_attempt
                                 : std::chrono::system_clock::duration::max();
  const bool usable = source.keys != nullptr && now < source.keys->keep_until;
  if (usable) {
    const bool knows_kid = kid.empty() || source.keys->keys.find(kid) != nullptr;
    if (knows_kid || since_attempt < kRefetchInterval) return source.keys;
  } else if (source.last_failure && since_attempt < kFailureMemory) {
    return *source.last_failure;
  }
  source.last_attempt = now;
  auto fetched = fetch(uri);
  if (!fetched) {
    source.last_failure = fetched.error();
    // A provider's outage must not turn cached, still-usable keys into refusals.
    if (usable) return source.keys;
    return fetched.error();
  }
  source.last_failure.reset();
  source.keys = *fetched;
  return fetched;
}

sdk::Result<sdk::VerifiedJwt> RemoteJwksVerifier::verify(std::string_view compact,
                                                         const sdk::JwtCheck& check) noexcept {
  try {
    if (!check.jwks_uri.starts_with("https://")) {
      return sdk::Error{sdk::ErrorCode::config_invalid, "jwks_uri must be https"};
    }
    JwtRules rules;
    for (const std::string& name : check.algorithms) {
      auto algorithm = algorithm_from_string(name);
      if (!algorithm) {
        return sdk::Error{sdk::ErrorCode::config_invalid,
                          "unsupported algorithm in check: " + std::string(refusal_reason(name))};
      }
      rules.algorithms.push_back(*algorithm);
    }
    rules.typ = check.typ;
    rules.claims.issuers = check.issuers;
    rules.claims.audiences = check.audiences;
    rules.claims.now = clock_.now();
    rules.claims.leeway = check.leeway;
    rules.claims.require_expiry = check.require_expiry;
    rules.claims.nonce = check.nonce;

    auto keys = keys_for(check.jwks_uri, kid_hint(compact));
    if (!keys) return keys.error();
    auto verified = verify_jwt(compact, (*keys)->keys, rules);
    if (!verified) return verified.error();
    return sdk::VerifiedJwt{boost::json::serialize(verified->header),
                            boost::json::serialize(verified->claims),
                            std::string(to_string(verified->algorithm)), verified->kid};
  } catch (const std::exception&) {
    return sdk::Error{sdk::ErrorCode::internal, "token verification failed unexpectedly"};
  }
}

}  // namespace lmsgw::jose
