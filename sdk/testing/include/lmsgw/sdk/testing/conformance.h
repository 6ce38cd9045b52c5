/// @file
/// @brief The conformance suite: the checks every `AuthPlugin` must pass, for plugin authors
/// to run against their own plugin (link `lmsgw::sdk_conformance`).
///
/// You describe your plugin once, as a `ConformanceTarget`: how to make an instance from a
/// context, its configuration and secrets, what its authorization request carries, and a
/// `sign_in` hook that scripts your provider's side of one successful sign-in on the
/// `ProviderMocks`. Then one line runs every check:
///
/// @code
///   ConformanceTarget hello_target() { ... }
///   LMSGW_CONFORMANCE_SUITE(Hello, hello_target());
/// @endcode
///
/// The suite starts many sign-ins of its own from that description, and checks that:
/// - begin() sends the state, the exact redirect URI and, as declared, the nonce and the PKCE
///   S256 challenge, and never puts control characters into the redirect;
/// - the scripted sign-in completes with the scripted subject, redeems with the exact redirect
///   URI and the PKCE verifier, verifies every `id_token` it is given, and asks the verifier for
///   strict checks (algorithms, issuers, audiences and, for OpenID Connect, the login's nonce);
/// - complete() refuses a callback without a started login with `state_missing`, before any
///   provider call, unless the plugin supports provider-initiated sign-in;
/// - a replayed callback is refused (your script must let the provider redeem a code once,
///   as providers do: see `single_use`);
/// - no identity comes back when any provider call fails, answers an error status or a body
///   that is garbage, truncated, of the wrong shape or type, or when the token verifier
///   refuses a token or hands back claims that are not a usable object;
/// - every error is a typed `sdk::Error` with a known code and a detail that is not empty and
///   holds no secret, canary, code or token; nothing of the kind is logged either;
/// - unknown configuration keys are refused with `config_invalid` naming the key;
/// - a webhook that is not genuine yields no signal.
///
/// Plugin methods are `noexcept`, so an exception escaping one ends the test program; the
/// suite installs a terminate handler that names the check and the exception first.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "lmsgw/sdk/auth_plugin.h"
#include "lmsgw/sdk/config_node.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/http.h"
#include "lmsgw/sdk/result.h"
#include "lmsgw/sdk/testing/mocks.h"

namespace lmsgw::sdk::testing {

/// The provider's side of one sign-in run, fresh for every run. Script it in
/// `ConformanceTarget::sign_in` with `ON_CALL(...).WillByDefault(...)` (or `EXPECT_CALL` with
/// `.Times(::testing::AnyNumber())`: the suite's runs make some calls and skip others).
/// Anything not scripted fails like an unreachable provider: HTTP calls with
/// `upstream_unavailable`, token verification with `token_invalid`.
struct ProviderMocks {
  ProviderMocks();

  ::testing::NiceMock<MockHttpClient> http;
  ::testing::NiceMock<MockTokenVerifier> tokens;
  /// constant_time_equal compares for real; script hmac_sha256 if your plugin uses it.
  ::testing::NiceMock<MockCrypto> crypto;
  /// 2024-05-01T12:00:00Z.
  FixedClock clock;
};

/// How a scripted sign-in ends.
struct ScriptedSignIn {
  /// The query or form parameters the provider sends the browser back with, `state` left out
  /// (the core removes it before the plugin sees the callback).
  std::map<std::string, std::string> callback_params;
  /// The `subject` the identity must carry.
  std::string subject;
};

/// Everything the suite needs to know about one plugin.
struct ConformanceTarget {
  /// Shown in failure messages.
  std::string name;
  /// The connection's `config:` subtree (e.g. built with `config_from`).
  ConfigNode config;
  /// Secret references the config uses and their values (`{"env:HELLO_SECRET", "s3cret"}`).
  /// The values count as canaries.
  std::map<std::string, std::string> secrets;
  /// Makes the instance under test from a context, as your `Plugin::create_auth` does.
  std::function<Result<std::unique_ptr<AuthPlugin>>(PluginContext&)> create;

