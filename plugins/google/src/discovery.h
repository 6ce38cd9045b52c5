// The provider's OpenID Connect discovery document (OpenID Connect Discovery 1.0 section 3),
// fetched through the gateway's HTTP client and kept for a bounded time, so that endpoints and
// keys are read from the provider rather than hard-coded.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::plugins::google {

// Larger documents are refused: Google's is about 1.5 KiB.
inline constexpr std::size_t kMaxDiscoveryBytes = 64 * 1024;

struct Discovery {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  // RFC 9207: the provider puts `iss` in its authorization responses.
  bool issuer_in_response = false;
};

struct DiscoveryRules {
  std::string url;
  // The document's issuer must be one of these.
  std::vector<std::string> issuers;
  // Each must be listed where the document lists the supported values at all.
  std::vector<std::string> algorithms;
  std::string client_auth_method;
  std::chrono::seconds lifetime{3600};
  std::chrono::milliseconds timeout{10'000};
};

// Parses and checks a Cross-Account Protection (RISC) configuration document (PROTOCOLS.md
// 2.3): a JSON object with issuer (one of `rules.issuers`) and jwks_uri (https); the other
// members of Discovery stay empty. Errors: upstream_malformed.
sdk::Result<Discovery> parse_risc_configuration(std::string_view body,
                                                const DiscoveryRules& rules);

// Parses and checks a document: a JSON object with issuer (one of `rules.issuers`),
// authorization_endpoint (https, or http on a loopback host where only a browser goes),
// token_endpoint and jwks_uri (https), and where listed, support for response type `code`, PKCE
// S256, one of our algorithms and our client authentication. Errors: upstream_malformed.
sdk::Result<Discovery> parse_discovery(std::string_view body, const DiscoveryRules& rules);

// Thread-safe. A document is used for `rules.lifetime`; when a refresh fails, the previous one
// goes on serving for at most one more lifetime, so a provider's brief outage does not stop
// sign-in while a changed document is still picked up in bounded time. Without a usable
// document, a failed fetch is not retried for a few seconds; its error is answered meanwhile.
class DiscoveryCache {
 public:
  using Parser = sdk::Result<Discovery> (*)(std::string_view body, const DiscoveryRules& rules);

  // `parse` reads the fetched document: parse_discovery or parse_risc_configuration.
  DiscoveryCache(DiscoveryRules rules, sdk::HttpClient& http, const sdk::Clock& clock,
                 sdk::Logger& logger, Parser parse = parse_discovery);

  sdk::Result<std::shared_ptr<const Discovery>> get();

 private:
  sdk::Result<Discovery> fetch();

  DiscoveryRules rules_;
  Parser parse_;
  sdk::HttpClient& http_;
  const sdk::Clock& clock_;
  sdk::Logger& logger_;
  std::mutex mutex_;
  std::shared_ptr<const Discovery> current_;
  std::chrono::system_clock::time_point fetched_at_{};
  // While a stale document serves, refreshes are tried no more often than this.
  std::chrono::system_clock::time_point next_retry_{};
  // The last failure, answered until next_retry_ while no document is usable: sign-ins queue
  // on mutex_ during a fetch, and a provider that is down or slow must not be asked by each.
  std::optional<sdk::Error> last_failure_;
};

}  // namespace lmsgw::plugins::google
