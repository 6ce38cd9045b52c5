#include "fake_facebook.h"

#include <thread>

#include <boost/json/serialize.hpp>

#include "common/crypto.h"
#include "lmsgw/sdk/encoding.h"

namespace lmsgw::fakes {
namespace {

using Params = std::map<std::string, std::string>;

// Graph user fields the fake knows, and the permission each needs beyond public_profile
// (empty: public_profile suffices). Fields missing a permission are left out silently, like
// Graph does; fields not listed here do not exist on a User node.
const std::map<std::string, std::string, std::less<>>& known_fields() {
  static const std::map<std::string, std::string, std::less<>> fields = {
      {"id", ""},
      {"first_name", ""},
      {"last_name", ""},
      {"middle_name", ""},
      {"name", ""},
      {"short_name", ""},
      {"name_format", ""},
      {"picture", ""},
      {"email", "email"},
      {"birthday", "user_birthday"},
      {"gender", "user_gender"},
      {"location", "user_location"},
      {"hometown", "user_hometown"},
      {"link", "user_link"},
      {"age_range", "user_age_range"},
  };
  return fields;
}

// The scopes an app in development mode may ask for without App Review.
bool grantable_scope(std::string_view scope) {
  return scope == "public_profile" || scope == "email";
}

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

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  std::string current;
  for (char c : text) {
    if (c == ',' || c == ' ') {
      if (!current.empty()) items.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) items.push_back(std::move(current));
  return items;
}

http::Response json(int status, const boost::json::value& body) {
  return http::Response::json(status, boost::json::serialize(body));
}

// Graph's error envelope (PROTOCOLS.md section 3.2).
http::Response graph_error(int status, int code, std::string_view type, std::string_view message) {
  return json(status, {{"error",
                        {{"message", message},
                         {"type", type},
                         {"code", code},
                         {"fbtrace_id", crypto::random_token(8)}}}});
}

std::string string_of(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

}  // namespace

FakeFacebook::FakeFacebook(FakeFacebookOptions options, boost::json::object fixture)
    : options_(std::move(options)) {
  if (const boost::json::value* users = fixture.if_contains("users")) {
    for (const boost::json::value& user : users->as_array()) users_.push_back(user.as_object());
  }
}

void FakeFacebook::add_browser_routes(http::Router& router) {
  router.add(
      {http::Method::get}, "/{version}/dialog/oauth",
      [this](const http::Request& r) { return dialog(r); }, http::Dispatch::worker);
}

void FakeFacebook::add_api_routes(http::Router& router) {
  router.add(
      {http::Method::get}, "/{version}/oauth/access_token",
      [this](const http::Request& r) { return access_token(r); }, http::Dispatch::worker);
  router.add(
      {http::Method::get}, "/{version}/me", [this](const http::Request& r) { return me(r); },
      http::Dispatch::worker);
  router.add({http::Method::post}, "/__fake/faults",
             [this](const http::Request& r) { return set_fault(r); });
  router.add({http::Method::delete_}, "/__fake/faults",
             [this](const http::Request& r) { return clear_faults(r); });
  router.add({http::Method::post}, "/__fake/signed_request",
             [this](const http::Request& r) { return mint_signed_request(r); });
  router.add({http::Method::get}, "/__fake/stats",
             [this](const http::Request& r) { return stats(r); });
}

void FakeFacebook::count(const std::string& name) {
  std::lock_guard lock(mutex_);
  ++counters_[name];
}

const boost::json::object* FakeFacebook::find_user(std::string_view id) const {
  for (const boost::json::object& candidate : users_) {
    if (string_of(candidate, "id") == id) return &candidate;
  }
  return nullptr;
}

std::optional<http::Response> FakeFacebook::take_fault(const std::string& endpoint) {
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
      return graph_error(fault.status, fault.graph_code, "OAuthException", "injected failure");
    case FaultMode::malformed:
      return http::Response::json(200, "{\"id\": ");
    case FaultMode::html:
      return http::Response::html(fault.status, "<html><body>Bad Gateway</body></html>");
    case FaultMode::slow:
      std::this_thread::sleep_for(fault.delay);
      return std::nullopt;
  }
  return std::nullopt;
}

http::Response FakeFacebook::dialog(const http::Request& request) {
  count("dialog_requests");
  if (auto fault = take_fault("dialog")) return *fault;
  if (request.route_param("version") != options_.graph_version) {
    return http::Response::html(404, "<h1>Unsupported Graph API version</h1>");
  }
  const Params params = params_of(request.query);
  // Never redirect to a URI that is not registered for the app: that would make the dialog an
  // open redirector.
  if (get(params, "client_id") != options_.app_id) {
    return http::Response::html(400, "<h1>Invalid App ID</h1>");
  }
  const std::string redirect_uri = get(params, "redirect_uri");
  bool registered = false;
  for (const std::string& uri : options_.redirect_uris)
    registered = registered || uri == redirect_uri;
  if (!registered) {
    count("dialog_unregistered_redirect");
    return http::Response::html(
        400,
        "<h1>URL blocked</h1><p>This redirect failed because the redirect URI is not "
        "whitelisted in the app's Client OAuth Settings.</p>");
  }
  std::set<std::string> scopes = {"public_profile"};
  for (const std::string& scope : split_list(get(params, "scope"))) {
    if (!grantable_scope(scope)) {
      return http::Response::html(400, "<h1>Invalid Scopes: " + http::html_escape(scope) + "</h1>");
    }
    scopes.insert(scope);
  }

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
  const std::string response_type = get(params, "response_type");
  if (!response_type.empty() && response_type != "code") {
    return back({{"error", "unsupported_response_type"}});
  }
  if (get(params, "fake_cancel") == "1") {
    return back({{"error", "access_denied"},
                 {"error_code", "200"},
                 {"error_description", "Permissions error"},
                 {"error_reason", "user_denied"}});
  }

  std::string user_id = get(params, "login_hint");
  if (user_id.empty() && options_.auto_login_user) user_id = *options_.auto_login_user;
  if (user_id.empty()) {
    // No hint: show the picker, one link per fixture user, and a way to cancel.
    const std::string here = std::string(request.path) + "?" + std::string(request.query);
    std::string page =
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Fake Facebook</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto}"
        "a{display:block;margin:.5rem 0}</style></head><body><h1>Fake Facebook</h1>"
        "<p>Continue as:</p>";
    for (const boost::json::object& candidate : users_) {
      const std::string link =
          here + "&login_hint=" + sdk::percent_encode(string_of(candidate, "id"));
      page += "<a href=\"" + http::html_escape(link) + "\">" +
              http::html_escape(string_of(candidate, "first_name")) + "</a>";
    }
    page += "<a href=\"" + http::html_escape(here + "&fake_cancel=1") + "\">Cancel</a>";
    page += "</body></html>";
    return http::Response::html(200, std::move(page));
  }
  if (find_user(user_id) == nullptr) return http::Response::html(404, "<h1>No such user</h1>");