  /// OpenID Connect: begin() must send the login's `nonce`, and every token verification in
  /// complete() must require it.
  bool openid_connect = false;
  /// PKCE: begin() must send the login's S256 `code_challenge`, and complete() must send the
  /// login's `code_verifier` to the provider.
  bool pkce = false;
  /// Parameters of the login request your plugin needs (LTI's `iss`, `login_hint`, ...).
  std::map<std::string, std::string> login_params;
  /// The connection's callback URL the core passes to begin() and complete().
  std::string redirect_uri = "https://gateway.example.org/callback/conformance";

  /// Optional: scripts what the provider serves before any sign-in (discovery documents).
  std::function<void(ProviderMocks&)> provider_setup;
  /// Scripts the provider's side of one successful sign-in of one person for the login
  /// `request` that begin() turned into `redirect`, and returns the callback. The provider
  /// must redeem a code once only, as real providers do (`single_use`).
  std::function<ScriptedSignIn(const LoginRequest& request, const LoginRedirect& redirect,
                               ProviderMocks& mocks)>
      sign_in;

  /// Values that must never appear in an error detail or a log line: the personal data of
  /// the scripted person, access tokens, client secrets.
  std::vector<std::string> canaries;
};

/// A JSON answer, for scripting.
inline HttpResponse json_answer(int status, std::string body) {
  return HttpResponse{status, {{"Content-Type", "application/json"}}, std::move(body)};
}

/// How an OAuth 2.0 token endpoint answers a code that was already redeemed (RFC 6749 5.2).
inline HttpResponse invalid_grant() { return json_answer(400, R"({"error":"invalid_grant"})"); }

/// An action answering `first` to the first call and `after` to every later one: a code or a
/// one-time token as the provider treats it. For `ON_CALL(...).WillByDefault(single_use(...))`.
inline std::function<Result<HttpResponse>(const HttpRequest&)> single_use(
    HttpResponse first, HttpResponse after = invalid_grant()) {
  auto used = std::make_shared<std::atomic<bool>>(false);
  return [used, first = std::move(first), after = std::move(after)](const HttpRequest&) {
    return Result<HttpResponse>(used->exchange(true) ? after : first);
  };
}

/// Matches an `HttpRequest` by method and by URL without its query.
MATCHER_P2(IsRequestTo, method, url, "") {
  const std::string& full = arg.url;
  const std::string without_query = full.substr(0, full.find('?'));
  return arg.method == method && without_query == url;
}

/// The checks, one gtest per check, for the target given to LMSGW_CONFORMANCE_SUITE.
class AuthPluginConformance : public ::testing::TestWithParam<ConformanceTarget> {
 protected:
  void SetUp() override;
  void TearDown() override;

 private:
  std::terminate_handler previous_handler_ = nullptr;
};

void PrintTo(const ConformanceTarget& target, std::ostream* out);

/// Referenced by LMSGW_CONFORMANCE_SUITE so that the linker keeps the suite's checks, which
/// live in a static library.
bool link_conformance_suite() noexcept;

}  // namespace lmsgw::sdk::testing

/// Runs every conformance check against `target` (an expression giving a ConformanceTarget).
/// Use it at namespace scope in a test source file, once per target; the tests are named
/// `Name/AuthPluginConformance.<Check>/0`.
#define LMSGW_CONFORMANCE_SUITE(Name, target)                                 \
  using AuthPluginConformance = ::lmsgw::sdk::testing::AuthPluginConformance; \
  [[maybe_unused]] static const bool lmsgw_conformance_linked_##Name =        \
      ::lmsgw::sdk::testing::link_conformance_suite();                        \
  INSTANTIATE_TEST_SUITE_P(Name, AuthPluginConformance, ::testing::Values(target))
