// A fake of Google's OpenID Connect provider (PROTOCOLS.md section 2), served over real HTTPS by
// tests and the demo. It implements what the gateway relies on: a discovery document, a JWKS of
// RS256 keys (rotated on request), an authorization endpoint that checks the exact
// redirect-URI registration and requires PKCE S256, a token endpoint that checks client
// authentication (Basic or form) and the code_verifier, codes that expire after a minute and
// redeem once, and ID tokens with nonce, hd, email and email_verified. Fixture users carry
// canaries in every claim the gateway must drop.
//
// Cross-Account Protection (PROTOCOLS.md 2.3): the RISC configuration (issuer: the ID-token
// issuer with a trailing slash, as Google's) and its own JWKS with its own RS256 key.
//
// Test-only extras under /__fake/: make the next ID tokens (or the discovery document) wrong
// in a chosen way, rotate the signing key, read counters, and mint the security event token
// Google would POST to a RISC receiver (POST /__fake/risc/set?sub=SUB&event=sessions-revoked|
// tokens-revoked|account-disabled|account-enabled|verification[&reason=R][&jti=J]
// [&forge=wrong_key|wrong_aud|old_iat|future_iat]), answered as the compact token.
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

struct FakeGoogleOptions {
  std::string client_id;
  std::string client_secret;
  // Registered redirect URIs, matched exactly.
  std::vector<std::string> redirect_uris;
  // The `iss` of discovery and ID tokens.
  std::string issuer = "https://accounts.google.com";
  // Signs this user (email or sub) in when the request has no login_hint (demo, scripts).
  std::optional<std::string> auto_login_user;
  std::chrono::seconds code_lifetime{60};
  std::chrono::seconds token_lifetime{3600};
  // Cache-Control max-age of the JWKS.
  std::chrono::seconds jwks_max_age{3600};
};

class FakeGoogle {
 public:
  // `fixture` is {"users": [<ID token claims of one user>...]}; each needs `sub`. Generates the
  // first RS256 signing key (throws std::runtime_error when that fails).
  FakeGoogle(FakeGoogleOptions options, boost::json::object fixture);

  // Where the endpoints are published in the discovery document: `api_base` (https) for
  // token and JWKS, `browser_base` for the authorization endpoint. Call before serving.
  void set_base_urls(std::string api_base, std::string browser_base);

  // The authorization endpoint.
  void add_browser_routes(http::Router& router);
  // Discovery, JWKS, token endpoint and the /__fake/ controls.
  void add_api_routes(http::Router& router);

 private:
  struct Code {
    std::string sub;
    std::string redirect_uri;
    std::string code_challenge;
    std::string nonce;
    bool profile = false;
    std::chrono::steady_clock::time_point expires_at;
  };

  http::Response discovery(const http::Request& request);
  http::Response jwks(const http::Request& request);
  http::Response authorize(const http::Request& request);
  http::Response token(const http::Request& request);
  http::Response set_fault(const http::Request& request);
  http::Response clear_faults(const http::Request& request);
  http::Response rotate_keys(const http::Request& request);
  http::Response stats(const http::Request& request);
  http::Response risc_configuration(const http::Request& request);
  http::Response risc_jwks(const http::Request& request);
  http::Response mint_security_event(const http::Request& request);

  std::string id_token_for(const Code& code);
  // A pending fault of `kind` for the next call, consumed; false when none.
  bool take_fault(const std::string& kind);
  const boost::json::object* find_user(std::string_view hint) const;
  void count(const std::string& name);

  FakeGoogleOptions options_;
  std::vector<boost::json::object> users_;
  std::string api_base_;
  std::string browser_base_;
  std::mutex mutex_;
  // The last key signs; all are published (older ones until they are retired).
  std::vector<jose::SigningKey> keys_;
  int key_serial_ = 0;
  // Signs security event tokens; published at the RISC configuration's jwks_uri only.
  jose::SigningKey risc_key_;
  std::map<std::string, Code> codes_;
  std::map<std::string, int> faults_;  // kind -> remaining count
  std::map<std::string, int> counters_;
};

}  // namespace lmsgw::fakes
