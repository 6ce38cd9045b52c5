#include "tests/sdk/fake_hello_id.h"

#include <openssl/sha.h>

#include <stdexcept>
#include <vector>

#include "lmsgw/sdk/encoding.h"

namespace lmsgw::testing {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

std::string first(const Pairs& pairs, std::string_view name) {
  for (const auto& [key, value] : pairs) {
    if (key == name) return value;
  }
  return {};
}

std::string s256(std::string_view verifier) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest);
  return sdk::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace

FakeHelloId::FakeHelloId(const TestPki& pki, FakeHelloIdOptions options)
    : options_(std::move(options)) {
  router_.add({http::Method::get}, "/authorize",
              [this](const http::Request& request) { return authorize(request); });
  router_.add({http::Method::post}, "/token",
              [this](const http::Request& request) { return token(request); });
  router_.add({http::Method::get}, "/userinfo",
              [this](const http::Request& request) { return userinfo(request); });
  http::ServerOptions server_options;
  server_options.listen_port = 0;
  server_options.threads = 1;
  server_options.worker_threads = 1;
  server_options.tls = http::TlsFiles{pki.server_certificate_file, pki.server_key_file};
  server_ = std::make_unique<http::HttpServer>(server_options, router_);
  if (auto bound = server_->bind(); !bound) {
    throw std::runtime_error("fake Hello ID cannot listen: " + bound.error().detail);
  }
  thread_ = std::thread([this] { server_->run(false); });
}

FakeHelloId::~FakeHelloId() {
  server_->stop();
  thread_.join();
}

std::string FakeHelloId::url() const {
  return "https://127.0.0.1:" + std::to_string(server_->port());
}

int FakeHelloId::redeemed() const {
  std::lock_guard lock(mutex_);
  return redeemed_;
}

int FakeHelloId::refused() const {
  std::lock_guard lock(mutex_);
  return refused_;
}

http::Response FakeHelloId::refuse(std::string_view error) {
  ++refused_;
  return http::Response::json(400, R"({"error":")" + std::string(error) + R"("})");
}

http::Response FakeHelloId::authorize(const http::Request& request) {
  Pairs query;
  if (!http::parse_form(request.query, query)) return http::Response::text(400, "bad query");
  // Errors about the client or the redirect URI are shown, never redirected (RFC 6749 4.1.2.1).
  if (first(query, "client_id") != options_.client_id ||
      first(query, "redirect_uri") != options_.redirect_uri) {
    return http::Response::text(400, "unknown client or unregistered redirect_uri");
  }
  const std::string user = first(query, "login_hint");
  if (first(query, "response_type") != "code" || first(query, "state").empty() ||
      first(query, "code_challenge_method") != "S256" || first(query, "code_challenge").empty() ||
      !options_.users.contains(user)) {
    return http::Response::text(400, "invalid authorization request");
  }
  std::lock_guard lock(mutex_);
  const std::string code = "hello-code-" + std::to_string(++issued_);
  codes_[code] = Grant{user, options_.redirect_uri, first(query, "code_challenge")};
  return http::Response::redirect(options_.redirect_uri + "?code=" + code +
                                  "&state=" + sdk::percent_encode(first(query, "state")));
}

http::Response FakeHelloId::token(const http::Request& request) {
  const std::string basic =
      "Basic " + sdk::base64_encode(sdk::percent_encode(options_.client_id) + ":" +
                                    sdk::percent_encode(options_.client_secret));
  Pairs form;
  std::lock_guard lock(mutex_);
  if (request.header("Authorization") != basic) return refuse("invalid_client");
  if (!http::parse_form(request.body, form) || first(form, "grant_type") != "authorization_code") {
    return refuse("invalid_request");
  }
  // A code is gone once presented, whether the rest of the request is right or not.
  auto grant = codes_.extract(first(form, "code"));
  if (grant.empty() || first(form, "redirect_uri") != grant.mapped().redirect_uri ||
      s256(first(form, "code_verifier")) != grant.mapped().code_challenge) {
    return refuse("invalid_grant");
  }
  ++redeemed_;
  const std::string access_token =
      "hello-at-" + std::to_string(issued_) + "-" + first(form, "code");
  tokens_[access_token] = grant.mapped().user;
  return http::Response::json(
      200, R"({"access_token":")" + access_token + R"(","token_type":"Bearer","expires_in":600})");
}

http::Response FakeHelloId::userinfo(const http::Request& request) {
  const std::string_view authorization = request.header("Authorization");
  std::lock_guard lock(mutex_);
  auto token = authorization.starts_with("Bearer ")
                   ? tokens_.find(std::string(authorization.substr(7)))
                   : tokens_.end();
  if (token == tokens_.end()) return http::Response::json(401, R"({"error":"invalid_token"})");
  return http::Response::json(200, options_.users.at(token->second));
}

}  // namespace lmsgw::testing