  std::string code = "AQ" + crypto::random_token(24);
  {
    std::lock_guard lock(mutex_);
    codes_[code] = Code{user_id, redirect_uri, scopes,
                        std::chrono::steady_clock::now() + options_.code_lifetime};
    ++counters_["codes_issued"];
  }
  return back({{"code", code}});
}

http::Response FakeFacebook::access_token(const http::Request& request) {
  count("token_requests");
  if (auto fault = take_fault("access_token")) return *fault;
  if (request.route_param("version") != options_.graph_version) {
    return graph_error(400, 2635, "OAuthException", "Unsupported Graph API version");
  }
  const Params params = params_of(request.query);
  if (get(params, "client_id") != options_.app_id ||
      !crypto::constant_time_equal(get(params, "client_secret"), options_.app_secret)) {
    return graph_error(400, 1, "OAuthException", "Error validating client secret.");
  }
  const std::string presented = get(params, "code");
  if (presented.empty()) {
    return graph_error(400, 100, "OAuthException", "Missing authorization code");
  }
  Code code;
  {
    std::lock_guard lock(mutex_);
    auto it = codes_.find(presented);
    if (it == codes_.end()) {
      const bool spent = spent_codes_.contains(presented);
      return graph_error(
          400, 100, "OAuthException",
          spent ? "This authorization code has been used." : "Invalid verification code format.");
    }
    code = it->second;
    codes_.erase(it);  // redeemable once, whatever happens next
    spent_codes_.insert(presented);
  }
  if (code.expires_at <= std::chrono::steady_clock::now()) {
    return graph_error(400, 100, "OAuthException", "This authorization code has expired.");
  }
  if (get(params, "redirect_uri") != code.redirect_uri) {
    return graph_error(400, 100, "OAuthException",
                       "Error validating verification code. Please make sure your redirect_uri "
                       "is identical to the one you used in the OAuth dialog request");
  }
  const std::string token = "EAA" + crypto::random_token(48);
  {
    std::lock_guard lock(mutex_);
    tokens_[token] = Token{code.user_id, code.scopes};
    ++counters_["codes_redeemed"];
  }
  return json(200, {{"access_token", token}, {"token_type", "bearer"}, {"expires_in", 5183944}});
}

