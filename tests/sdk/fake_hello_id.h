// A fake of "Hello ID", the provider of the SDK's example plugin (sdk/examples/hello_provider):
// a real HTTPS server in the test process. It signs the hinted fixture user in without any
// page, and holds the plugin to what a real provider would: exact redirect URI, HTTP Basic
// client authentication, PKCE S256 checked against the challenge, codes redeemed once, and a
// bearer token for the userinfo endpoint.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "http/router.h"
#include "http/server.h"
#include "tests/support/test_pki.h"

namespace lmsgw::testing {

struct FakeHelloIdOptions {
  std::string client_id;
  std::string client_secret;
  std::string redirect_uri;
  // The fixture: Hello ID `sub` -> userinfo JSON.
  std::map<std::string, std::string> users;
};

class FakeHelloId {
 public:
  FakeHelloId(const TestPki& pki, FakeHelloIdOptions options);
  ~FakeHelloId();
  FakeHelloId(const FakeHelloId&) = delete;
  FakeHelloId& operator=(const FakeHelloId&) = delete;

  std::string url() const;
  // Codes redeemed, and redemptions refused (reused code, wrong verifier, wrong client...).
  int redeemed() const;
  int refused() const;

 private:
  struct Grant {
    std::string user;
    std::string redirect_uri;
    std::string code_challenge;
  };

  http::Response authorize(const http::Request& request);
  http::Response token(const http::Request& request);
  http::Response userinfo(const http::Request& request);
  http::Response refuse(std::string_view error);

  FakeHelloIdOptions options_;
  http::Router router_;
  std::unique_ptr<http::HttpServer> server_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::map<std::string, Grant> codes_;
  std::map<std::string, std::string> tokens_;  // access token -> user
  int redeemed_ = 0;
  int refused_ = 0;
  int issued_ = 0;
};

}  // namespace lmsgw::testing
