// A fake of Clever's sign-in and SSO API (PROTOCOLS.md section 1), served over real HTTP(S)
// by tests and the demo. It implements the documented behaviour the gateway relies on:
// exact redirect-URI registration, HTTP Basic client authentication, codes that expire after
// a minute and redeem once, bearer tokens for /v3.0/me and /v3.0/users/{id}, and Instant
// Login. Fixture users carry every personal field Clever can send, so tests can prove the
// gateway drops them.
//
// Test-only extras under /__fake/: inject faults into the next N calls of an endpoint, and
// read counters.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "http/router.h"

namespace lmsgw::fakes {

struct FakeCleverOptions {
  std::string client_id;
  std::string client_secret;
  // Registered redirect URIs; the first is the primary one Instant Login uses.
  std::vector<std::string> redirect_uris;
  // Signs this user in without showing the picker (for scripts and the demo).
  std::optional<std::string> auto_login_user;
  std::chrono::seconds code_lifetime{60};
};

class FakeClever {
 public:
  // `fixture` is {"users": [<Clever v3 user>...]}.
  FakeClever(FakeCleverOptions options, boost::json::object fixture);

  // The browser-facing endpoints (authorize, instant-login).
  void add_browser_routes(http::Router& router);
  // The server-to-server endpoints (tokens, /v3.0/...) and the /__fake/ controls.
  void add_api_routes(http::Router& router);

 private:
  struct Code {
    std::string user_id;
    std::string redirect_uri;
    std::chrono::steady_clock::time_point expires_at;
  };
  enum class FaultMode { status, malformed, html, slow };
  struct Fault {
    FaultMode mode = FaultMode::status;
    int status = 500;
    int count = 1;
    std::chrono::milliseconds delay{0};
  };

  http::Response authorize(const http::Request& request);
  http::Response instant_login(const http::Request& request);
  http::Response tokens(const http::Request& request);
  http::Response me(const http::Request& request);
  http::Response user(const http::Request& request);
  http::Response set_fault(const http::Request& request);
  http::Response clear_faults(const http::Request& request);
  http::Response stats(const http::Request& request);

  // A pending fault for `endpoint`, consumed; nullopt when none.
  std::optional<http::Response> take_fault(const std::string& endpoint);
  std::string issue_code(const std::string& user_id, const std::string& redirect_uri);
  const boost::json::object* find_user(std::string_view id) const;
  const boost::json::object* user_for_token(const http::Request& request, std::string& user_id);

  FakeCleverOptions options_;
  std::vector<boost::json::object> users_;
  std::mutex mutex_;
  std::map<std::string, Code> codes_;
  std::map<std::string, std::string> tokens_;  // access token -> user id
  std::map<std::string, Fault> faults_;        // endpoint -> fault
  std::map<std::string, int> counters_;
};

}  // namespace lmsgw::fakes