http::Response FakeFacebook::me(const http::Request& request) {
  count("graph_calls");
  const Params params = params_of(request.query);
  // Graph takes the token as a parameter or as an OAuth bearer header.
  std::string token = get(params, "access_token");
  const std::string_view authorization = request.header("Authorization");
  if (token.empty() && authorization.starts_with("Bearer ")) token = authorization.substr(7);
  if (token.empty() && authorization.starts_with("OAuth ")) token = authorization.substr(6);

  // The app has "Require App Secret" on: the proof is checked before anything else.
  const std::string proof = get(params, "appsecret_proof");
  if (proof.empty()) {
    count("graph_calls_missing_proof");
    return graph_error(400, 100, "GraphMethodException",
                       "API calls from the server require an appsecret_proof argument");
  }
  const std::string expected = crypto::hex_encode(crypto::hmac_sha256(options_.app_secret, token));
  if (!crypto::constant_time_equal(proof, expected)) {
    count("graph_calls_invalid_proof");
    return graph_error(400, 100, "GraphMethodException",
                       "Invalid appsecret_proof provided in the API argument");
  }
  count("graph_calls_valid_proof");
  if (auto fault = take_fault("me")) return *fault;
  if (request.route_param("version") != options_.graph_version) {
    return graph_error(400, 2635, "OAuthException", "Unsupported Graph API version");
  }

  Token grant;
  {
    std::lock_guard lock(mutex_);
    auto it = tokens_.find(token);
    if (it == tokens_.end()) {
      return graph_error(400, 190, "OAuthException",
                         "Invalid OAuth access token - Cannot parse access token");
    }
    grant = it->second;
  }
  const boost::json::object* user = find_user(grant.user_id);
  if (user == nullptr) {
    return graph_error(400, 190, "OAuthException", "Error validating access token");
  }

  // Without `fields`, Graph answers id and name.
  std::string field_list = params.contains("fields") ? get(params, "fields") : "id,name";
  {
    std::lock_guard lock(mutex_);
    last_fields_ = field_list;
  }
  boost::json::object out;
  for (const std::string& field : split_list(field_list)) {
    auto known = known_fields().find(field);
    if (known == known_fields().end()) {
      return graph_error(
          400, 100, "GraphMethodException",
          "(#100) Tried accessing nonexisting field (" + field + ") on node type (User)");
    }
    if (!known->second.empty() && !grant.scopes.contains(known->second)) continue;
    if (const boost::json::value* value = user->if_contains(field)) out[field] = *value;
  }
  return json(200, out);
}

http::Response FakeFacebook::set_fault(const http::Request& request) {
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
  if (endpoint != "dialog" && endpoint != "access_token" && endpoint != "me") {
    return http::Response::text(400, "endpoint must be dialog, access_token or me\n");
  }
  try {
    if (!get(params, "status").empty()) fault.status = std::stoi(get(params, "status"));
    if (!get(params, "graph_code").empty()) fault.graph_code = std::stoi(get(params, "graph_code"));
    if (!get(params, "count").empty()) fault.count = std::stoi(get(params, "count"));
    if (!get(params, "delay_ms").empty()) {
      fault.delay = std::chrono::milliseconds(std::stoi(get(params, "delay_ms")));
    }
  } catch (const std::exception&) {
    return http::Response::text(400, "status, graph_code, count and delay_ms must be integers\n");
  }
  std::lock_guard lock(mutex_);
  faults_[endpoint] = fault;
  return http::Response::text(200, "ok\n");
}

http::Response FakeFacebook::clear_faults(const http::Request&) {
  std::lock_guard lock(mutex_);
  faults_.clear();
  return http::Response::text(200, "ok\n");
}

http::Response FakeFacebook::stats(const http::Request&) {
  boost::json::object out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, value] : counters_) out[name] = value;
  out["last_fields"] = last_fields_;
  return json(200, out);
}

http::Response FakeFacebook::mint_signed_request(const http::Request& request) {
  const Params params = params_of(request.query);
  const std::string user_id = get(params, "user_id");
  const std::string callback = get(params, "callback");
  const std::string forge = get(params, "forge");
  if (user_id.empty() || (callback != "deauthorize" && callback != "data-deletion")) {
    return http::Response::text(400, "user_id and callback=deauthorize|data-deletion required\n");
  }
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  std::int64_t issued_at = now;
  if (forge == "old") issued_at = now - 3600;
  if (forge == "future") issued_at = now + 3600;
  boost::json::object payload{
      {"user_id", user_id},
      {"algorithm", forge == "wrong_algorithm" ? "HMAC-SHA1" : "HMAC-SHA256"},
      {"issued_at", issued_at}};
  // The data deletion payload carries `expires` (PROTOCOLS.md 3.4).
  if (callback == "data-deletion" || forge == "expired") {
    payload["expires"] = forge == "expired" ? now - 1 : now + 3600;
  }
  const std::string encoded = sdk::base64url_encode(boost::json::serialize(payload));
  const std::string key =
      forge == "wrong_secret" ? "not-" + options_.app_secret : options_.app_secret;
  const crypto::Digest mac = crypto::hmac_sha256(key, encoded);
  count("signed_requests_minted");
  return http::Response::text(200, sdk::base64url_encode(crypto::as_view(mac)) + "." + encoded);
}

}  // namespace lmsgw::fakes
