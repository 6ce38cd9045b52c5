#include "session/token_endpoints.h"

#include <boost/json/serialize.hpp>

#include "common/crypto.h"
#include "lmsgw/sdk/encoding.h"

namespace lmsgw::session {
namespace {

http::Response json(int status, std::string body) {
  http::Response response = http::Response::json(status, std::move(body));
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

std::string form_value(std::string_view body, std::string_view name) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!http::parse_form(body, pairs)) return {};
  for (auto& [key, value] : pairs) {
    if (key == name) return std::move(value);
  }
  return {};
}

}  // namespace

TokenEndpoints::TokenEndpoints(AccessTokens& tokens, const KeyRing& keys,
                               const SessionService& sessions, std::string cookie_name,
                               const std::string& public_url,
                               std::map<std::string, sdk::Secret> introspection_clients,
                               const sdk::Clock& clock)
    : tokens_(tokens),
      keys_(keys),
      sessions_(sessions),
      cookie_name_(std::move(cookie_name)),
      clients_(std::move(introspection_clients)),
      clock_(clock) {
  // Only what is true of this issuer: it is not an OpenID provider, it issues access tokens.
  boost::json::object document{
      {"issuer", tokens.config().issuer},
      {"jwks_uri", public_url + "/.well-known/jwks.json"},
      {"introspection_endpoint", public_url + "/oauth/introspect"},
      {"introspection_endpoint_auth_methods_supported", boost::json::array{"client_secret_basic"}},
      {"access_token_signing_alg_values_supported", boost::json::array{"ES256", "EdDSA"}},
  };
  discovery_document_ = boost::json::serialize(document);
}

http::Response TokenEndpoints::discovery(const http::Request&) const {
  return http::Response::json(200, discovery_document_)
      .with_header("Cache-Control", "public, max-age=3600");
}

http::Response TokenEndpoints::jwks(const http::Request& request) const {
  const auto snapshot = keys_.snapshot();
  // Short enough that a verifier picks up a rotated key well within a token's lifetime; a
  // verifier that meets an unknown kid should fetch again anyway.
  if (request.header("If-None-Match") == snapshot->etag) {
    http::Response unchanged;
    unchanged.status = 304;
    unchanged.headers = {{"ETag", snapshot->etag}, {"Cache-Control", "public, max-age=300"}};
    return unchanged;
  }
  return http::Response::json(200, snapshot->jwks)
      .with_header("ETag", snapshot->etag)
      .with_header("Cache-Control", "public, max-age=300");
}

http::Response TokenEndpoints::token(const http::Request& request) const {
  const std::string_view session_id = request.cookie(cookie_name_);
  auto view = sessions_.find(session_id);
  if (!view) return json(401, R"({"error":"no_session"})");
  auto minted = tokens_.mint(*view, crypto::sha256(session_id));
  if (!minted) return json(500, R"({"error":"server_error"})");
  return json(
      200, boost::json::serialize(boost::json::object{{"access_token", minted->token},
                                                      {"token_type", "Bearer"},
                                                      {"expires_in", minted->expires_in.count()}}));
}

bool TokenEndpoints::authenticated_client(const http::Request& request) const {
  const std::string_view authorization = request.header("Authorization");
  if (!authorization.starts_with("Basic ")) return false;
  auto decoded = sdk::base64_decode(authorization.substr(6));
  if (!decoded) return false;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  // RFC 6749 section 2.3.1: both parts are form-encoded before they are joined.
  std::vector<std::pair<std::string, std::string>> parts;
  if (!http::parse_form("id=" + decoded->substr(0, colon) + "&secret=" + decoded->substr(colon + 1),
                        parts) ||
      parts.size() != 2) {
    return false;
  }
  auto client = clients_.find(parts[0].second);
  if (client == clients_.end()) return false;
  // Client ids are not secret; the secret is compared in constant time, as digests so that
  // not even its length shows.
  return crypto::constant_time_equal(crypto::sha256(parts[1].second),
                                     crypto::sha256(client->second.reveal()));
}

http::Response TokenEndpoints::introspect(const http::Request& request) const {
  if (!authenticated_client(request)) {
    return json(401, R"({"error":"invalid_client"})")
        .with_header("WWW-Authenticate", "Basic realm=\"lms-gateway\"");
  }
  if (!request.header("Content-Type").starts_with("application/x-www-form-urlencoded")) {
    return json(400, R"({"error":"invalid_request"})");
  }
  const std::string token = form_value(request.body, "token");
  if (token.empty()) return json(400, R"({"error":"invalid_request"})");

  static const std::string kInactive = R"({"active":false})";
  auto verified = tokens_.verify(token);
  if (!verified) return json(200, kInactive);
  // Revoked, expired or logged-out sessions take their tokens with them.
  auto session = sessions_.cache().find((*verified)->session_hash, clock_.now());
  if (!session) return json(200, kInactive);
  boost::json::object answer = (*verified)->claims;
  answer["active"] = true;
  answer["token_type"] = "Bearer";
  return json(200, boost::json::serialize(answer));
}

}  // namespace lmsgw::session
