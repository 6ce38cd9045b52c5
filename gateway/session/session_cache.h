// The in-memory view of live sessions that /auth/check answers from: no database round trip
// on the hot path. The store stays the source of truth; the cache is loaded from it at start
// and written through on every sign-in and logout.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "common/crypto.h"
#include "identity/minimal_account.h"

namespace lmsgw::session {

using TimePoint = std::chrono::system_clock::time_point;

// What the platform may learn about a signed-in person (PRIVACY.md E), and nothing else.
struct SessionView {
  std::string account_id;
  identity::AccountRole role = identity::AccountRole::student;
  std::optional<std::string> district_id;
  std::string display_name;
  // Students: the first day they count as 13 or older (never, when the age is unknown).
  std::optional<sdk::CivilDate> thirteen_plus_from;
  TimePoint expires_at{};
};

// Under 13 unless the role is adult or the date has come (PRIVACY.md A: unknown age counts
// as under 13 everywhere it matters).
identity::AgeBand age_band(const SessionView& view, sdk::CivilDate today) noexcept;

class SessionCache {
 public:
  using ViewPtr = std::shared_ptr<const SessionView>;

  void put(const crypto::Digest& id_hash, SessionView view);
  // The live session with this hash, or nullptr when unknown or expired at `now`.
  ViewPtr find(const crypto::Digest& id_hash, TimePoint now) const;
  bool erase(const crypto::Digest& id_hash);
  std::size_t purge_expired(TimePoint now);
  std::size_t size() const;

 private:
  // Session ids are random, so any 8 bytes of their SHA-256 are a uniform hash.
  struct DigestHash {
    std::size_t operator()(const crypto::Digest& digest) const noexcept {
      std::size_t value = 0;
      std::memcpy(&value, digest.data(), sizeof value);
      return value;
    }
  };

  mutable std::shared_mutex mutex_;
  std::unordered_map<crypto::Digest, ViewPtr, DigestHash> sessions_;
};

}  // namespace lmsgw::session
