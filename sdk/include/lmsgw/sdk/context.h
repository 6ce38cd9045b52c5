/// @file
/// @brief `PluginContext`: everything the core lends a plugin instance.
///
/// The core owns the context and keeps it alive for as long as the plugin instance it was
/// given to, so a plugin may keep references to the services it returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/config.hpp>
#include "lmsgw/sdk/config_node.h"
#include "lmsgw/sdk/http.h"

#include "lmsgw/sdk/result.h"

namespace lmsgw::sdk {

/// Wall-clock time, injectable so tests can pin it.
class BOOST_SYMBOL_VISIBLE Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const noexcept = 0;
};

enum class LogLevel : std::uint8_t { debug, info, warn, error };

/// One structured field of a log line.
struct LogField {
  std::string_view key;
  std::string_view value;
};

/// A logger that redacts.
///
/// The message should be a constant sentence. Field values are printed only for keys the
/// core knows to be safe (`connection`, `step`, `status`, `error`, `endpoint`, `count`,
/// `duration_ms`, `attempt`); any other field is printed as `[redacted]`. Secret values the
/// core resolved for the plugin and anything shaped like an email address are masked
/// wherever they appear, message included. Never pass a name, email, birthdate or token.
class BOOST_SYMBOL_VISIBLE Logger {
 public:
  virtual ~Logger() = default;
  virtual void log(LogLevel level, std::string_view message,
                   std::initializer_list<LogField> fields) noexcept = 0;

  void debug(std::string_view message, std::initializer_list<LogField> fields = {}) noexcept {
    log(LogLevel::debug, message, fields);
  }
  void info(std::string_view message, std::initializer_list<LogField> fields = {}) noexcept {
    log(LogLevel::info, message, fields);
  }
  void warn(std::string_view message, std::initializer_list<LogField> fields = {}) noexcept {
    log(LogLevel::warn, message, fields);
  }
  void error(std::string_view message, std::initializer_list<LogField> fields = {}) noexcept {
    log(LogLevel::error, message, fields);
  }
};

/// A secret value. It never prints itself: there is no stream operator and no implicit
/// conversion; `reveal()` is the one, greppable, way to read it.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }

 private:
  std::string value_;
};

/// Resolves secret references from configuration.
class BOOST_SYMBOL_VISIBLE Secrets {
 public:
  virtual ~Secrets() = default;
  /// `node` must be a reference, `env:NAME` or `file:PATH`; an inline value is refused so that
  /// secrets never sit in a configuration file. Errors point at the node (`file:line: key`).
  virtual Result<Secret> resolve(const ConfigNode& node) noexcept = 0;
};

/// What a JWT must satisfy (see TokenVerifier). Every list is an allowlist; an empty list
/// refuses every token, so a forgotten setting can never mean "anything goes".
struct JwtCheck {
  /// Where the provider publishes its keys; https.
  std::string jwks_uri;
  /// Algorithms accepted: any of "RS256", "ES256", "EdDSA". Nothing else is ever accepted.
  std::vector<std::string> algorithms;
  /// `iss` must equal one of these.
  std::vector<std::string> issuers;
  /// `aud` (a string or an array) must contain one of these.
  std::vector<std::string> audiences;
  /// When set, the `nonce` claim must equal it.
  std::optional<std::string> nonce;
  /// Allowance for clock skew on exp, nbf and iat.
  std::chrono::seconds leeway{60};
  /// Security event tokens carry no `exp`; everything else must.
  bool require_expiry = true;
  /// When set, the header's `typ` must name this media type.
  std::optional<std::string> typ;
};

/// A token whose signature, issuer, audience, times and nonce have been checked.
struct VerifiedJwt {
  std::string header;  ///< the protected header, JSON text
  std::string claims;  ///< the payload, JSON text
  std::string algorithm;
  std::string kid;
};

/// Verifies JWTs against a provider's published keys, so that no plugin hand-rolls JOSE.
/// The JWKS is fetched through the context's HTTP client, cached (for its Cache-Control
/// max-age, between one minute and a day), and fetched again when a token names a kid it
/// does not hold (at most once a minute per JWKS). Each key is used only with the algorithm of
/// its type, never with the one a token's header claims.
class BOOST_SYMBOL_VISIBLE TokenVerifier {
 public:
  virtual ~TokenVerifier() = default;
  /// Errors: token_invalid (the token), upstream_* (the JWKS could not be had).
  virtual Result<VerifiedJwt> verify(std::string_view compact, const JwtCheck& check) noexcept = 0;
};

/// The gateway's keyed hashing and comparisons, for provider protocols that need them
/// (Facebook's appsecret_proof and signed_request).
class BOOST_SYMBOL_VISIBLE Crypto {
 public:
  virtual ~Crypto() = default;
  /// HMAC-SHA-256, the raw 32 bytes.
  virtual std::string hmac_sha256(std::string_view key, std::string_view data) const noexcept = 0;
  /// Equal contents, compared without an early exit.
  virtual bool constant_time_equal(std::string_view a, std::string_view b) const noexcept = 0;
};

class BOOST_SYMBOL_VISIBLE PluginContext {
 public:
  virtual ~PluginContext() = default;

  /// The connection this instance serves (the key under `connections:` in the config).
  virtual std::string_view connection_id() const noexcept = 0;
  /// The connection's `config:` subtree, for the plugin alone to interpret.
  virtual const ConfigNode& config() const noexcept = 0;
  virtual HttpClient& http() noexcept = 0;
  virtual const Clock& clock() const noexcept = 0;
  virtual Logger& logger() noexcept = 0;
  virtual Secrets& secrets() noexcept = 0;
  virtual TokenVerifier& tokens() noexcept = 0;
  virtual const Crypto& crypto() const noexcept = 0;
};

}  // namespace lmsgw::sdk
