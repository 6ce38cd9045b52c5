/// @file
/// @brief Typed errors that cross the plugin boundary.
///
/// Plugins never throw across the boundary: every SDK entry point returns a `Result<T>`
/// (see result.h) whose error side is an `Error` defined here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace lmsgw::sdk {

/// What went wrong, in terms the core can act on (HTTP status, metric outcome, retry).
/// Values are stable: they are part of SDK ABI version 1.
enum class ErrorCode : std::uint16_t {
  /// The request from the browser or provider is missing a parameter or is malformed.
  invalid_request = 1,
  /// The provider reported an error in the callback (e.g. `error=access_denied`).
  provider_denied = 2,
  /// A callback arrived without the state of a login this gateway started, and the
  /// connection does not accept provider-initiated sign-in.
  state_missing = 3,
  /// The provider answered with a non-success HTTP status (4xx/5xx).
  upstream_rejected = 4,
  /// The provider could not be reached: DNS, TCP, TLS (including certificate or host-name
  /// verification), or a time limit.
  upstream_unavailable = 5,
  /// The provider answered, but not in its documented format (bad JSON, missing fields).
  upstream_malformed = 6,
  /// A token or signature the provider sent failed verification.
  token_invalid = 7,
  /// The identity is valid but may not sign in here (role, domain or age policy).
  not_permitted = 8,
  /// The plugin does not implement the requested capability.
  unsupported = 9,
  /// The plugin's configuration is invalid. The detail names the key.
  config_invalid = 10,
  /// The plugin was asked to do too much: a response or a field exceeded a size limit.
  limit_exceeded = 11,
  /// A bug or an unexpected exception inside the plugin.
  internal = 12,
};

/// The stable snake_case name of a code, used in metrics labels and logs.
constexpr std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_request:
      return "invalid_request";
    case ErrorCode::provider_denied:
      return "provider_denied";
    case ErrorCode::state_missing:
      return "state_missing";
    case ErrorCode::upstream_rejected:
      return "upstream_rejected";
    case ErrorCode::upstream_unavailable:
      return "upstream_unavailable";
    case ErrorCode::upstream_malformed:
      return "upstream_malformed";
    case ErrorCode::token_invalid:
      return "token_invalid";
    case ErrorCode::not_permitted:
      return "not_permitted";
    case ErrorCode::unsupported:
      return "unsupported";
    case ErrorCode::config_invalid:
      return "config_invalid";
    case ErrorCode::limit_exceeded:
      return "limit_exceeded";
    case ErrorCode::internal:
      return "internal";
  }
  return "unknown";
}

/// An error with a human-readable detail.
///
/// @warning `detail` is logged. It must never carry personal data or secrets: name the
/// field or the step that failed ("token endpoint answered 400"), never its value.
struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string detail;

  Error() = default;
  Error(ErrorCode c, std::string d) : code(c), detail(std::move(d)) {}

  friend bool operator==(const Error&, const Error&) = default;
};

/// std::error_code integration, so callers can compare and log codes uniformly.
inline const std::error_category& error_category() noexcept {
  struct Category final : std::error_category {
    const char* name() const noexcept override { return "lmsgw.sdk"; }
    std::string message(int value) const override {
      return std::string(to_string(static_cast<ErrorCode>(value)));
    }
  };
  static const Category category;
  return category;
}

inline std::error_code make_error_code(ErrorCode code) noexcept {
  return {static_cast<int>(code), error_category()};
}

}  // namespace lmsgw::sdk

template <>
struct std::is_error_code_enum<lmsgw::sdk::ErrorCode> : std::true_type {};
