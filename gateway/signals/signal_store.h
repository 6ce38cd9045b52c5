// What the provider-signal route keeps: the ids of signals already applied (the replay guard)
// and the data-deletion requests a provider relayed, each found by the hash of its
// confirmation code. Neither names a person: signal ids and codes are kept as SHA-256 hashes,
// and a deletion request holds only its status.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "common/crypto.h"
#include "lmsgw/sdk/result.h"
#include "store/sqlite/sqlite_account_store.h"

namespace lmsgw::signals {

using TimePoint = std::chrono::system_clock::time_point;

enum class DeletionStatus : std::uint8_t {
  received,   // recorded, the deletion not finished (an interrupted one stays here)
  completed,  // the account and everything linked to it are gone
  held,       // a legal hold covers the account: nothing was deleted
  no_data,    // no account was linked to that identity
};

std::string_view to_string(DeletionStatus status) noexcept;

// Safe to call from several threads.
class SignalStore {
 public:
  virtual ~SignalStore() = default;

  // Records that the signal arrived on the connection; false (nothing changed) when it was
  // recorded before.
  virtual sdk::Result<bool> claim_signal(std::string_view connection_id,
                                         const crypto::Digest& signal_hash, TimePoint now) = 0;
  // Forgets a claim whose signal could not be applied, so the provider's retry applies it.
  virtual sdk::Result<void> release_signal(std::string_view connection_id,
                                           const crypto::Digest& signal_hash) = 0;

  virtual sdk::Result<void> add_deletion_request(const crypto::Digest& code_hash,
                                                 std::string_view connection_id,
                                                 const crypto::Digest& signal_hash,
                                                 DeletionStatus status, TimePoint now) = 0;
  // Sets the status of every code given out for that signal.
  virtual sdk::Result<void> set_deletion_status(std::string_view connection_id,
                                                const crypto::Digest& signal_hash,
                                                DeletionStatus status, TimePoint now) = 0;
  virtual sdk::Result<std::optional<DeletionStatus>> deletion_status_of_signal(
      std::string_view connection_id, const crypto::Digest& signal_hash) = 0;
  virtual sdk::Result<std::optional<DeletionStatus>> deletion_status(
      const crypto::Digest& code_hash) = 0;

  // Deletes receipts recorded before `receipts_before` and deletion requests made before
  // `requests_before`; returns how many rows went.
  virtual sdk::Result<std::size_t> forget(TimePoint receipts_before, TimePoint requests_before) = 0;
};

// Its own connection to the gateway's database (migrated by the account store).
sdk::Result<std::unique_ptr<SignalStore>> open_sqlite_signal_store(
    const store::SqliteOptions& options);

}  // namespace lmsgw::signals
