#include "fake_google.h"

#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/crypto.h"
#include "jose/jws.h"
#include "jose/key_set.h"
#include "lmsgw/sdk/encoding.h"

namespace lmsgw::fakes {
namespace {

using Params = std::map<std::string, std::string>;

// What /__fake/faults can make the next ID tokens (or the discovery document) do wrong.
constexpr std::string_view kFaultKinds[] = {"wrong_iss",     "wrong_aud",   "expired",
                                            "bad_signature", "unknown_kid", "nonce_mismatch",
                                            "drop_hd",       "token_error", "bad_discovery"};
// Claims only the `profile` scope releases, as Google does.
constexpr std::string_view kProfileClaims[] = {"name", "given_name", "family_name", "picture",
                                               "locale"};

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
  if (!http::parse_form("v=" + std::string(text), pairs) || pairs.empty()) return {};
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

bool has_scope(const std::string& scope, std::string_view wanted) {
  std::size_t start = 0;
  while (start <= scope.size()) {
    const std::size_t end = std::min(scope.find(' ', start), scope.size());
    if (std::string_view(scope).substr(start, end - start) == wanted) return true;
    start = end + 1;
  }
  return false;
}

jose::SigningKey generate_key(const std::string& kid) {
  auto key = jose::SigningKey::generate(jose::Algorithm::rs256, kid);
  if (!key) throw std::runtime_error("cannot generate an RSA key: " + key.error().detail);
  return std::move(*key);
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

FakeGoogle::FakeGoogle(FakeGoogleOptions options, boost::json::object fixture)
    : options_(std::move(options)), risc_key_(generate_key("fake-google-risc-1")) {
  if (const boost::json::value* users = fixture.if_contains("users")) {
    for (const boost::json::value& user : users->as_array()) users_.push_back(user.as_object());
  }
  keys_.push_back(generate_key("fake-google-1"));
  key_serial_ = 1;
}

void FakeGoogle::set_base_urls(std::string api_base, std::string browser_base) {
  api_base_ = std::move(api_base);
  browser_base_ = std::move(browser_base);
}

void FakeGoogle::add_browser_routes(http::Router& router) {
  router.add(
      {http::Method::get}, "/o/oauth2/v2/auth",
      [this](const http::Request& r) { return authorize(r); }, http::Dispatch::worker);
}

void FakeGoogle::add_api_routes(http::Router& router) {
  router.add({http::Method::get}, "/.well-known/openid-configuration",
             [this](const http::Request& r) { return discovery(r); });
  router.add({http::Method::get}, "/oauth2/v3/certs",
             [this](const http::Request& r) { return jwks(r); });
  router.add(
      {http::Method::post}, "/token", [this](const http::Request& r) { return token(r); },
      http::Dispatch::worker);
  router.add({http::Method::post}, "/__fake/faults",
             [this](const http::Request& r) { return set_fault(r); });
  router.add({http::Method::delete_}, "/__fake/faults",
             [this](const http::Request& r) { return clear_faults(r); });
  router.add(
      {http::Method::post}, "/__fake/keys",
      [this](const http::Request& r) { return rotate_keys(r); }, http::Dispatch::worker);
  router.add({http::Method::get}, "/.well-known/risc-configuration",
             [this](const http::Request& r) { return risc_configuration(r); });
  router.add({http::Method::get}, "/risc/v1/certs",
             [this](const http::Request& r) { return risc_jwks(r); });
  router.add(
      {http::Method::post}, "/__fake/risc/set",
      [this](const http::Request& r) { return mint_security_event(r); }, http::Dispatch::worker);
  router.add({http::Method::get}, "/__fake/stats",
             [this](const http::Request& r) { return stats(r); });
}

void FakeGoogle::count(const std::string& name) {
  std::lock_guard lock(mutex_);
  ++counters_[name];
}

bool FakeGoogle::take_fault(const std::string& kind) {
  std::lock_guard lock(mutex_);
  auto it = faults_.find(kind);
  if (it == faults_.end()) return false;
  if (--it->second <= 0) faults_.erase(it);
  return true;
}

const boost::json::object* FakeGoogle::find_user(std::string_view hint) const {
  for (const boost::json::object& user : users_) {
    if (string_of(user, "sub") == hint || string_of(user, "email") == hint) return &user;
  }
  return nullptr;
}

http::Response FakeGoogle::discovery(const http::Request&) {
  count("discovery_requests");
  if (take_fault("bad_discovery")) return http::Response::json(200, "{\"issuer\": ");
  return json(200, {{"issuer", options_.issuer},
                    {"authorization_endpoint", browser_base_ + "/o/oauth2/v2/auth"},
                    {"token_endpoint", api_base_ + "/token"},
                    {"jwks_uri", api_base_ + "/oauth2/v3/certs"},
                    {"response_types_supported", {"code", "id_token", "code id_token"}},
                    {"subject_types_supported", {"public"}},
                    {"id_token_signing_alg_values_supported", {"RS256"}},
                    {"scopes_supported", {"openid", "email", "profile"}},
                    {"token_endpoint_auth_methods_supported",
                     {"client_secret_post", "client_secret_basic"}},
                    {"claims_supported",
                     {"aud", "email", "email_verified", "exp", "family_name", "given_name", "iat",
                      "iss", "name", "picture", "sub"}},
                    {"code_challenge_methods_supported", {"plain", "S256"}},
                    {"grant_types_supported", {"authorization_code"}}})
      .with_header("Cache-Control", "public, max-age=3600");
}

http::Response FakeGoogle::jwks(const http::Request&) {
  jose::KeySet set;
  {
    std::lock_guard lock(mutex_);
    ++counters_["jwks_requests"];
    for (const jose::SigningKey& key : keys_) (void)set.add(key.public_key());
  }
  return json(200, set.to_jwks())
      .with_header("Cache-Control",
                   "public, max-age=" + std::to_string(options_.jwks_max_age.count()));
}

http::Response FakeGoogle::authorize(const http::Request& request) {
  const Params params = params_of(request.query);
  // Never redirect to an unregistered URI: that would make this an open redirector.
  if (get(params, "client_id") != options_.client_id) {
    return http::Response::html(400, "<h1>Error 401: invalid_client</h1>");
  }
  const std::string redirect_uri = get(params, "redirect_uri");
  bool registered = false;
  for (const std::string& uri : options_.redirect_uris) registered |= uri == redirect_uri;
  if (!registered) return http::Response::html(400, "<h1>Error 400: redirect_uri_mismatch</h1>");

  const std::string state = get(params, "state");
  auto back = [&](std::string_view name, const std::string& value) {
    std::string location = redirect_uri + (redirect_uri.find('?') == std::string::npos ? "?" : "&");
    location += std::string(name) + "=" + sdk::percent_encode(value);
    if (!state.empty()) location += "&state=" + sdk::percent_encode(state);
    return http::Response::redirect(location);
  };
  if (get(params, "response_type") != "code") return back("error", "unsupported_response_type");
  const std::string scope = get(params, "scope");
  if (!has_scope(scope, "openid")) return back("error", "invalid_scope");
  // Stricter than Google, which also takes "plain" or no PKCE: this fake requires S256.
  const std::string challenge = get(params, "code_challenge");
  if (challenge.size() != 43 || get(params, "code_challenge_method") != "S256") {
    return back("error", "invalid_request");
  }

  std::string hint = get(params, "login_hint");
  if (hint.empty() && options_.auto_login_user) hint = *options_.auto_login_user;
  if (hint.empty()) {
    // No hint: an account chooser, one link per fixture user.
    std::string page =
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Fake Google</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto}"
        "a{display:block;margin:.5rem 0}</style></head><body><h1>Fake Google</h1>"
        "<p>Choose an account:</p>";
    for (const boost::json::object& user : users_) {
      const std::string link = std::string(request.path) + "?" + std::string(request.query) +
                               "&login_hint=" + sdk::percent_encode(string_of(user, "sub"));
      const std::string hd = string_of(user, "hd");
      page += "<a href=\"" + http::html_escape(link) + "\">" +
              http::html_escape(string_of(user, "given_name")) + " (" +
              http::html_escape(hd.empty() ? "personal account" : hd) + ")</a>";
    }
    return http::Response::html(200, page + "</body></html>");
  }
  const boost::json::object* user = find_user(hint);
  if (user == nullptr) return back("error", "access_denied");

  const std::string code = crypto::random_token(32);
  {
    std::lock_guard lock(mutex_);
    codes_[code] = Code{string_of(*user, "sub"),
                        redirect_uri,
                        challenge,
                        get(params, "nonce"),
                        has_scope(scope, "profile"),
                        std::chrono::steady_clock::now() + options_.code_lifetime};
    ++counters_["codes_issued"];
  }
  return back("code", code);
}

http::Response FakeGoogle::token(const http::Request& request) {
  count("token_requests");
  if (take_fault("token_error")) return oauth_error(500, "internal_failure", "injected");
  const Params body = params_of(request.body);

  // client_secret_basic or client_secret_post, never both (RFC 6749 section 2.3).
  std::string client_id;
  std::string client_secret;
  const std::string_view authorization = request.header("Authorization");
  if (authorization.starts_with("Basic ")) {
    if (body.contains("client_secret")) {
      return oauth_error(400, "invalid_request", "more than one client authentication");
    }
    if (auto decoded = sdk::base64_decode(authorization.substr(6))) {
      const auto colon = decoded->find(':');
      if (colon != std::string::npos) {
        client_id = percent_decode(decoded->substr(0, colon));
        client_secret = percent_decode(decoded->substr(colon + 1));
      }
    }
  } else {
    client_id = get(body, "client_id");
    client_secret = get(body, "client_secret");
  }
  if (client_id != options_.client_id ||
      !crypto::constant_time_equal(client_secret, options_.client_secret)) {
    count("client_auth_failures");
    return oauth_error(401, "invalid_client", "The OAuth client was not found.");
  }
  if (get(body, "grant_type") != "authorization_code") {
    return oauth_error(400, "unsupported_grant_type", "Invalid grant_type");
  }

  Code code;
  {
    std::lock_guard lock(mutex_);
    auto it = codes_.find(get(body, "code"));
    if (it == codes_.end()) return oauth_error(400, "invalid_grant", "Malformed auth code.");
    code = it->second;
    codes_.erase(it);  // redeemable once, whatever happens next
  }
  if (code.expires_at <= std::chrono::steady_clock::now()) {
    return oauth_error(400, "invalid_grant", "Bad Request");
  }
  if (get(body, "redirect_uri") != code.redirect_uri) {
    return oauth_error(400, "redirect_uri_mismatch", "Bad Request");
  }
  const std::string verifier = get(body, "code_verifier");
  if (verifier.size() < 43 || verifier.size() > 128 ||
      crypto::base64url_encode(crypto::sha256(verifier)) != code.code_challenge) {
    count("pkce_failures");
    return oauth_error(400, "invalid_grant", "Missing code verifier.");
  }

  const std::string id_token = id_token_for(code);
  count("id_tokens_issued");
  return json(200, {{"access_token", "ya29.fake-" + crypto::random_token(24)},
                    {"expires_in", 3599},
                    {"scope", code.profile ? "openid email profile" : "openid email"},
                    {"token_type", "Bearer"},
                    {"id_token", id_token}});
}

std::string FakeGoogle::id_token_for(const Code& code) {
  const boost::json::object* user = find_user(code.sub);
  if (user == nullptr) throw std::runtime_error("code for an unknown user");
  boost::json::object claims;
  const std::int64_t now = unix_now();
  claims["iss"] =
      take_fault("wrong_iss") ? "https://accounts.google.com.evil.example" : options_.issuer;
  const std::string audience =
      take_fault("wrong_aud") ? "another-client.apps.googleusercontent.com" : options_.client_id;
  claims["azp"] = audience;
  claims["aud"] = audience;
  claims["sub"] = code.sub;
  for (const auto& member : *user) {
    const std::string_view key = member.key();
    if (key == "sub") continue;
    bool profile_only = false;
    for (std::string_view claim : kProfileClaims) profile_only |= claim == key;
    if (profile_only && !code.profile) continue;
    claims[key] = member.value();
  }
  if (take_fault("drop_hd")) claims.erase("hd");
  if (!code.nonce.empty()) {
    claims["nonce"] = take_fault("nonce_mismatch") ? "nonce-of-another-sign-in" : code.nonce;
  }
  const bool expired = take_fault("expired");
  claims["iat"] = expired ? now - 7200 : now;
  claims["exp"] = expired ? now - 3600 : now + options_.token_lifetime.count();

  const std::string payload = boost::json::serialize(claims);
  if (take_fault("unknown_kid")) {
    // Signed properly, but with a key that was never published.
    static const jose::SigningKey unpublished = generate_key("fake-google-unpublished");
    return *jose::sign(unpublished, payload);
  }
  jose::SigningKey signer = [&] {
    std::lock_guard lock(mutex_);
    return keys_.back();
  }();
  auto signed_token = jose::sign(signer, payload);
  if (!signed_token) throw std::runtime_error("signing failed: " + signed_token.error().detail);
  std::string token = std::move(*signed_token);
  if (take_fault("bad_signature")) {
    // One base64url character in the middle of the signature changed: still well-formed.
    const std::size_t at = token.rfind('.') + 10;
    token[at] = token[at] == 'A' ? 'B' : 'A';
  }
  return token;
}

http::Response FakeGoogle::set_fault(const http::Request& request) {
  const Params params = params_of(request.query);
  const std::string kind = get(params, "kind");
  bool known = false;
  for (std::string_view candidate : kFaultKinds) known |= candidate == kind;
  if (!known) {
    return http::Response::text(400,
                                "kind must be wrong_iss, wrong_aud, expired, bad_signature, "
                                "unknown_kid, nonce_mismatch, drop_hd, token_error or "
                                "bad_discovery\n");
  }
  int times = 1;
  try {
    if (!get(params, "count").empty()) times = std::stoi(get(params, "count"));
  } catch (const std::exception&) {
    return http::Response::text(400, "count must be an integer\n");
  }
  std::lock_guard lock(mutex_);
  faults_[kind] = times;
  return http::Response::text(200, "ok\n");
}

http::Response FakeGoogle::clear_faults(const http::Request&) {
  std::lock_guard lock(mutex_);
  faults_.clear();
  return http::Response::text(200, "ok\n");
}

http::Response FakeGoogle::rotate_keys(const http::Request& request) {
  const std::string action = get(params_of(request.query), "action");
  if (action == "rotate") {
    // A new signing key, published alongside the old ones (which still verify older tokens).
    std::string kid;
    {
      std::lock_guard lock(mutex_);
      kid = "fake-google-" + std::to_string(++key_serial_);
    }
    jose::SigningKey key = generate_key(kid);
    std::lock_guard lock(mutex_);
    keys_.push_back(std::move(key));
    ++counters_["key_rotations"];
    return json(200, {{"signing_kid", kid}});
  }
  if (action == "retire") {
    std::lock_guard lock(mutex_);
    keys_.erase(keys_.begin(), keys_.end() - 1);
    return json(200, {{"signing_kid", keys_.back().kid()}});
  }
  return http::Response::text(400, "action must be rotate or retire\n");
}

http::Response FakeGoogle::stats(const http::Request&) {
  boost::json::object out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, value] : counters_) out[name] = value;
  out["signing_kid"] = keys_.back().kid();
  return json(200, out);
}

