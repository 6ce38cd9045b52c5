// What a started sign-in remembers until its callback, kept by the browser, not the server.
//
// At /login the state is sealed (AES-256-GCM, bound to the OAuth `state` value) into a cookie
// named after that state. At the callback only the browser that started the sign-in has the
// cookie, only the gateway can open it, and it opens only for that state. So an unauthenticated
// client cannot fill server memory by starting sign-ins, and a callback may land on any
// replica that shares the key. Single use is enforced by UsedLoginStates, which only ever
// holds states that came back with a valid cookie.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "common/crypto.h"

namespace lmsgw::session {

using TimePoint = std::chrono::system_clock::time_point;

struct LoginState {
  std::string connection_id;
  std::string nonce;
  std::string code_verifier;
  std::string flow_data;
  std::string return_url;
  TimePoint expires_at{};

  friend bool operator==(const LoginState&, const LoginState&) = default;
};

class LoginStateSealer {
 public:
  // Browsers keep cookies of up to 4 KiB; these bounds keep a sealed state well below that.
  static constexpr std::size_t kMaxFlowDataBytes = 1024;
  static constexpr std::size_t kMaxReturnUrlBytes = 1024;

  // `key_material`: at least 32 bytes; replicas that share it accept each other's callbacks.
  explicit LoginStateSealer(std::string_view key_material);

  // The cookie that carries the state `state`: `<prefix>_<12 characters of its hash>`, so
  // several sign-ins can be in flight in one browser without clobbering each other.
  static std::string cookie_name(std::string_view prefix, std::string_view state);

  // Precondition: the fields respect the bounds above and connection_id is an identifier.
  std::string seal(std::string_view state, const LoginState& login) const;
  // nullopt when the value was not sealed by this key for this very state, or is malformed.
  std::optional<LoginState> open(std::string_view state, std::string_view cookie_value) const;

 private:
  std::string key_;
};

// States whose callback was accepted, remembered until they expire so a replayed callback is
// refused. Bounded: when full, the entry closest to expiry is forgotten first.
class UsedLoginStates {
 public:
  explicit UsedLoginStates(std::size_t capacity);

  // True the first time, false for a state already used.
  bool mark_used(std::string_view state, TimePoint expires_at, TimePoint now);
  std::size_t size() const;

 private:
  struct DigestHash {
    std::size_t operator()(const crypto::Digest& digest) const noexcept;
  };

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_set<crypto::Digest, DigestHash> used_;
  // Insertion order; with one login timeout for all, also expiry order.
  std::deque<std::pair<TimePoint, crypto::Digest>> by_expiry_;
};

}  // namespace lmsgw::session
