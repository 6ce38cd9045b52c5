#include "http/router.h"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>

namespace lmsgw::http {
namespace {

bool is_param(std::string_view segment) noexcept {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// "{name...}": the rest of the path, one or more segments, slashes included.
bool is_rest_param(std::string_view segment) noexcept {
  return is_param(segment) && segment.size() > 5 && segment.substr(segment.size() - 4) == "...}";
}

bool serves(const std::vector<Method>& methods, Method method) noexcept {
  const auto has = [&](Method m) {
    return std::find(methods.begin(), methods.end(), m) != methods.end();
  };
  return has(method) || (method == Method::head && has(Method::get));
}

using Captures =
    std::array<std::pair<std::string_view, std::string_view>, Request::kMaxRouteParams>;

// Walks `path` ("/a/b") segment by segment against the pattern without allocating. "/" has no
// segments; "/a/" has the segments "a" and "", so a trailing slash is a different path.
bool path_matches(const std::vector<std::string>& segments, std::string_view path,
                  Captures& captures, std::size_t& capture_count) noexcept {
  capture_count = 0;
  if (path.empty() || path.front() != '/') return false;
  std::string_view rest = path.substr(1);
  if (segments.empty()) return rest.empty();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& expected_segment = segments[i];
    if (is_rest_param(expected_segment)) {
      if (rest.empty()) return false;
      captures[capture_count++] = {
          std::string_view(expected_segment).substr(1, expected_segment.size() - 5), rest};
      return true;
    }
    const std::size_t slash = rest.find('/');
    const bool last = i + 1 == segments.size();
    if (last != (slash == std::string_view::npos)) return false;
    const std::string_view segment = rest.substr(0, slash);
    const std::string& expected = segments[i];
    if (is_param(expected)) {
      if (segment.empty()) return false;
      captures[capture_count++] = {std::string_view(expected).substr(1, expected.size() - 2),
                                   segment};
    } else if (segment != expected) {
      return false;
    }
    if (!last) rest.remove_prefix(slash + 1);
  }
  return true;
}

}  // namespace

Router::Router() : names_{"unmatched"} {}

void Router::add(std::vector<Method> methods, std::string pattern, Handler handler,
                 Dispatch dispatch) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  }
  if (!handler) throw std::invalid_argument("route without a handler: " + pattern);
  if (methods.empty()) throw std::invalid_argument("route without methods: " + pattern);
  Route route{std::move(methods), {}, std::move(handler), dispatch};
  std::string_view rest = std::string_view(pattern).substr(1);
  std::size_t params = 0;
  while (!rest.empty()) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment.empty()) throw std::invalid_argument("empty segment in route pattern: " + pattern);
    const bool opens = segment.find('{') != std::string_view::npos;
    const bool closes = segment.find('}') != std::string_view::npos;
    if (is_rest_param(segment) && slash != std::string_view::npos) {
      throw std::invalid_argument("a {name...} parameter must be the last segment: " + pattern);
    }
    if (is_param(segment)) {
      if (segment.size() == 2 ||
          segment.substr(1, segment.size() - 2).find_first_of("{}") != std::string_view::npos) {
        throw std::invalid_argument("malformed parameter in route pattern: " + pattern);
      }
      if (++params > Request::kMaxRouteParams) {
        throw std::invalid_argument("too many parameters in route pattern: " + pattern);
      }
    } else if (opens || closes) {
      throw std::invalid_argument("malformed parameter in route pattern: " + pattern);
    }
    route.segments.emplace_back(segment);
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
    // A trailing slash is a last, empty segment: the pattern serves that exact path only.
    if (rest.empty()) route.segments.emplace_back();
  }
  routes_.push_back(std::move(route));
  names_.push_back(std::move(pattern));
}

RouteMatch Router::match(Request& request) const noexcept {
  RouteMatch result;
  Captures captures{};
  std::size_t capture_count = 0;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const Route& route = routes_[i];
    if (!path_matches(route.segments, request.path, captures, capture_count)) continue;
    if (!serves(route.methods, request.method)) {
      result.method_mismatch = true;
      continue;
    }
    request.route_params = captures;
    request.route_param_count = capture_count;
    result.handler = &route.handler;
    result.dispatch = route.dispatch;
    result.route_index = static_cast<std::uint32_t>(i + 1);
    result.method_mismatch = false;
    return result;
  }
  return result;
}

std::string Router::allowed_methods(std::string_view path) const {
  static constexpr std::array kOrder{Method::get,   Method::head,    Method::post,   Method::put,
                                     Method::patch, Method::delete_, Method::options};
  std::vector<Method> allowed;
  Captures captures{};
  std::size_t capture_count = 0;
  for (const Route& route : routes_) {
    if (!path_matches(route.segments, path, captures, capture_count)) continue;
    for (const Method method : kOrder) {
      if (serves(route.methods, method)) allowed.push_back(method);
    }
  }
  std::string text;
  for (const Method method : kOrder) {
    if (std::find(allowed.begin(), allowed.end(), method) == allowed.end()) continue;
    if (!text.empty()) text += ", ";
    text += to_string(method);
  }
  return text;
}

}  // namespace lmsgw::http
