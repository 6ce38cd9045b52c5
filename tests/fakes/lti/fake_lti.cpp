#include "fake_lti.h"

#include <stdexcept>

#include <boost/json/serialize.hpp>

#include "auto_post_form.h"
#include "common/crypto.h"
#include "jose/jws.h"
#include "lmsgw/sdk/encoding.h"

namespace lmsgw::fakes {
namespace {

using Params = std::map<std::string, std::string>;

constexpr std::string_view kClaim = "https://purl.imsglobal.org/spec/lti/claim/";

// Each makes the id_token wrong in one way (or, for login_required, refuses the launch).
constexpr std::string_view kFaults[] = {
    "wrong_iss",     "wrong_aud",          "several_aud_no_azp", "expired",
    "bad_signature", "unknown_kid",        "wrong_nonce",        "unregistered_deployment",
    "wrong_version", "wrong_message_type", "no_resource_link",   "login_required"};

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

std::string claim(std::string_view name) { return std::string(kClaim) + std::string(name); }

std::string with_query(std::string url, const std::vector<std::pair<std::string, std::string>>& q) {
  char separator = url.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [name, value] : q) {
    url += separator + name + "=" + sdk::percent_encode(value);
    separator = '&';
  }
  return url;
}

jose::SigningKey generate_key(const std::string& kid) {
  auto key = jose::SigningKey::generate(jose::Algorithm::rs256, kid);
  if (!key) throw std::runtime_error("cannot make an RSA key: " + key.error().detail);
  return std::move(*key);
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

FakeLti::FakeLti(FakeLtiOptions options, boost::json::object fixture)
    : options_(std::move(options)) {
  if (const boost::json::value* users = fixture.if_contains("users")) {
    for (const boost::json::value& user : users->as_array()) users_.push_back(user.as_object());
  }
  if (const boost::json::value* context = fixture.if_contains("context")) {
    context_ = context->as_object();
  }
  keys_.push_back(generate_key("fake-lti-key-" + std::to_string(next_key_++)));
}

void FakeLti::add_browser_routes(http::Router& router) {
  router.add(
      {http::Method::get}, "/__fake/launch", [this](const http::Request& r) { return launch(r); },
      http::Dispatch::worker);
  router.add(
      {http::Method::get, http::Method::post}, "/lti/authorize",
      [this](const http::Request& r) { return authorize(r); }, http::Dispatch::worker);
}

void FakeLti::add_api_routes(http::Router& router) {
  router.add({http::Method::get}, "/lti/jwks", [this](const http::Request& r) { return jwks(r); });
  router.add({http::Method::post}, "/__fake/faults",
             [this](const http::Request& r) { return set_fault(r); });
  router.add({http::Method::delete_}, "/__fake/faults",
             [this](const http::Request& r) { return clear_faults(r); });
  router.add(
      {http::Method::post}, "/__fake/keys/rotate",
      [this](const http::Request& r) { return rotate_keys(r); }, http::Dispatch::worker);
  router.add({http::Method::post}, "/__fake/keys/retire",
             [this](const http::Request& r) { return retire_keys(r); });
  router.add({http::Method::get}, "/__fake/stats",
             [this](const http::Request& r) { return stats(r); });
}

void FakeLti::count(const std::string& name) {
  std::lock_guard lock(mutex_);
  ++counters_[name];
}

const boost::json::object* FakeLti::find_user(std::string_view id) const {
  for (const boost::json::object& user : users_) {
    const boost::json::value* user_id = user.if_contains("id");
    if (user_id != nullptr && user_id->is_string() && user_id->get_string() == id) return &user;
  }
  return nullptr;
}

// Starts a launch the way a platform does when a user clicks a link in a course: a third-party
// initiated login at the tool. Parameters: user (required), deployment, target, method
// (get|post), iss and client_id (to send wrong ones), omit (comma-separated login parameters
// to leave out), token_deployment and token_target (what the signed launch names instead of
// the login's deployment and target).
http::Response FakeLti::launch(const http::Request& request) {
  const Params params = params_of(request.query);
  const std::string user_id = get(params, "user");
  if (find_user(user_id) == nullptr) return http::Response::html(404, "<h1>No such user</h1>");
  PendingLaunch pending{
      user_id,
      params.contains("deployment") ? get(params, "deployment") : options_.deployment_id,
      params.contains("target") ? get(params, "target") : options_.target_link_uri,
      crypto::random_token(16),
      params.contains("token_deployment") ? std::optional(get(params, "token_deployment"))
                                          : std::nullopt,
      params.contains("token_target") ? std::optional(get(params, "token_target")) : std::nullopt};
  const std::string login_hint = crypto::random_token(16);
  {
    std::lock_guard lock(mutex_);
    launches_[login_hint] = pending;
    ++counters_["launches_started"];
  }
  const std::string omit = "," + get(params, "omit") + ",";
  std::vector<std::pair<std::string, std::string>> login;
  auto add = [&](std::string name, std::string value) {
    if (omit.find("," + name + ",") == std::string::npos) login.emplace_back(name, value);
  };
  add("iss", params.contains("iss") ? get(params, "iss") : options_.issuer);
  add("login_hint", login_hint);
  add("target_link_uri", pending.target_link_uri);
  add("lti_message_hint", pending.message_hint);
  add("client_id", params.contains("client_id") ? get(params, "client_id") : options_.client_id);
  add("lti_deployment_id", pending.deployment_id);
  if (get(params, "method") == "post") {
    return http::Response::html(
        200, render_auto_post_form(AutoPostForm{options_.login_url, login}, "Launching"));
  }
  return http::Response::redirect(with_query(options_.login_url, login));
}

http::Response FakeLti::authorize(const http::Request& request) {
  count("auth_requests");
  const Params params =
      params_of(request.method == http::Method::post ? request.body : request.query);
  // Never send anything to a redirect URI that is not registered for the client: that would
  // make the endpoint an open redirector.
  if (get(params, "client_id") != options_.client_id) {
    count("auth_refused");
    return http::Response::html(400, "<h1>Unknown client_id</h1>");
  }
  const std::string redirect_uri = get(params, "redirect_uri");
  bool registered = false;
  for (const std::string& uri : options_.redirect_uris)
    registered = registered || uri == redirect_uri;
  if (!registered) {
    count("auth_refused");
    return http::Response::html(400, "<h1>redirect_uri is not registered</h1>");
  }

  const std::string state = get(params, "state");
  auto answer = [&](std::vector<std::pair<std::string, std::string>> fields) {
    if (!state.empty()) fields.emplace_back("state", state);
    return http::Response::html(
        200, render_auto_post_form(AutoPostForm{redirect_uri, std::move(fields)}, "Fake LMS"));
  };
  auto refuse = [&](std::string error, std::string description) {
    count("auth_refused");
    return answer({{"error", std::move(error)}, {"error_description", std::move(description)}});
  };
  if (get(params, "scope") != "openid") return refuse("invalid_scope", "scope must be openid");
  if (get(params, "response_type") != "id_token") {
    return refuse("unsupported_response_type", "response_type must be id_token");
  }
  if (get(params, "response_mode") != "form_post") {
    return refuse("invalid_request", "response_mode must be form_post");
  }
  if (get(params, "prompt") != "none") return refuse("invalid_request", "prompt must be none");
  const std::string nonce = get(params, "nonce");
  if (nonce.empty()) return refuse("invalid_request", "nonce is required");

  PendingLaunch pending;
  {
    std::lock_guard lock(mutex_);
    auto it = launches_.find(get(params, "login_hint"));
    if (it == launches_.end()) {
      ++counters_["auth_refused"];
      return answer({{"error", "login_required"},
                     {"error_description", "login_hint unknown or already used"}});
    }
    pending = it->second;
    launches_.erase(it);  // usable once, whatever happens next
  }
  if (get(params, "lti_message_hint") != pending.message_hint) {
    return refuse("invalid_request", "lti_message_hint is not the one issued");
  }
  const boost::json::object* user = find_user(pending.user_id);
  if (user == nullptr) return refuse("login_required", "no such user");

  auto id_token = issue_id_token(pending, *user, nonce);
  if (!id_token) {
    if (id_token.error().code == sdk::ErrorCode::provider_denied) {
      return refuse("login_required", "the platform refused this launch");
    }
    return http::Response::text(500, id_token.error().detail + "\n");
  }
  count("id_tokens_issued");
  return answer({{"id_token", std::move(*id_token)}});
}

std::optional<std::string> FakeLti::take_fault() {
  std::lock_guard lock(mutex_);
  if (faults_.empty()) return std::nullopt;
  std::string fault = faults_.front().first;
  if (--faults_.front().second <= 0) faults_.erase(faults_.begin());
  return fault;
}

sdk::Result<std::string> FakeLti::issue_id_token(const PendingLaunch& launch,
                                                 const boost::json::object& user,
                                                 const std::string& nonce) {
  const std::string fault = take_fault().value_or("");
  if (fault == "login_required") {
    return sdk::Error{sdk::ErrorCode::provider_denied, "injected login_required"};
  }
  const std::int64_t now = unix_now();
  boost::json::object claims;
  claims["iss"] = fault == "wrong_iss" ? options_.issuer + "/another-platform" : options_.issuer;
  if (fault == "wrong_aud") {
    claims["aud"] = "another-tool";
    claims["azp"] = "another-tool";
  } else if (fault == "several_aud_no_azp") {
    claims["aud"] = boost::json::array{options_.client_id, "another-tool"};
  } else {
    claims["aud"] = options_.client_id;
    claims["azp"] = options_.client_id;
  }
  claims["sub"] = launch.user_id;
  claims["iat"] = fault == "expired" ? now - 3600 : now;
  claims["exp"] = fault == "expired" ? now - 1800 : now + options_.token_lifetime.count();
  claims["nonce"] = fault == "wrong_nonce" ? "not-" + nonce : nonce;
  claims[claim("message_type")] =
      fault == "wrong_message_type" ? "LtiDeepLinkingRequest" : "LtiResourceLinkRequest";
  claims[claim("version")] = fault == "wrong_version" ? "1.1.0" : "1.3.0";
  claims[claim("deployment_id")] = fault == "unregistered_deployment"
                                       ? "dep-unregistered"
                                       : launch.token_deployment_id.value_or(launch.deployment_id);
  claims[claim("target_link_uri")] = launch.token_target_link_uri.value_or(launch.target_link_uri);
  if (fault != "no_resource_link") {
    claims[claim("resource_link")] = {{"id", "rl-fractions-1"}, {"title", "Fractions practice"}};
  }
  if (!context_.empty()) claims[claim("context")] = context_;
  claims[claim("tool_platform")] = {
      {"guid", "fake-lms-1"}, {"name", "Fake LMS"}, {"product_family_code", "fake-lms"}};
  claims[claim("launch_presentation")] = {{"document_target", "iframe"}, {"locale", "en-US"}};
  if (const boost::json::value* roles = user.if_contains("roles")) {
    claims[claim("roles")] = *roles;
  } else {
    claims[claim("roles")] = boost::json::array{};
  }
  if (const boost::json::value* lti = user.if_contains("lti"); lti && lti->is_object()) {
    for (const auto& member : lti->get_object()) claims[claim(member.key())] = member.value();
  }
  if (const boost::json::value* extra = user.if_contains("claims"); extra && extra->is_object()) {
    for (const auto& member : extra->get_object()) claims[member.key()] = member.value();
  }

  jose::SigningKey key = [&] {
    std::lock_guard lock(mutex_);
    return keys_.back();
  }();
  if (fault == "bad_signature") {
    // The published kid, another key: what a forger without the platform's key can do.
    key = generate_key(key.kid());
  } else if (fault == "unknown_kid") {
    key = generate_key("unpublished-key");
  }
  return jose::sign(key, boost::json::serialize(claims));
}

http::Response FakeLti::jwks(const http::Request&) {
  boost::json::array keys;
  {
    std::lock_guard lock(mutex_);
    ++counters_["jwks_requests"];
    for (const jose::SigningKey& key : keys_) keys.push_back(key.public_key().to_jwk());
  }
  return http::Response::json(200, boost::json::serialize(boost::json::object{{"keys", keys}}))
      .with_header("Cache-Control", "public, max-age=300");
}

http::Response FakeLti::set_fault(const http::Request& request) {
  const Params params = params_of(request.query);
  const std::string fault = get(params, "fault");
  if (std::find(std::begin(kFaults), std::end(kFaults), fault) == std::end(kFaults)) {
    std::string names;
    for (std::string_view name : kFaults) names += " " + std::string(name);
    return http::Response::text(400, "fault must be one of:" + names + "\n");
  }
  int count = 1;
  try {
    if (!get(params, "count").empty()) count = std::stoi(get(params, "count"));
  } catch (const std::exception&) {
    return http::Response::text(400, "count must be an integer\n");
  }
  std::lock_guard lock(mutex_);
  faults_.emplace_back(fault, count);
  return http::Response::text(200, "ok\n");
}

http::Response FakeLti::clear_faults(const http::Request&) {
  std::lock_guard lock(mutex_);
  faults_.clear();
  return http::Response::text(200, "ok\n");
}

http::Response FakeLti::rotate_keys(const http::Request&) {
  std::string kid;
  {
    std::lock_guard lock(mutex_);
    kid = "fake-lti-key-" + std::to_string(next_key_++);
  }
  jose::SigningKey key = generate_key(kid);
  std::lock_guard lock(mutex_);
  keys_.push_back(std::move(key));
  return http::Response::text(200, kid + "\n");
}

http::Response FakeLti::retire_keys(const http::Request&) {
  std::lock_guard lock(mutex_);
  keys_.erase(keys_.begin(), keys_.end() - 1);
  return http::Response::text(200, "ok\n");
}

http::Response FakeLti::stats(const http::Request&) {
  boost::json::object out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, value] : counters_) out[name] = value;
  return http::Response::json(200, boost::json::serialize(out));
}

}  // namespace lmsgw::fakes