http::Response FakeGoogle::risc_configuration(const http::Request&) {
  count("risc_configuration_requests");
  return json(200, {{"issuer", options_.issuer + "/"},
                    {"jwks_uri", api_base_ + "/risc/v1/certs"},
                    {"delivery_methods_supported",
                     {"https://schemas.openid.net/secevent/risc/delivery-method/push"}},
                    {"configuration_endpoint", api_base_ + "/v1beta/stream:update"}})
      .with_header("Cache-Control", "public, max-age=3600");
}

http::Response FakeGoogle::risc_jwks(const http::Request&) {
  count("risc_jwks_requests");
  jose::KeySet set;
  (void)set.add(risc_key_.public_key());
  return json(200, set.to_jwks()).with_header("Cache-Control", "public, max-age=3600");
}

http::Response FakeGoogle::mint_security_event(const http::Request& request) {
  const Params params = params_of(request.query);
  const std::string sub = get(params, "sub");
  const std::string event = get(params, "event");
  const std::string forge = get(params, "forge");
  const std::string namespace_part = event == "tokens-revoked" ? "oauth" : "risc";
  if (event.empty() || (event != "verification" && sub.empty())) {
    return http::Response::text(400, "event (and sub, but for verification) required\n");
  }
  boost::json::object body;
  if (event == "verification") {
    body["state"] = "fake-verification-state";
  } else {
    body["subject"] = {{"subject_type", "iss-sub"}, {"iss", options_.issuer + "/"}, {"sub", sub}};
  }
  if (const std::string reason = get(params, "reason"); !reason.empty()) body["reason"] = reason;
  boost::json::object events;
  events["https://schemas.openid.net/secevent/" + namespace_part + "/event-type/" + event] = body;

  std::int64_t iat = unix_now();
  if (forge == "old_iat") iat -= 8 * 86'400;
  if (forge == "future_iat") iat += 3600;
  const std::string jti = get(params, "jti");
  boost::json::object claims{{"iss", options_.issuer + "/"},
                             {"aud", forge == "wrong_aud" ? "another-client" : options_.client_id},
                             {"iat", iat},
                             {"jti", jti.empty() ? crypto::random_token(16) : jti},
                             {"events", events}};
  // Signed properly, but with a key the RISC JWKS never published (under the published kid).
  static const jose::SigningKey impostor = generate_key("fake-google-risc-1");
  auto token =
      jose::sign(forge == "wrong_key" ? impostor : risc_key_, boost::json::serialize(claims));
  if (!token) return http::Response::text(500, "signing failed\n");
  count("security_events_minted");
  return http::Response::text(200, std::move(*token));
}

}  // namespace lmsgw::fakes
