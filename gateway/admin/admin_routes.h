// How any module adds an authenticated route under /admin/v1 (docs/admin-api.md).
//
// A module builds AdminRoutes and hands them to the gateway's AdminRouter before the server
// starts. The router authenticates every request under /admin first: a request without a valid
// admin token gets 401 whatever its path (an unknown admin path included), so nothing under
// /admin, not even which paths exist, is visible without one. Then it checks the route's access
// before the handler runs:
//  - a route whose pattern has a `{district}` segment answers 404 `not_found` when the
//    principal may not access that district, exactly as for a district that does not exist, so
//    a district admin learns nothing about other districts' ids;
//  - an operator-only route answers 403 `forbidden` to a district admin of the same district.
//
//   AdminRoute route{{http::Method::get}, "/admin/v1/districts/{district}/directive",
//                    AdminAccess::district,
//                    [&](const http::Request& request, const AdminPrincipal& principal) {
//                      ...
//                      return json_response(200, document);
//                    }};
//   admin_router.add(std::move(route));
//
// Handlers run on the worker pool (they may read the database) and return JSON: their own
// answers through json_response(), failures through json_error() (`{"error": "...",
// "detail": "..."}`). A handler that reads account or district data records it with
// record_admin_read() before it answers (PRIVACY.md F).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "admin/admin_principal.h"
#include "admin/admin_tokens.h"
#include "http/message.h"
#include "http/router.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"
#include "metrics/metrics.h"
#include "store/audit_log.h"

namespace lmsgw::admin {

inline constexpr std::string_view kAdminApiPrefix = "/admin/v1/";
// Request bodies of the admin API are small JSON documents.
inline constexpr std::size_t kMaxAdminBodyBytes = 16 * 1024;

enum class AdminAccess : std::uint8_t {
  // Operators only. A `{district}` in the pattern is checked first (404 for a district admin
  // of another district), then a district admin of that district gets 403.
  operator_only,
  // The pattern has a `{district}` segment; the principal must be allowed that district.
  district,
  // Any valid admin token. The handler checks what it finds with principal.may_access(), for
  // routes that name no district (e.g. a certificate by id); it answers 404 when refused.
  any_admin,
};

using AdminHandler =
    std::function<http::Response(const http::Request& request, const AdminPrincipal& principal)>;

struct AdminRoute {
  std::vector<http::Method> methods;
  // Starts with kAdminApiPrefix, e.g. "/admin/v1/districts/{district}/revocation".
  std::string pattern;
  AdminAccess access = AdminAccess::district;
  AdminHandler handler;
};

// Counts of refused admin requests, for /metrics. Never labelled with request data.
struct AdminAuthCounters {
  std::atomic<std::uint64_t> missing{0};       // no Authorization header
  std::atomic<std::uint64_t> malformed{0};     // not "Bearer <token>"
  std::atomic<std::uint64_t> invalid{0};       // unknown or revoked token
  std::atomic<std::uint64_t> out_of_scope{0};  // another district, or operator-only
};

class AdminRouter {
 public:
  // `districts`: the configured districts; a `{district}` naming another one is 404.
  AdminRouter(AdminTokens& tokens, std::set<std::string, std::less<>> districts);
  AdminRouter(const AdminRouter&) = delete;
  AdminRouter& operator=(const AdminRouter&) = delete;

  // Throws std::invalid_argument for a pattern outside kAdminApiPrefix, a district route
  // without `{district}`, or a route without a handler (routes are built at start-up).
  void add(AdminRoute route);

  // Adds every route added so far to `router`, on the worker pool (authentication reads the
  // database), then the catch-all that authenticates any other path under /admin before it
  // answers 404 (or 405 with Allow for a known path). Call once, after every module's add().
  void install(http::Router& router);

  // Adds the refusal counters to `registry`; this object must outlive it.
  void register_metrics(metrics::Registry& registry) const;
  const AdminAuthCounters& counters() const noexcept { return counters_; }

 private:
  // The principal, or the 401 (or 500 when the token store fails) to answer.
  std::variant<AdminPrincipal, http::Response> authenticate(const http::Request& request);
  http::Response serve(const AdminRoute& route, const http::Request& request);
  http::Response serve_unknown(const http::Request& request);

  AdminTokens& tokens_;
  std::set<std::string, std::less<>> districts_;
  std::vector<AdminRoute> routes_;
  // The admin routes alone, to tell a wrong method (405) from an unknown path (404).
  http::Router known_;
  bool installed_ = false;
  AdminAuthCounters counters_;
};

// A JSON answer that no cache keeps.
http::Response json_response(int status, const boost::json::value& body);
// `{"error": error, "detail": detail}` (detail omitted when empty). `error` is a fixed
// snake_case word; `detail` must never carry personal data or a secret.
http::Response json_error(int status, std::string_view error, std::string_view detail = {});
// The answer to an error from a service: invalid_request 400, not_permitted 403,
// limit_exceeded 413, unsupported 415, anything else 500 (its detail logged, not sent).
http::Response json_error(const sdk::Error& error);

// The request body as a JSON object: unsupported (415) unless Content-Type is
// application/json, limit_exceeded (413) over `max_bytes`, invalid_request (400) for
// malformed JSON or anything but an object. Pass the error to json_error().
sdk::Result<boost::json::object> read_json_object(const http::Request& request,
                                                  std::size_t max_bytes = kMaxAdminBodyBytes);

// A string member of `object`: nullopt when absent or not a string.
std::optional<std::string_view> string_member(const boost::json::object& object,
                                              std::string_view name);

// The request's query parameters; nullopt when the query does not decode.
std::optional<std::map<std::string, std::string, std::less<>>> query_params(
    const http::Request& request);

// A whole number in [min, max]; nullopt otherwise.
std::optional<std::int64_t> parse_count(std::string_view text, std::int64_t min,
                                        std::int64_t max);

// An RFC 3339 UTC time, or JSON null.
boost::json::value time_or_null(const std::optional<std::chrono::system_clock::time_point>& when);

// Records an administrative read (PRIVACY.md F): action "admin.read", object the route
// pattern, counts what the answer holds (e.g. {"runs", 12}).
sdk::Result<std::int64_t> record_admin_read(
    store::AuditLog& audit, const sdk::Clock& clock, const AdminPrincipal& principal,
    std::optional<std::string> district_id, std::string_view route_pattern,
    std::vector<std::pair<std::string, std::int64_t>> counts);

}  // namespace lmsgw::admin
