#include "fake_clever.h"

#include <algorithm>
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

constexpr std::int64_t kDefaultLimit = 100;
constexpr std::int64_t kMaxLimit = 10000;
constexpr std::string_view kKinds[] = {"users", "sections", "schools"};

bool is_kind(std::string_view kind) {
  for (std::string_view candidate : kKinds) {
    if (candidate == kind) return true;
  }
  return false;
}

std::optional<std::int64_t> integer(const std::string& text) {
  try {
    std::size_t used = 0;
    const long long value = std::stoll(text, &used);
    if (used != text.size()) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The district an event belongs to: an explicit "district", else its object's.
std::string district_of_event(const boost::json::object& event) {
  if (std::string explicit_district = string_of(event, "district"); !explicit_district.empty()) {
    return explicit_district;
  }
  const boost::json::value* data = event.if_contains("data");
  const boost::json::value* object =
      data != nullptr && data->is_object() ? data->get_object().if_contains("object") : nullptr;
  if (object == nullptr || !object->is_object()) return {};
  if (string_of(event, "type").starts_with("districts.")) return string_of(object->get_object(), "id");
  return string_of(object->get_object(), "district");
}

std::vector<boost::json::object> objects_of(const boost::json::value& value) {
  std::vector<boost::json::object> out;
  if (value.is_object()) out.push_back(value.get_object());
  if (value.is_array()) {
    for (const boost::json::value& item : value.get_array()) {
      if (item.is_object()) out.push_back(item.get_object());
    }
  }
  return out;
}

}  // namespace

FakeClever::FakeClever(FakeCleverOptions options, boost::json::object fixture)
    : options_(std::move(options)) {
  if (const boost::json::value* users = fixture.if_contains("users")) {
    for (const boost::json::value& user : users->as_array()) {
      user_order_.push_back(string_of(user.as_object(), "id"));
      put("users", user.as_object());
    }
  }
  for (const char* kind : {"sections", "schools"}) {
    if (const boost::json::value* records = fixture.if_contains(kind)) {
      for (const boost::json::value& record : records->as_array()) put(kind, record.as_object());
    }
  }
  if (const boost::json::value* districts = fixture.if_contains("districts")) {
    for (const boost::json::value& district : districts->as_array()) {
      const boost::json::object& entry = district.as_object();
      districts_[string_of(entry, "id")] = District{string_of(entry, "token")};
    }
  }
  if (const boost::json::value* events = fixture.if_contains("events")) {
    for (const boost::json::value& event : events->as_array()) add_event(event.as_object());
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
  using http::Dispatch;
  using http::Method;
  router.add(
      {Method::post}, "/oauth/tokens", [this](const http::Request& r) { return tokens(r); },
      Dispatch::worker);
  router.add(
      {Method::get}, "/oauth/tokens", [this](const http::Request& r) { return district_tokens(r); },
      Dispatch::worker);
  router.add(
      {Method::get}, "/v3.0/me", [this](const http::Request& r) { return me(r); },
      Dispatch::worker);
  router.add(
      {Method::get}, "/v3.0/users/{id}", [this](const http::Request& r) { return user(r); },
      Dispatch::worker);
  router.add(
      {Method::get}, "/v3.0/users",
      [this](const http::Request& r) { return list(r, "users", "users_list"); }, Dispatch::worker);
  for (const char* kind : {"sections", "schools", "events"}) {
    router.add(
        {Method::get}, std::string("/v3.0/") + kind,
        [this, kind](const http::Request& r) { return list(r, kind, kind); }, Dispatch::worker);
  }
  router.add({Method::post}, "/__fake/faults",
             [this](const http::Request& r) { return set_fault(r); });
  router.add({Method::delete_}, "/__fake/faults",
             [this](const http::Request& r) { return clear_faults(r); });
  router.add({Method::get}, "/__fake/stats", [this](const http::Request& r) { return stats(r); });
  for (const char* action : {"revoke", "status", "connect"}) {
    router.add({Method::post}, std::string("/__fake/districts/") + action,
               [this, action](const http::Request& r) { return control_district(r, action); });
  }
  router.add({Method::post}, "/__fake/events",
             [this](const http::Request& r) { return append_events(r); });
  router.add({Method::post}, "/__fake/records",
             [this](const http::Request& r) { return put_records(r); });
  router.add({Method::post}, "/__fake/records/delete",
             [this](const http::Request& r) { return delete_record(r); });
}

void FakeClever::put(const std::string& kind, const boost::json::object& record) {
  const std::string id = string_of(record, "id");
  const std::string district = string_of(record, "district");
  if (kind == "users") {
    if (auto old = user_district_.find(id); old != user_district_.end() && old->second != district) {
      store_["users"][old->second].erase(id);
    }
    user_district_[id] = district;
  }
  store_[kind][district][id] = boost::json::serialize(record);
}

std::string FakeClever::add_event(boost::json::object event) {
  const std::string district = district_of_event(event);
  event.erase("district");
  std::string id = string_of(event, "id");
  if (id.empty()) {
    std::string counter = std::to_string(next_event_++);
    id = "zz" + std::string(16 - std::min<std::size_t>(16, counter.size()), '0') + counter;
    event["id"] = id;
  }
  store_["events"][district][id] = boost::json::serialize(event);
  return id;
}

void FakeClever::apply_event(const boost::json::object& event) {
  const std::string type = string_of(event, "type");
  const auto dot = type.find('.');
  if (dot == std::string::npos) return;
  const std::string kind = type.substr(0, dot);
  const std::string action = type.substr(dot + 1);
  if (kind != "users" && kind != "sections") return;
  const boost::json::value* data = event.if_contains("data");
  const boost::json::value* object =
      data != nullptr && data->is_object() ? data->get_object().if_contains("object") : nullptr;
  if (object == nullptr || !object->is_object()) return;
  const boost::json::object& record = object->get_object();
  if (action == "deleted") {
    const std::string id = string_of(record, "id");
    std::string district = string_of(record, "district");
    if (kind == "users") {
      if (auto it = user_district_.find(id); it != user_district_.end()) {
        district = it->second;
        user_district_.erase(it);
      }
    }
    store_[kind][district].erase(id);
  } else {
    put(kind, record);
  }
}

std::optional<boost::json::object> FakeClever::find_user(std::string_view id) const {
  auto district = user_district_.find(std::string(id));
  if (district == user_district_.end()) return std::nullopt;
  auto kind = store_.find("users");
  if (kind == store_.end()) return std::nullopt;
  auto records = kind->second.find(district->second);
  if (records == kind->second.end()) return std::nullopt;
  auto record = records->second.find(std::string(id));
  if (record == records->second.end()) return std::nullopt;
  return boost::json::parse(record->second).as_object();
}

std::optional<std::string> FakeClever::district_of_token(std::string_view token) const {
  for (const auto& [id, district] : districts_) {
    if (!district.token.empty() && district.token == token && district.listed) return id;
  }
  return std::nullopt;
}

std::string FakeClever::issue_code(const std::string& user_id, const std::string& redirect_uri) {
  std::string code = crypto::random_token(24);
  std::lock_guard lock(mutex_);
  codes_[code] =
      Code{user_id, redirect_uri, std::chrono::steady_clock::now() + options_.code_lifetime};
  ++counters_["codes_issued"];
  return code;
}

std::optional<FakeClever::Fault> FakeClever::take_fault(const std::string& endpoint) {
  std::lock_guard lock(mutex_);
  auto it = faults_.find(endpoint);
  if (it == faults_.end()) return std::nullopt;
  Fault fault = it->second;
  if (--it->second.count <= 0) faults_.erase(it);
  return fault;
}

std::optional<http::Response> FakeClever::fault_response(const std::optional<Fault>& fault) {
  if (!fault) return std::nullopt;
  switch (fault->mode) {
    case FaultMode::status:
      return json(fault->status, {{"message", "injected failure"}});
    case FaultMode::malformed:
      return http::Response::json(200, "{\"data\": {\"id\": ");
    case FaultMode::html:
      return http::Response::html(fault->status, "<html><body>Bad Gateway</body></html>");
    case FaultMode::slow:
      std::this_thread::sleep_for(fault->delay);
      return std::nullopt;
    case FaultMode::rate_limit: {
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      {
        std::lock_guard lock(mutex_);
        ++counters_["rate_limited"];
      }
      http::Response limited = json(429, {{"message", "Too Many Requests"}});
      limited.with_header("X-RateLimit-Limit", "1200");
      limited.with_header("X-RateLimit-Remaining", "0");
      limited.with_header("X-RateLimit-Reset", std::to_string(now + fault->reset_in));
      if (fault->retry_after) limited.with_header("Retry-After", std::to_string(*fault->retry_after));
      return limited;
    }
    case FaultMode::truncated:
      // Served by the endpoint itself: it cuts its real answer.
      return std::nullopt;
  }
  return std::nullopt;
}

bool FakeClever::client_authenticated(const http::Request& request) const {
  const std::string_view authorization = request.header("Authorization");
  if (!authorization.starts_with("Basic ")) return false;
  auto decoded = sdk::base64_decode(authorization.substr(6));
  if (!decoded) return false;
  const auto colon = decoded->find(':');
  return colon != std::string::npos &&
         percent_decode(decoded->substr(0, colon)) == options_.client_id &&
         percent_decode(decoded->substr(colon + 1)) == options_.client_secret;
}

http::Response FakeClever::authorize(const http::Request& request) {
  if (auto fault = fault_response(take_fault("authorize"))) return *fault;
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
    std::vector<boost::json::object> candidates;
    {
      std::lock_guard lock(mutex_);
      for (const std::string& id : user_order_) {
        if (auto found = find_user(id)) candidates.push_back(std::move(*found));
      }
    }
    for (const boost::json::object& candidate : candidates) {
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
  std::optional<boost::json::object> chosen;
  {
    std::lock_guard lock(mutex_);
    chosen = find_user(user_id);
  }
  if (!chosen || (!district.empty() && string_of(*chosen, "district") != district)) {
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
  std::optional<boost::json::object> chosen;
  {
    std::lock_guard lock(mutex_);
    chosen = find_user(user_id);
  }
  if (!chosen || (!district.empty() && string_of(*chosen, "district") != district)) {
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
  if (auto fault = fault_response(take_fault("tokens"))) return *fault;
  if (!client_authenticated(request)) {
    return oauth_error(401, "invalid_client", "client authentication failed");
  }

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

http::Response FakeClever::district_tokens(const http::Request& request) {
  {
    std::lock_guard lock(mutex_);
    ++counters_["district_token_lists"];
  }
  if (auto fault = fault_response(take_fault("district_tokens"))) return *fault;
  if (!client_authenticated(request)) {
    return oauth_error(401, "invalid_client", "client authentication failed");
  }
  const Params params = params_of(request.query);
  if (get(params, "owner_type") != "district") {
    return json(400, {{"message", "owner_type must be district"}});
  }
  const std::string only = get(params, "district");
  boost::json::array data;
  std::lock_guard lock(mutex_);
  for (const auto& [id, district] : districts_) {
    if (!district.listed || (!only.empty() && only != id)) continue;
    data.push_back({{"id", "tok-" + id},
                    {"created", "2024-08-01T00:00:00.000Z"},
                    {"owner", {{"type", "district"}, {"id", id}}},
                    {"access_token", district.token},
                    {"scopes", {"read:district_admins", "read:school_admins", "read:sections",
                                "read:students", "read:teachers", "read:user_id"}}});
  }
  return json(200, {{"data", std::move(data)}});
}

http::Response FakeClever::me(const http::Request& request) {
  if (auto fault = fault_response(take_fault("me"))) return *fault;
  const std::string_view authorization = request.header("Authorization");
  std::optional<boost::json::object> found;
  std::string user_id;
  {
    std::lock_guard lock(mutex_);
    if (authorization.starts_with("Bearer ")) {
      if (auto it = tokens_.find(std::string(authorization.substr(7))); it != tokens_.end()) {
        user_id = it->second;
        found = find_user(user_id);
      }
    }
  }
  if (!found) return json(401, {{"message", "invalid token"}});
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
  if (auto fault = fault_response(take_fault("users"))) return *fault;
  const std::string_view authorization = request.header("Authorization");
  if (!authorization.starts_with("Bearer ")) return json(401, {{"message", "invalid token"}});
  const std::string token(authorization.substr(7));
  const std::string wanted(request.route_param("id"));
  std::optional<boost::json::object> found;
  {
    std::lock_guard lock(mutex_);
    if (auto sso = tokens_.find(token); sso != tokens_.end()) {
      // An SSO token may read its own user record only.
      if (sso->second != wanted) return json(404, {{"message", "Resource not found"}});
      found = find_user(wanted);
    } else if (auto district = district_of_token(token)) {
      if (int forced = districts_.at(*district).forced_status; forced != 0) {
        return json(forced, {{"message", "forced by the test"}});
      }
      found = find_user(wanted);
      if (found && string_of(*found, "district") != *district) found.reset();
      if (!found) return json(404, {{"message", "Resource not found"}});
    }
  }
  if (!found) return json(401, {{"message", "invalid token"}});
  return json(200,
              {{"data", *found}, {"links", {{{"rel", "self"}, {"uri", "/v3.0/users/" + wanted}}}}});
}

http::Response FakeClever::list(const http::Request& request, const std::string& kind,
                                const std::string& endpoint) {
  std::optional<Fault> fault = take_fault(endpoint);
  if (auto faulty = fault_response(fault)) return *faulty;
  const std::string_view authorization = request.header("Authorization");
  const Params params = params_of(request.query);
  std::int64_t limit = kDefaultLimit;
  if (const std::string text = get(params, "limit"); !text.empty()) {
    auto parsed = integer(text);
    if (!parsed || *parsed < 1) return json(400, {{"message", "limit must be a positive integer"}});
    if (*parsed > kMaxLimit) return json(413, {{"message", "limit must not exceed 10000"}});
    limit = *parsed;
  }
  const std::string after = get(params, "starting_after");

  boost::json::array data;
  std::string last;
  bool more = false;
  {
    std::lock_guard lock(mutex_);
    ++counters_[kind + "_pages"];
    std::optional<std::string> district;
    if (authorization.starts_with("Bearer ")) district = district_of_token(authorization.substr(7));
    if (!district) return json(401, {{"message", "invalid token"}});
    if (int forced = districts_.at(*district).forced_status; forced != 0) {
      return json(forced, {{"message", "forced by the test"}});
    }
    const Records& records = store_[kind][*district];
    auto it = after.empty() ? records.begin() : records.upper_bound(after);
    for (std::int64_t count = 0; it != records.end() && count < limit; ++it, ++count) {
      boost::json::object element{{"data", boost::json::parse(it->second)}};
      if (kind != "events") element["uri"] = "/v3.0/" + kind + "/" + it->first;
      data.push_back(std::move(element));
      last = it->first;
    }
    more = it != records.end();
  }
  const std::string base = "/v3.0/" + kind + "?limit=" + std::to_string(limit);
  boost::json::array links{
      {{"rel", "self"}, {"uri", after.empty() ? base : base + "&starting_after=" + after}}};
  if (more) links.push_back({{"rel", "next"}, {"uri", base + "&starting_after=" + last}});
  std::string body =
      boost::json::serialize(boost::json::object{{"data", std::move(data)}, {"links", links}});
  if (fault && fault->mode == FaultMode::truncated) body.resize(body.size() / 2);
  return http::Response::json(200, std::move(body));
}

http::Response FakeClever::set_fault(const http::Request& request) {
  const Params params = params_of(request.query);
  Fault fault;
  static const std::map<std::string, FaultMode> kModes = {
      {"status", FaultMode::status},     {"malformed", FaultMode::malformed},
      {"html", FaultMode::html},         {"slow", FaultMode::slow},
      {"truncated", FaultMode::truncated}, {"rate_limit", FaultMode::rate_limit}};
  auto mode = kModes.find(get(params, "mode"));
  if (mode == kModes.end()) {
    return http::Response::text(
        400, "mode must be status, malformed, html, slow, truncated or rate_limit\n");
  }
  fault.mode = mode->second;
  const std::string endpoint = get(params, "endpoint");
  static const std::vector<std::string> kEndpoints = {
      "authorize", "tokens",   "me",      "users", "district_tokens",
      "users_list", "sections", "schools", "events"};
  if (std::find(kEndpoints.begin(), kEndpoints.end(), endpoint) == kEndpoints.end()) {
    return http::Response::text(400,
                                "endpoint must be authorize, tokens, me, users, district_tokens, "
                                "users_list, sections, schools or events\n");
  }
  auto number = [&](const std::string& name) -> std::optional<std::int64_t> {
    const std::string text = get(params, name);
    return text.empty() ? std::nullopt : integer(text);
  };
  for (const char* name : {"status", "count", "delay_ms", "reset_in", "retry_after"}) {
    if (!get(params, name).empty() && !number(name)) {
      return http::Response::text(400, std::string(name) + " must be an integer\n");
    }
  }
  if (auto status = number("status")) fault.status = static_cast<int>(*status);
  if (auto count = number("count")) fault.count = static_cast<int>(*count);
  if (auto delay = number("delay_ms")) fault.delay = std::chrono::milliseconds(*delay);
  if (auto reset = number("reset_in")) fault.reset_in = *reset;
  fault.retry_after = number("retry_after");
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

http::Response FakeClever::control_district(const http::Request& request,
                                            std::string_view action) {
  const Params params = params_of(request.query);
  const std::string id = get(params, "district");
  std::lock_guard lock(mutex_);
  if (action == "connect") {
    const std::string token = get(params, "token");
    if (id.empty() || token.empty()) return http::Response::text(400, "district and token\n");
    districts_[id] = District{token};
    return http::Response::text(200, "ok\n");
  }
  auto district = districts_.find(id);
  if (district == districts_.end()) return http::Response::text(404, "no such district\n");
  if (action == "revoke") {
    district->second.listed = false;
    return http::Response::text(200, "ok\n");
  }
  auto status = integer(get(params, "status"));
  if (!status || (*status != 0 && *status != 401 && *status != 404)) {
    return http::Response::text(400, "status must be 401, 404 or 0\n");
  }
  district->second.forced_status = static_cast<int>(*status);
  return http::Response::text(200, "ok\n");
}

http::Response FakeClever::append_events(const http::Request& request) {
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(request.body, ec);
  if (ec) return http::Response::text(400, "body must be JSON\n");
  const bool apply = get(params_of(request.query), "apply") != "false";
  boost::json::array ids;
  std::lock_guard lock(mutex_);
  for (boost::json::object& event : objects_of(body)) {
    if (apply) apply_event(event);
    ids.emplace_back(add_event(event));
  }
  return json(200, {{"ids", std::move(ids)}});
}

http::Response FakeClever::put_records(const http::Request& request) {
  const std::string kind = get(params_of(request.query), "kind");
  if (!is_kind(kind)) return http::Response::text(400, "kind must be users, sections or schools\n");
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(request.body, ec);
  if (ec) return http::Response::text(400, "body must be JSON\n");
  std::lock_guard lock(mutex_);
  for (const boost::json::object& record : objects_of(body)) put(kind, record);
  return http::Response::text(200, "ok\n");
}

http::Response FakeClever::delete_record(const http::Request& request) {
  const Params params = params_of(request.query);
  const std::string kind = get(params, "kind");
  if (!is_kind(kind)) return http::Response::text(400, "kind must be users, sections or schools\n");
  const std::string id = get(params, "id");
  std::lock_guard lock(mutex_);
  for (auto& [district, records] : store_[kind]) records.erase(id);
  if (kind == "users") user_district_.erase(id);
  return http::Response::text(200, "ok\n");
}

}  // namespace lmsgw::fakes
