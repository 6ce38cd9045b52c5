// Maps method + path to a handler. Patterns are literal segments and `{name}` segments; a
// parameter matches exactly one non-empty segment. A last segment `{name...}` matches the rest
// of the path (one or more segments, slashes included). A trailing slash is part of the path:
// "/a/" and "/a" are different routes. A route serving GET also serves HEAD.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace lmsgw::http {

using Handler = std::function<Response(const Request&)>;

// Where a handler runs. `inline_` handlers run on the I/O thread and must not block (the
// forward-auth hot path, health checks). `worker` handlers may block (they call providers and
// the database) and run on the worker pool, never stalling I/O.
enum class Dispatch : std::uint8_t { inline_, worker };

struct RouteMatch {
  const Handler* handler = nullptr;
  Dispatch dispatch = Dispatch::inline_;
  // Index of the route, for per-route metrics; `kUnmatched` when nothing matched.
  std::uint32_t route_index = 0;
  // True when the path matched some route but not with this method (405 rather than 404).
  bool method_mismatch = false;
};

class Router {
 public:
  static constexpr std::uint32_t kUnmatched = 0;

  // Route 0 is reserved for unmatched requests.
  Router();

  // `methods` lists the methods served; `pattern` such as "/login/{connection}". Throws
  // std::invalid_argument on a malformed pattern or more than Request::kMaxRouteParams
  // parameters (routes are built at startup).
  void add(std::vector<Method> methods, std::string pattern, Handler handler,
           Dispatch dispatch = Dispatch::inline_);

  // Fills request.route_params on a match.
  RouteMatch match(Request& request) const noexcept;

  // The methods served at `path` by any route, for the Allow header of a 405 ("GET, HEAD").
  std::string allowed_methods(std::string_view path) const;

  // Route names (their patterns) by index, for metrics labels; index 0 is "unmatched".
  const std::vector<std::string>& route_names() const noexcept { return names_; }

 private:
  struct Route {
    std::vector<Method> methods;
    std::vector<std::string> segments;  // "{x}" marks a parameter
    Handler handler;
    Dispatch dispatch;
  };
  std::vector<Route> routes_;
  std::vector<std::string> names_;
};

}  // namespace lmsgw::http
