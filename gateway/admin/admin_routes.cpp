#include "admin/admin_routes.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <exception>
#include <stdexcept>

#include <spdlog/spdlog.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/time.h"

namespace lmsgw::admin {
namespace {

constexpr std::string_view kRealm = "Bearer realm=\"lms-gateway-admin\"";

bool has_district_segment(std::string_view pattern) {
  return pattern.find("/{district}/") != std::string_view::npos || pattern.ends_with("/{district}");
}

// RFC 6750 section 3: no error code when no credentials were sent at all.
http::Response unauthorized(std::string_view error_code, std::string_view detail) {
  std::string challenge(kRealm);
  if (!error_code.empty()) challenge += ", error=\"" + std::string(error_code) + "\"";
  return json_error(401, "unauthorized", detail).with_header("WWW-Authenticate", challenge);
}

// Said the same way for an unknown district, another district's id and an unknown path, so
// that none can be told from the others.
http::Response not_found() { return json_error(404, "not_found"); }

}  // namespace

AdminRouter::AdminRouter(AdminTokens& tokens, std::set<std::string, std::less<>> districts)
    : tokens_(tokens), districts_(std::move(districts)) {}

void AdminRouter::add(AdminRoute route) {
  if (installed_) throw std::logic_error("admin route added after install: " + route.pattern);
  if (!route.pattern.starts_with(kAdminApiPrefix)) {
    throw std::invalid_argument("admin route outside " + std::string(kAdminApiPrefix) + ": " +
                                route.pattern);
  }
  if (route.access == AdminAccess::district && !has_district_segment(route.pattern)) {
    throw std::invalid_argument("district admin route without {district}: " + route.pattern);
  }
  if (!route.handler)
    throw std::invalid_argument("admin route without a handler: " + route.pattern);
  // Validates the pattern now, with the router's own rules.
  known_.add(route.methods, route.pattern, [](const http::Request&) { return not_found(); });
  routes_.push_back(std::move(route));
}

void AdminRouter::install(http::Router& router) {
  if (installed_) throw std::logic_error("admin routes installed twice");
  installed_ = true;
  for (const AdminRoute& route : routes_) {
    router.add(
        route.methods, route.pattern,
        [this, &route](const http::Request& request) { return serve(route, request); },
        http::Dispatch::worker);
  }
  const std::vector<http::Method> any_method{
      http::Method::get,   http::Method::head,    http::Method::post,    http::Method::put,
      http::Method::patch, http::Method::delete_, http::Method::options, http::Method::other};
  for (const char* pattern : {"/admin", "/admin/", "/admin/{path...}"}) {
    router.add(
        any_method, pattern,
        [this](const http::Request& request) { return serve_unknown(request); },
        http::Dispatch::worker);
  }
}

std::variant<AdminPrincipal, http::Response> AdminRouter::authenticate(
    const http::Request& request) {
  const std::string_view authorization = request.header("Authorization");
  if (authorization.empty()) {
    counters_.missing.fetch_add(1, std::memory_order_relaxed);
    return unauthorized({}, "an admin token is required: Authorization: Bearer <token>");
  }
  constexpr std::string_view kScheme = "Bearer ";
  // RFC 7235: the scheme is case-insensitive.
  const bool bearer =
      authorization.size() > kScheme.size() &&
      std::equal(kScheme.begin(), kScheme.end(), authorization.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
      });
  if (!bearer) {
    counters_.malformed.fetch_add(1, std::memory_order_relaxed);
    return unauthorized("invalid_request", "only Authorization: Bearer <token> is accepted");
  }
  auto principal = tokens_.authenticate(authorization.substr(kScheme.size()));
  if (!principal) {
    spdlog::error("admin: reading admin tokens failed: {}", principal.error().detail);
    return json_error(500, "server_error");
  }
  if (!*principal) {
    counters_.invalid.fetch_add(1, std::memory_order_relaxed);
    return unauthorized("invalid_token", "the admin token is unknown or revoked");
  }
  return std::move(**principal);
}

http::Response AdminRouter::serve(const AdminRoute& route, const http::Request& request) {
  auto authenticated = authenticate(request);
  if (auto* refusal = std::get_if<http::Response>(&authenticated)) return std::move(*refusal);
  const AdminPrincipal& principal = std::get<AdminPrincipal>(authenticated);
  if (has_district_segment(route.pattern)) {
    const std::string_view district = request.route_param("district");
    if (!principal.may_access(district)) {
      counters_.out_of_scope.fetch_add(1, std::memory_order_relaxed);
      return not_found();
    }
    if (!districts_.contains(district)) return not_found();
  }
  if (route.access == AdminAccess::operator_only && !principal.is_operator()) {
    counters_.out_of_scope.fetch_add(1, std::memory_order_relaxed);
    return json_error(403, "forbidden", "this operation needs an operator token");
  }
  try {
    return route.handler(request, principal);
  } catch (const std::exception&) {
    // The exception text may quote request data: only the route is named.
    spdlog::error("admin: handler of {} threw; answered 500", route.pattern);
  }
  return json_error(500, "server_error");
}

