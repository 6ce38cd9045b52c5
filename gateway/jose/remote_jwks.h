// sdk::TokenVerifier for plugins: verifies JWTs against keys a provider publishes at a JWKS
// URL, with one audited implementation of JOSE (this module) for every plugin.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "jose/key_set.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/http.h"

namespace lmsgw::jose {

class RemoteJwksVerifier final : public sdk::TokenVerifier {
 public:
  // A JWKS is kept for its Cache-Control max-age, clamped to this range (an hour without one).
  static constexpr std::chrono::seconds kMinKeep{60};
  static constexpr std::chrono::seconds kMaxKeep{24 * 3600};
  static constexpr std::chrono::seconds kDefaultKeep{3600};
  // A kid the cached set lacks triggers a fetch at most this often per JWKS URL, so a flood of
  // tokens with made-up kids cannot turn into a flood of requests to the provider.
  static constexpr std::chrono::seconds kRefetchInterval{60};
  // After a failed fetch with no usable keys, the failure is the answer for this long: a
  // provider that is down must not be asked again by every waiting sign-in.
  static constexpr std::chrono::seconds kFailureMemory{10};
  static constexpr std::size_t kMaxJwksBytes = 256 * 1024;

  RemoteJwksVerifier(sdk::HttpClient& http, const sdk::Clock& clock);

  // sdk::TokenVerifier
  sdk::Result<sdk::VerifiedJwt> verify(std::string_view compact,
                                       const sdk::JwtCheck& check) noexcept override;

 private:
  using TimePoint = std::chrono::system_clock::time_point;
  struct Fetched {
    KeySet keys;
    TimePoint keep_until{};
  };
  // One JWKS URL. Its own lock serialises its fetches, so callers of one provider share a
  // fetch while another provider's slow endpoint holds up nobody else.
  struct Source {
    std::mutex mutex;
    std::shared_ptr<const Fetched> keys;
    TimePoint last_attempt{};
    std::optional<sdk::Error> last_failure;
  };

  // The set for `uri`: cached when fresh, fetched otherwise, or when `kid` is missing from it
  // and the last attempt is older than kRefetchInterval.
  sdk::Result<std::shared_ptr<const Fetched>> keys_for(const std::string& uri,
                                                       const std::string& kid);
  sdk::Result<std::shared_ptr<const Fetched>> fetch(const std::string& uri);
  Source& source(const std::string& uri);

  sdk::HttpClient& http_;
  const sdk::Clock& clock_;
  std::mutex sources_mutex_;
  std::map<std::string, std::unique_ptr<Source>> sources_;
};

}  // namespace lmsgw::jose
