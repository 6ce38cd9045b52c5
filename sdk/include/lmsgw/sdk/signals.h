/// @file
/// @brief `ProviderSignal`: a provider telling us that a person or a district withdrew access.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lmsgw::sdk {

enum class SignalKind : std::uint8_t {
  /// End every live session of the identity (Google RISC sessions-revoked).
  sessions_revoked = 1,
  /// The person removed the app at the provider: unlink the identity, end its sessions
  /// (Facebook deauthorize, Google tokens-revoked).
  identity_unlinked = 2,
  /// The provider disabled the account (Google account-disabled).
  account_disabled = 3,
  /// The person asked for their data to be deleted (Facebook data deletion request).
  deletion_requested = 4,
  /// The district withdrew the app (Clever disconnection).
  district_revoked = 5,
  /// The provider enabled the account again after `account_disabled` (Google account-enabled).
  account_enabled = 6,
};

constexpr std::string_view to_string(SignalKind kind) noexcept {
  switch (kind) {
    case SignalKind::sessions_revoked:
      return "sessions_revoked";
    case SignalKind::identity_unlinked:
      return "identity_unlinked";
    case SignalKind::account_disabled:
      return "account_disabled";
    case SignalKind::deletion_requested:
      return "deletion_requested";
    case SignalKind::district_revoked:
      return "district_revoked";
    case SignalKind::account_enabled:
      return "account_enabled";
  }
  return "unknown";
}

/// One verified signal. The plugin verifies the provider's signature before it returns one.
struct ProviderSignal {
  SignalKind kind = SignalKind::sessions_revoked;
  /// The provider's id for the person; empty for district signals.
  std::string subject;
  /// The provider's id for the district; set for district signals.
  std::optional<std::string> provider_district;
  /// The provider's id for this signal (event id, `jti`), used to refuse replays.
  std::string signal_id;

  friend bool operator==(const ProviderSignal&, const ProviderSignal&) = default;
};

}  // namespace lmsgw::sdk