http::Response AdminRouter::serve_unknown(const http::Request& request) {
  auto authenticated = authenticate(request);
  if (auto* refusal = std::get_if<http::Response>(&authenticated)) return std::move(*refusal);
  const std::string allowed = known_.allowed_methods(request.path);
  if (allowed.empty()) return not_found();
  return json_error(405, "method_not_allowed").with_header("Allow", allowed);
}

void AdminRouter::register_metrics(metrics::Registry& registry) const {
  const auto add = [&](const char* name, const char* help, const std::atomic<std::uint64_t>& n) {
    registry.add_gauge(name, help,
                       [&n] { return static_cast<double>(n.load(std::memory_order_relaxed)); });
  };
  add("lmsgw_admin_auth_failures_missing_token",
      "Admin API requests refused 401 without an Authorization header.", counters_.missing);
  add("lmsgw_admin_auth_failures_malformed",
      "Admin API requests refused 401 with an Authorization header that is not Bearer.",
      counters_.malformed);
  add("lmsgw_admin_auth_failures_invalid_token",
      "Admin API requests refused 401 with an unknown or revoked token.", counters_.invalid);
  add("lmsgw_admin_scope_refusals",
      "Admin API requests refused for another district's id or an operator-only route.",
      counters_.out_of_scope);
}

http::Response json_response(int status, const boost::json::value& body) {
  return http::Response::json(status, boost::json::serialize(body))
      .with_header("Cache-Control", "no-store");
}

http::Response json_error(int status, std::string_view error, std::string_view detail) {
  boost::json::object body{{"error", error}};
  if (!detail.empty()) body["detail"] = detail;
  return json_response(status, body);
}

http::Response json_error(const sdk::Error& error) {
  switch (error.code) {
    case sdk::ErrorCode::invalid_request:
      return json_error(400, "invalid_request", error.detail);
    case sdk::ErrorCode::not_permitted:
      return json_error(403, "forbidden", error.detail);
    case sdk::ErrorCode::limit_exceeded:
      return json_error(413, "too_large", error.detail);
    case sdk::ErrorCode::unsupported:
      return json_error(415, "unsupported_media_type", error.detail);
    default:
      break;
  }
  spdlog::error("admin: {}", error.detail);
  return json_error(500, "server_error");
}

sdk::Result<boost::json::object> read_json_object(const http::Request& request,
                                                  std::size_t max_bytes) {
  const std::string_view type = request.header("Content-Type");
  const std::string_view media = type.substr(0, type.find(';'));
  if (media != "application/json") {
    return sdk::Error{sdk::ErrorCode::unsupported, "the body must be application/json"};
  }
  if (request.body.size() > max_bytes) {
    return sdk::Error{sdk::ErrorCode::limit_exceeded,
                      "the body is larger than " + std::to_string(max_bytes) + " bytes"};
  }
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(request.body, ec);
  if (ec) return sdk::Error{sdk::ErrorCode::invalid_request, "the body is not valid JSON"};
  if (!value.is_object()) {
    return sdk::Error{sdk::ErrorCode::invalid_request, "the body must be a JSON object"};
  }
  return std::move(value.as_object());
}

std::optional<std::string_view> string_member(const boost::json::object& object,
                                              std::string_view name) {
  const boost::json::value* member = object.if_contains(name);
  if (member == nullptr || !member->is_string()) return std::nullopt;
  return std::string_view(member->get_string());
}

std::optional<std::map<std::string, std::string, std::less<>>> query_params(
    const http::Request& request) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!http::parse_form(request.query, pairs)) return std::nullopt;
  return std::map<std::string, std::string, std::less<>>(pairs.begin(), pairs.end());
}

std::optional<std::int64_t> parse_count(std::string_view text, std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

boost::json::value time_or_null(const std::optional<std::chrono::system_clock::time_point>& when) {
  if (!when) return nullptr;
  return boost::json::value(time::to_rfc3339_utc(*when));
}

sdk::Result<std::int64_t> record_admin_read(
    store::AuditLog& audit, const sdk::Clock& clock, const AdminPrincipal& principal,
    std::optional<std::string> district_id, std::string_view route_pattern,
    std::vector<std::pair<std::string, std::int64_t>> counts) {
  store::AuditEvent event;
  event.at = clock.now();
  event.district_id = std::move(district_id);
  event.actor = principal.actor();
  event.action = "admin.read";
  event.object = std::string(route_pattern);
  event.counts = std::move(counts);
  return audit.append(event);
}

}  // namespace lmsgw::admin
