// A scripted browser for integration tests: a cookie jar (host-keyed, like browsers for
// loopback: ports share cookies) over the gateway's own HTTP client, following redirects
// one hop at a time so tests can look at every response.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "http/client.h"

namespace lmsgw::testing {

class TestBrowser {
 public:
  // Trusts `ca_file` for https and allows plain http to loopback.
  explicit TestBrowser(const std::string& ca_file);

  // One request, cookies sent and stored. Fails the test (throws) on transport errors.
  sdk::HttpResponse get(const std::string& url);
  sdk::HttpResponse post_form(const std::string& url, const std::string& form);
  // Follows redirects (up to 10); returns the last response and records every URL visited.
  sdk::HttpResponse follow(const std::string& url);

  const std::vector<std::string>& visited() const noexcept { return visited_; }
  // Every response body and header seen so far, concatenated (for canary checks).
  const std::string& transcript() const noexcept { return transcript_; }
  std::string cookie(const std::string& name) const;
  void set_cookie(const std::string& name, const std::string& value);
  void clear_cookies() { cookies_.clear(); }

 private:
  sdk::HttpResponse send(sdk::HttpRequest request);

  std::unique_ptr<http::Client> client_;
  std::map<std::string, std::string> cookies_;
  std::vector<std::string> visited_;
  std::string transcript_;
};

// The Location of a redirect, resolved against `base` when relative.
std::string location_of(const sdk::HttpResponse& response, const std::string& base);

}  // namespace lmsgw::testing
