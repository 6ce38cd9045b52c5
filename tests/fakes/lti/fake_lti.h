// A fake LMS platform speaking LTI 1.3 (PROTOCOLS.md section 4), served over real HTTPS by
// tests and the demo. It does what a tool relies on a platform for: it starts launches with a
// third-party initiated login (GET redirect or auto-submitting form POST) at the tool's login
// URL, runs the OIDC authorization endpoint (exact client id and registered redirect URI,
// response_mode=form_post, prompt=none, the login_hint and lti_message_hint it issued, each
// usable once), answers with an auto-submitting form POST of an RS256 id_token and the state,
// and publishes its keys as a JWKS. Fixture users carry every personal claim an LMS can send,
// so tests can prove the gateway drops them.
//
// Test-only extras under /__fake/: start a launch for a script, make the next id_tokens wrong
// in one way each (faults), rotate or retire signing keys, read counters.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "http/router.h"
#include "jose/keys.h"

namespace lmsgw::fakes {

struct FakeLtiOptions {
  // The platform's issuer id (iss).
  std::string issuer;
  // The tool's client id at this platform.
  std::string client_id;
  // Registered redirect URIs (launch URLs): the id_token is posted to one of these only.
  std::vector<std::string> redirect_uris;
  // The tool's OIDC login initiation URL (the gateway's /login/{connection}).
  std::string login_url;
  // The deployment a launch names unless it asks for another.
  std::string deployment_id = "dep-1";
  // Where a launch lands unless it asks for another.
  std::string target_link_uri;
  std::chrono::seconds token_lifetime{300};
};

class FakeLti {
 public:
  // `fixture` is {"context": {...}, "users": [{"id": ..., "claims": {...}}]}: each user's
  // claims (roles, names, email, lis, custom, ...) go into their id_token as they are.
  // Throws std::runtime_error when the first signing key cannot be made.
  FakeLti(FakeLtiOptions options, boost::json::object fixture);

  // The browser-facing endpoints (/__fake/launch, /lti/authorize).
  void add_browser_routes(http::Router& router);
  // The JWKS and the /__fake/ controls.
  void add_api_routes(http::Router& router);

 private:
  struct PendingLaunch {
    std::string user_id;
    std::string deployment_id;
    std::string target_link_uri;
    std::string message_hint;
    // What the signed launch names, when a test makes it differ from what the login named.
    std::optional<std::string> token_deployment_id;
    std::optional<std::string> token_target_link_uri;
  };

  http::Response launch(const http::Request& request);
  http::Response authorize(const http::Request& request);
  http::Response jwks(const http::Request& request);
  http::Response set_fault(const http::Request& request);
  http::Response clear_faults(const http::Request& request);
  http::Response rotate_keys(const http::Request& request);
  http::Response retire_keys(const http::Request& request);
  http::Response stats(const http::Request& request);

  // The id_token for `launch`, with the next pending fault (if any) applied.
  sdk::Result<std::string> issue_id_token(const PendingLaunch& launch,
                                          const boost::json::object& user,
                                          const std::string& nonce);
  std::optional<std::string> take_fault();
  const boost::json::object* find_user(std::string_view id) const;
  void count(const std::string& name);

  FakeLtiOptions options_;
  std::vector<boost::json::object> users_;
  boost::json::object context_;
  std::mutex mutex_;
  // Published keys, newest last; the newest signs.
  std::vector<jose::SigningKey> keys_;
  int next_key_ = 1;
  std::map<std::string, PendingLaunch> launches_;    // login_hint -> launch
  std::vector<std::pair<std::string, int>> faults_;  // fault name, remaining count
  std::map<std::string, int> counters_;
};

}  // namespace lmsgw::fakes
