// The outbound HTTP client: the implementation of sdk::HttpClient the core lends plugins.
// TLS peers are always verified: certificate chain against the system trust store plus the
// configured extra CA, and the host name (or IP address) against the certificate.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "lmsgw/sdk/http.h"

namespace lmsgw::http {

struct ClientOptions {
  // PEM file of extra CAs to trust in addition to the system store (e.g. a test CA).
  std::optional<std::string> extra_ca_file;
  bool use_system_trust_store = true;
  std::chrono::milliseconds default_timeout{10'000};
  std::size_t default_max_response_bytes = 1024 * 1024;
  // Plain http:// is refused unless this is set (only the demo and tests use it, and only
  // toward loopback addresses).
  bool allow_plain_http_to_loopback = false;
  // Host-name lookups in flight at once. getaddrinfo cannot be cancelled, so each runs on a
  // thread of its own; a call finding every slot busy waits up to its own deadline and then
  // fails with upstream_unavailable ("DNS resolution queue full"). IP-address hosts never wait.
  // At least 1.
  std::size_t max_dns_lookups = 8;
  // Tests only: runs on the lookup thread before each host-name lookup, so a test can hold
  // lookups and occupy every slot.
  std::function<void(const std::string& host)> before_dns_lookup_for_test;
};

class Client final : public sdk::HttpClient {
 public:
  // Loads the trust store once. Errors (unreadable CA file) are reported by create().
  static sdk::Result<std::unique_ptr<Client>> create(ClientOptions options);
  ~Client() override;

  // sdk::HttpClient
  sdk::Result<sdk::HttpResponse> send(const sdk::HttpRequest& request) noexcept override;

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lmsgw::http
