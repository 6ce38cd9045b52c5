// A fake of Facebook Login and the Graph API (PROTOCOLS.md section 3), served over real HTTPS
// by tests and the demo. It implements what the gateway relies on: the versioned login dialog
// with exact redirect-URI registration, single-use short-lived codes redeemed at the versioned
// `oauth/access_token` with the app secret, and Graph `/me` with app "Require App Secret" on:
// every call must carry the right `appsecret_proof`, or it is refused with a Graph error.
// `/me` answers only the fields asked for (and permitted by the granted scopes), while the
// fixture users hold canaries in every other field, so tests can prove the gateway neither
// asks for nor keeps them.
//
// Test-only extras under /__fake/: inject faults into the next N calls of an endpoint, read
// counters (Graph calls with a valid, invalid or missing proof; the last field list), and mint
// the `signed_request` Facebook would POST to the Deauthorize or Data Deletion callback
// (POST /__fake/signed_request?user_id=ID&callback=deauthorize|data-deletion[&forge=KIND]),
// genuine or forged in a chosen way (wrong_secret, old, future, expired, wrong_algorithm).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "http/router.h"

namespace lmsgw::fakes {

struct FakeFacebookOptions {
  std::string app_id;
  std::string app_secret;
  // The one Graph version served, e.g. "v21.0"; any other version in a path is refused.
  std::string graph_version = "v21.0";
  // Registered redirect URIs, compared exactly.
  std::vector<std::string> redirect_uris;
  // Signs this user in without showing the picker (for the demo).
  std::optional<std::string> auto_login_user;
  std::chrono::seconds code_lifetime{60};
};

class FakeFacebook {
 public:
  // `fixture` is {"users": [<Graph user object with "id">...]}.
  FakeFacebook(FakeFacebookOptions options, boost::json::object fixture);

  // The browser-facing endpoint: GET /{version}/dialog/oauth.
  void add_browser_routes(http::Router& router);
  // Graph (GET /{version}/oauth/access_token, GET /{version}/me) and the /__fake/ controls.
  void add_api_routes(http::Router& router);

 private:
  struct Code {
    std::string user_id;
    std::string redirect_uri;
    std::set<std::string> scopes;
    std::chrono::steady_clock::time_point expires_at;
  };
  struct Token {
    std::string user_id;
    std::set<std::string> scopes;
  };
  enum class FaultMode { status, malformed, html, slow };
  struct Fault {
    FaultMode mode = FaultMode::status;
    int status = 500;
    int graph_code = 1;
    int count = 1;
    std::chrono::milliseconds delay{0};
  };

  http::Response dialog(const http::Request& request);
  http::Response access_token(const http::Request& request);
  http::Response me(const http::Request& request);
  http::Response set_fault(const http::Request& request);
  http::Response clear_faults(const http::Request& request);
  http::Response stats(const http::Request& request);
  http::Response mint_signed_request(const http::Request& request);

  // A pending fault for `endpoint`, consumed; nullopt when none.
  std::optional<http::Response> take_fault(const std::string& endpoint);
  const boost::json::object* find_user(std::string_view id) const;
  void count(const std::string& name);

  FakeFacebookOptions options_;
  std::vector<boost::json::object> users_;
  std::mutex mutex_;
  std::map<std::string, Code> codes_;
  std::set<std::string> spent_codes_;
  std::map<std::string, Token> tokens_;
  std::map<std::string, Fault> faults_;  // endpoint -> fault
  std::map<std::string, int> counters_;
  std::string last_fields_;
};

}  // namespace lmsgw::fakes
