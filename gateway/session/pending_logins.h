// Sign-ins that have been started (GET /login) and await their callback. Each is keyed by
// its `state`, bound to the browser that started it, and can be taken exactly once.
// Bounded in count and in time, so a flood of /login requests cannot exhaust memory.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/crypto.h"

namespace lmsgw::session {

using TimePoint = std::chrono::system_clock::time_point;

struct PendingLogin {
  std::string connection_id;
  // SHA-256 of the browser-binding cookie set when the login started.
  crypto::Digest browser_binding_hash{};
  std::string nonce;
  std::string code_verifier;
  std::string flow_data;
  std::string return_url;
  TimePoint expires_at{};
};

class PendingLogins {
 public:
  explicit PendingLogins(std::size_t capacity);

  // False when `capacity` logins are already pending (after dropping expired ones).
  bool put(std::string_view state, PendingLogin login, TimePoint now);
  // Removes and returns the login; nullopt when unknown, already taken, or expired.
  std::optional<PendingLogin> take(std::string_view state, TimePoint now);
  std::size_t size() const;

 private:
  struct DigestHash {
    std::size_t operator()(const crypto::Digest& digest) const noexcept;
  };
  void drop_expired(TimePoint now);

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<crypto::Digest, PendingLogin, DigestHash> logins_;
  // Insertion order; with one login timeout for all, also expiry order.
  std::deque<std::pair<TimePoint, crypto::Digest>> expiry_queue_;
};

}  // namespace lmsgw::session
