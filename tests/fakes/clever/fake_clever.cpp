#include "fake_clever.h"

#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/crypto.h"
#include "lmsgw/sdk/encoding.h"

namespace lmsgw::fakes {
namespace {

using Params = std::map<std::string, std::string>;

Params params_of(std::string_view encoded) {
  std::vector<std::pair<std::string, std::string>> pairs;
  Params params;
  if (!http::parse_form(encoded, pairs)) return params;
  for (auto& [name, value] : pairs) params.emplace(std::move(name), std::move(value));
  return params;
}

std::string get(const Params& params, const std::string& name) {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

std::string percent_decode(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> pairs;
  const std::string wrapped = "v=" + std::string(text);
  if (!http::parse_form(wrapped, pairs) || pairs.empty()) return {};
  return pairs.front().second;
}

http::Response json(int status, const boost::json::value& body) {
  return http::Response::json(status, boost::json::serialize(body));
}

http::Response oauth_error(int status, std::string_view error, std::string_view description) {
  return json(status, {{"error", error}, {"error_description", description}});
}

std::string string_of(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

std::string role_of(const boost::json::object& user) {
  const boost::json::value* roles = user.if_contains("roles");
  if (roles == nullptr || !roles->is_object()) return "user";
  for (const char* role : {"student", "teacher", "staff", "district_admin", "contact"}) {
    if (roles->get_object().contains(role)) return role;
  }
  return "user";
}

}  // namespace

FakeClever::FakeClever(FakeCleverOptions options, boost::json::object fixture)
    : options_(std::move(options)) {
  if (const boost::json::value* users = fixture.if_contains("users")) {
    for (const boost::json::value& user : users->as_array()) users_.push_back(user.as_object());
  }
}

void FakeClever::add_browser_routes(http::Router& router) {
  router.add(
      {http::Method::get}, "/oauth/authorize",
      [this](const http::Request& r) { return authorize(r); }, http::Dispatch::worker);
  router.add(
      {http::Method::get}, "/oauth/instant-login",
      [this](const http::Request& r) { return instant_login(r); }, http::Dispatch::worker);
}

void FakeClever::add_api_routes(http::Router& router) {
  router.add(
      {http::Method::post}, "/oauth/tokens", [this](const http::Request& r) { return tokens(r); },
      http::Dispatch::worker);
  router.add(
      {http::Method::get}, "/v3.0/me", [this](const http::Request& r) { return me(r); },
      http::Dispatch::worker);
  router.add(
      {http::Method::get}, "/v3.0/users/{id}", [this](const http::Request& r) { return user(r); },
      http::Dispatch::worker);
  router.add({http::Method::post}, "/__fake/faults",
             [this](const http::Request& r) { return set_fault(r); });
  router.add({http::Method::delete_}, "/__fake/faults",
             [this](const http::Request& r) { return clear_faults(r); });
  router.add({http::Method::get}, "/__fake/stats",
             [this](const http::Request& r) { return stats(r); });
}

const boost::json::object* FakeClever::find_user(std::string_view id) const {
  for (const boost::json::object& candidate : users_) {
    if (string_of(candidate, "id") == id) return &candidate;
  }
  return nullptr;
}

std::string FakeClever::issue_code(const std::string& user_id, const std::string& redirect_uri) {
  std::string code = crypto::random_token(24);
  std::lock_guard lock(mutex_);
  codes_[code] =
      Code{user_id, redirect_uri, std::chrono::steady_clock::now() + options_.code_lifetime};
  ++counters_["codes_issued"];
  return code;
}

std::optional<http::Response> FakeClever::take_fault(const std::string& endpoint) {
  Fault fault;
  {
    std::lock_guard lock(mutex_);
    auto it = faults_.find(endpoint);
    if (it == faults_.end()) return std::nullopt;
    fault = it->second;
    if (--it->second.count <= 0) faults_.erase(it);
  }
  switch (fault.mode) {
    case FaultMode::status:
      return json(fault.status, {{"message", "injected failure"}});
    case FaultMode::malformed:
      return http::Response::json(200, "{\"data\": {\"id\": ");
    case FaultMode::html:
      return http::Response::html(fault.status, "<html><body>Bad Gateway</body></html>");
    case FaultMode::slow:
      std::this_thread::sleep_for(fault.delay);
      return std::nullopt;
  }
  return std::nullopt;
}

http::Response FakeClever::authorize(const http::Request& request) {
  if (auto fault = take_fault("authorize")) return *fault;
  const Params params = params_of(request.query);
  // Like the real provider, never redirect to a URI that is not registered for the client:
  // that would make the authorize endpoint an open redirector.
  if (get(params, "client_id") != options_.client_id) {
    return http::Response::html(400, "<h1>Unknown client_id</h1>");
  }
  const std::string redirect_uri = get(params, "redirect_uri");
  bool registered = false;
  for (const std::string& uri : options_.redirect_uris)
    registered = registered || uri == redirect_uri;
  if (!registered) return http::Response::html(400, "<h1>redirect_uri is not registered</h1>");

  const std::string state = get(params, "state");
  auto back = [&](std::initializer_list<std::pair<std::string, std::string>> extra) {
    std::string location = redirect_uri + (redirect_uri.find('?') == std::string::npos ? "?" : "&");
    bool first = true;
    for (const auto& [name, value] : extra) {
      location += (first ? "" : "&") + name + "=" + sdk::percent_encode(value);
      first = false;
    }
    if (!state.empty()) location += "&state=" + sdk::percent_encode(state);
    return http::Response::redirect(location);
  };
  if (get(params, "response_type") != "code") {
    return back({{"error", "unsupported_response_type"}});
  }

  std::string user_id = get(params, "login_hint");
  if (user_id.empty() && options_.auto_login_user) user_id = *options_.auto_login_user;
  const std::string district = get(params, "district_id");
  if (user_id.empty()) {
    // No hint: show the picker, one link per fixture user (of the district, when given).
    std::string page =
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Fake Clever</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto}"
        "a{display:block;margin:.5rem 0}</style></head><body><h1>Fake Clever</h1>"
        "<p>Sign in as:</p>";
    for (const boost::json::object& candidate : users_) {
      if (!district.empty() && string_of(candidate, "district") != district) continue;
      std::string link = std::string(request.path) + "?" + std::string(request.query) +
                         "&login_hint=" + sdk::percent_encode(string_of(candidate, "id"));
      std::string first_name;
      if (const boost::json::value* name = candidate.if_contains("name");
          name && name->is_object()) {
        first_name = string_of(name->get_object(), "first");
      }
      page += "<a href=\"" + http::html_escape(link) + "\">" + http::html_escape(first_name) +
              " (" + role_of(candidate) + ")</a>";
    }
    page += "</body></html>";
    return http::Response::html(200, std::move(page));
  }
  const boost::json::object* chosen = find_user(user_id);
  if (chosen == nullptr || (!district.empty() && string_of(*chosen, "district") != district)) {
    return back({{"error", "access_denied"}});
  }
  return back({{"code", issue_code(user_id, redirect_uri)}});
}

http::Response FakeClever::instant_login(const http::Request& request) {
  const Params params = params_of(request.query);
  if (get(params, "client_id") != options_.client_id || options_.redirect_uris.empty()) {
    return http::Response::html(400, "<h1>Unknown client_id</h1>");
  }
  const std::string district = get(params, "district_id");
  std::string user_id = get(params, "login_hint");
  if (user_id.empty() && options_.auto_login_user) user_id = *options_.auto_login_user;
  const boost::json::object* chosen = find_user(user_id);
  if (chosen == nullptr || (!district.empty() && string_of(*chosen, "district") != district)) {
    return http::Response::html(404, "<h1>No such user in that district</h1>");
  }
  // Instant Login lands on the primary redirect URI with a code and no state.
  const std::string& primary = options_.redirect_uris.front();
  return http::Response::redirect(primary +
                                  "?code=" + sdk::percent_encode(issue_code(user_id, primary)));
}

http::Response FakeClever::tokens(const http::Request& request) {
  {
    std::lock_guard lock(mutex_);
    ++counters_["token_requests"];
  }
  if (auto fault = take_fault("tokens")) return *fault;

  const std::string_view authorization = request.header("Authorization");
  bool client_ok = false;
  if (authorization.starts_with("Basic ")) {
    if (auto decoded = sdk::base64_decode(authorization.substr(6))) {
      const auto colon = decoded->find(':');
      if (colon != std::string::npos) {
        client_ok = percent_decode(decoded->substr(0, colon)) == options_.client_id &&
                    percent_decode(decoded->substr(colon + 1)) == options_.client_secret;
      }
    }
  }
  if (!client_ok) return oauth_error(401, "invalid_client", "client authentication failed");

  Params body;
  const std::string_view content_type = request.header("Content-Type");
  if (content_type.starts_with("application/json")) {
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(request.body, ec);
    if (ec || !parsed.is_object()) return oauth_error(400, "invalid_request", "bad JSON body");
    for (const auto& member : parsed.get_object()) {
      if (member.value().is_string()) body[member.key()] = member.value().get_string();
    }
  } else {
    body = params_of(request.body);
  }
  if (get(body, "grant_type") != "authorization_code") {
    return oauth_error(400, "unsupported_grant_type", "grant_type must be authorization_code");
  }

  Code code;
  {
    std::lock_guard lock(mutex_);
    auto it = codes_.find(get(body, "code"));
    if (it == codes_.end()) return oauth_error(400, "invalid_grant", "Invalid grant: invalid code");
    code = it->second;
    codes_.erase(it);  // redeemable once, whatever happens next
  }
  if (code.expires_at <= std::chrono::steady_clock::now()) {
    return oauth_error(400, "invalid_grant", "Invalid grant: code expired");
  }
  if (get(body, "redirect_uri") != code.redirect_uri) {
    return oauth_error(400, "invalid_grant", "Invalid grant: redirect_uri mismatch");
  }
  const std::string access_token = crypto::random_token(24);
  {
    std::lock_guard lock(mutex_);
    tokens_[access_token] = code.user_id;
    ++counters_["codes_redeemed"];
  }
  return json(200, {{"access_token", access_token}, {"token_type", "bearer"}});
}

const boost::json::object* FakeClever::user_for_token(const http::Request& request,
                                                      std::string& user_id) {
  const std::string_view authorization = request.header("Authorization");
  if (!authorization.starts_with("Bearer ")) return nullptr;
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(std::string(authorization.substr(7)));
  if (it == tokens_.end()) return nullptr;
  user_id = it->second;
  return find_user(user_id);
}

http::Response FakeClever::me(const http::Request& request) {
  if (auto fault = take_fault("me")) return *fault;
  std::string user_id;
  const boost::json::object* found = user_for_token(request, user_id);
  if (found == nullptr) return json(401, {{"message", "invalid token"}});
  const std::string district = string_of(*found, "district");
  return json(
      200,
      {{"type", "user"},
       {"data",
        {{"id", user_id}, {"district", district}, {"type", "user"}, {"authorized_by", "district"}}},
       {"links",
        {{{"rel", "self"}, {"uri", "/me"}},
         {{"rel", "canonical"}, {"uri", "/v3.0/users/" + user_id}},
         {{"rel", "district"}, {"uri", "/v3.0/districts/" + district}}}}});
}

http::Response FakeClever::user(const http::Request& request) {
  if (auto fault = take_fault("users")) return *fault;
  std::string user_id;
  const boost::json::object* found = user_for_token(request, user_id);
  if (found == nullptr) return json(401, {{"message", "invalid token"}});
  // An SSO token may read its own user record only.
  if (request.route_param("id") != user_id) return json(404, {{"message", "Resource not found"}});
  return json(
      200, {{"data", *found}, {"links", {{{"rel", "self"}, {"uri", "/v3.0/users/" + user_id}}}}});
}

http::Response FakeClever::set_fault(const http::Request& request) {
  const Params params = params_of(request.query);
  Fault fault;
  const std::string mode = get(params, "mode");
  if (mode == "status")
    fault.mode = FaultMode::status;
  else if (mode == "malformed")
    fault.mode = FaultMode::malformed;
  else if (mode == "html")
    fault.mode = FaultMode::html;
  else if (mode == "slow")
    fault.mode = FaultMode::slow;
  else
    return http::Response::text(400, "mode must be status, malformed, html or slow\n");
  const std::string endpoint = get(params, "endpoint");
  if (endpoint != "authorize" && endpoint != "tokens" && endpoint != "me" && endpoint != "users") {
    return http::Response::text(400, "endpoint must be authorize, tokens, me or users\n");
  }
  try {
    if (!get(params, "status").empty()) fault.status = std::stoi(get(params, "status"));
    if (!get(params, "count").empty()) fault.count = std::stoi(get(params, "count"));
    if (!get(params, "delay_ms").empty()) {
      fault.delay = std::chrono::milliseconds(std::stoi(get(params, "delay_ms")));
    }
  } catch (const std::exception&) {
    return http::Response::text(400, "status, count and delay_ms must be integers\n");
  }
  std::lock_guard lock(mutex_);
  faults_[endpoint] = fault;
  return http::Response::text(200, "ok\n");
}

http::Response FakeClever::clear_faults(const http::Request&) {
  std::lock_guard lock(mutex_);
  faults_.clear();
  return http::Response::text(200, "ok\n");
}

http::Response FakeClever::stats(const http::Request&) {
  boost::json::object out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, value] : counters_) out[name] = value;
  return json(200, out);
}

}  // namespace lmsgw::fakes
