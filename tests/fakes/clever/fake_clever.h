// A fake of Clever (PROTOCOLS.md section 1), served over real HTTP(S) by tests and the demo.
//
// Sign-in: exact redirect-URI registration, HTTP Basic client authentication, codes that expire
// after a minute and redeem once, SSO bearer tokens for /v3.0/me and /v3.0/users/{id}, and
// Instant Login.
//
// Secure Sync: the district-app token list (`GET /oauth/tokens?owner_type=district`, Basic
// client auth, optional `&district=`), and with a district token the data API lists
// /v3.0/users, /v3.0/sections, /v3.0/schools and the event stream /v3.0/events: sorted by id,
// paged with `limit` (default 100; 413 above 10000) and `starting_after`, a `rel: next` link
// while records remain. A district token reads its own district's records only (and
// /v3.0/users/{id} of them).
//
// Fixture (JSON), every key optional:
//   {"users":    [<Clever v3 user, with "district">...],
//    "districts":[{"id": "<district id>", "token": "<district-app token>"}...],
//    "sections": [<Clever v3 section, with "district", "students", "teachers">...],
//    "schools":  [<Clever v3 school, with "district">...],
//    "events":   [{"id": "<event id>", "type": "users.created", "created": "...",
//                  "data": {"object": {...}, "previous_attributes": {...}}}...]}
// Event ids must sort in stream order. An event belongs to the district its object names
// (`district`, or the object's `id` for districts.* events), or to an explicit top-level
// "district" key, which is not served. Fixture records carry every personal field Clever can
// send, so tests can prove the gateway drops them.
//
// Test-only controls under /__fake/ (POST unless said):
//   faults?endpoint=E&mode=M[&status=N][&count=N][&delay_ms=N][&reset_in=S][&retry_after=S]
//       the next `count` calls of E answer with a fault. E: authorize, tokens, me, users (the
//       single record), district_tokens, users_list, sections, schools, events. M: status,
//       malformed, html, slow, truncated (the real page cut in half), rate_limit (429 with
//       X-RateLimit-Reset = now + reset_in and, when given, Retry-After = retry_after).
//   DELETE faults                        clears them
//   districts/revoke?district=D          the token leaves the list and stops working
//   districts/status?district=D&status=N the token stays listed but data calls answer N
//                                        (401 or 404; 0 restores)
//   districts/connect?district=D&token=T (re)connects D with token T
//   events[?apply=false]  body: an event or a list; appended (ids "zz<16 digits>" when absent)
//                         and, unless apply=false, applied to the records (users.* and
//                         sections.*); answers {"ids": [...]}
//   records?kind=K        body: a record or a list; upserted into users|sections|schools with
//                         no event
//   records/delete?kind=K&id=X           removed with no event
//   GET stats                            counters
#pragma once

#include <chrono>
#include <cstdint>
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
  enum class FaultMode { status, malformed, html, slow, truncated, rate_limit };
  struct Fault {
    FaultMode mode = FaultMode::status;
    int status = 500;
    int count = 1;
    std::chrono::milliseconds delay{0};
    std::int64_t reset_in = 30;
    std::optional<std::int64_t> retry_after;
  };
  struct District {
    std::string token;
    bool listed = true;
    int forced_status = 0;
  };
  // Records of one kind of one district, by id (sorted, as Clever pages them), as JSON text.
  using Records = std::map<std::string, std::string>;
  // kind ("users", "sections", "schools", "events") -> district -> records
  using Store = std::map<std::string, std::map<std::string, Records>>;

  http::Response authorize(const http::Request& request);
  http::Response instant_login(const http::Request& request);
  http::Response tokens(const http::Request& request);
  http::Response district_tokens(const http::Request& request);
  http::Response me(const http::Request& request);
  http::Response user(const http::Request& request);
  http::Response list(const http::Request& request, const std::string& kind,
                      const std::string& endpoint);
  http::Response set_fault(const http::Request& request);
  http::Response clear_faults(const http::Request& request);
  http::Response stats(const http::Request& request);
  http::Response control_district(const http::Request& request, std::string_view action);
  http::Response append_events(const http::Request& request);
  http::Response put_records(const http::Request& request);
  http::Response delete_record(const http::Request& request);

  // A pending fault for `endpoint`, consumed; nullopt when none.
  std::optional<Fault> take_fault(const std::string& endpoint);
  std::optional<http::Response> fault_response(const std::optional<Fault>& fault);
  bool client_authenticated(const http::Request& request) const;
  std::string issue_code(const std::string& user_id, const std::string& redirect_uri);
  // Callers hold mutex_.
  std::optional<boost::json::object> find_user(std::string_view id) const;
  std::optional<std::string> district_of_token(std::string_view token) const;
  void put(const std::string& kind, const boost::json::object& record);
  void apply_event(const boost::json::object& event);
  // Returns the event id (assigned when absent).
  std::string add_event(boost::json::object event);

  FakeCleverOptions options_;
  mutable std::mutex mutex_;
  Store store_;
  std::map<std::string, std::string> user_district_;  // user id -> district
  std::vector<std::string> user_order_;               // fixture order, for the picker
  std::map<std::string, District> districts_;
  std::uint64_t next_event_ = 1;
  std::map<std::string, Code> codes_;
  std::map<std::string, std::string> tokens_;  // SSO access token -> user id
  std::map<std::string, Fault> faults_;        // endpoint -> fault
  std::map<std::string, int> counters_;
};

}  // namespace lmsgw::fakes
