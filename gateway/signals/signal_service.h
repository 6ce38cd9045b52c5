// Provider signals (DESIGN.md section 4, PRIVACY.md C.2):
//   POST /webhooks/{connection}[/{channel}] -> the connection's plugin verifies the delivery
//       and decodes its signals; each is applied here through the one revocation operation
//       (session/revocation.h) or the one account deletion (directives/account_deletion.h),
//       at most once per signal id, and audited as "signal.<kind>" by actor
//       "webhook:<connection>"
//   GET /deletion-status/{code}             -> the status page of a data-deletion request
// A provider subject never leaves the request: the account is found through the same keyed
// hash the sign-in stores, and logs, audit and metrics name only gateway ids.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "directives/account_deletion.h"
#include "http/message.h"
#include "identity/minimizer.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/signals.h"
#include "session/revocation.h"
#include "signals/signal_metrics.h"
#include "signals/signal_store.h"
#include "signin/connection.h"
#include "store/account_store.h"
#include "store/audit_log.h"

namespace lmsgw::signals {

// Larger deliveries are refused (413): a signed_request is ~200 bytes, a security event token
// ~1 KiB.
inline constexpr std::size_t kMaxWebhookBodyBytes = 16 * 1024;
// Signal ids are remembered this long; every plugin refuses signals older than a day, so a
// replay always meets its receipt.
inline constexpr std::chrono::hours kReceiptRetention{24 * 30};
// Deletion requests (their status pages) are kept this long.
inline constexpr std::chrono::hours kDeletionRequestRetention{24 * 180};

struct SignalDependencies {
  const signin::Connections& connections;
  const identity::Minimizer& minimizer;
  store::AccountStore& accounts;
  SignalStore& signals;
  session::RevocationService& revocations;
  directives::AccountDeleter& deleter;
  store::AuditLog& audit;
  SignalMetrics& metrics;
  const sdk::Clock& clock;
  // Makes an error detail safe to log (secrets and email-shaped text masked, length capped).
  std::function<std::string(std::string_view)> redact;
};

class SignalService {
 public:
  // `public_url`: the gateway's public base URL, for the deletion status URL.
  SignalService(SignalDependencies dependencies, std::string public_url);

  http::Response webhook(const http::Request& request) const;
  http::Response deletion_status(const http::Request& request) const;

 private:
  enum class Effect : std::uint8_t { applied, replayed, unknown_subject };
  struct Applied {
    Effect effect = Effect::applied;
    // Set for a data-deletion request: the code the provider shows the person.
    std::optional<std::string> confirmation_code;
  };

  // The account a signal is about, found through the keyed hash sign-in stores.
  struct Target {
    crypto::Digest subject_hash{};
    std::string account_id;
    std::optional<std::string> district_id;
  };

  sdk::Result<Applied> apply(const signin::Connection& connection,
                             const sdk::ProviderSignal& signal) const;
  sdk::Result<Effect> apply_to_account(const signin::Connection& connection,
                                       const sdk::ProviderSignal& signal,
                                       const std::string& actor) const;
  sdk::Result<Effect> apply_to_district(const signin::Connection& connection,
                                        const sdk::ProviderSignal& signal,
                                        const std::string& actor) const;
  sdk::Result<Applied> apply_deletion(const signin::Connection& connection,
                                      const sdk::ProviderSignal& signal,
                                      const crypto::Digest& signal_hash,
                                      const std::string& actor) const;
  // nullopt when no account is linked to the signal's subject.
  sdk::Result<std::optional<Target>> find_target(const signin::Connection& connection,
                                                 const sdk::ProviderSignal& signal) const;
  // A new confirmation code for the request, recorded with `status`.
  sdk::Result<std::string> issue_code(const signin::Connection& connection,
                                      const crypto::Digest& signal_hash,
                                      DeletionStatus status) const;
  sdk::Result<void> audit(const std::string& actor, const sdk::ProviderSignal& signal,
                          std::optional<std::string> district_id, std::string object) const;
  // Forgets old receipts and deletion requests, at most once an hour.
  void forget_old() const;

  SignalDependencies deps_;
  std::string public_url_;
  mutable std::atomic<std::chrono::system_clock::rep> next_forget_{0};
};

}  // namespace lmsgw::signals
