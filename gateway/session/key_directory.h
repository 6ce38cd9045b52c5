// The gateway's signing keys on disk: one directory, shared by replicas and lmsgwctl, holding
// keys.json (the list, oldest first) and one owner-only PEM file per key. The newest key that
// is not retired signs; retired keys stay published until every token they signed has expired.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "jose/algorithm.h"
#include "jose/keys.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::session {

using TimePoint = std::chrono::system_clock::time_point;

struct KeyRecord {
  std::string kid;
  jose::Algorithm algorithm = jose::Algorithm::es256;
  std::string file;  // name inside the directory
  TimePoint created{};
  std::optional<TimePoint> retired;

  friend bool operator==(const KeyRecord&, const KeyRecord&) = default;
};

// How long a retired key stays published after it stopped signing: its last token's lifetime
// plus the verifiers' clock-skew leeway.
inline constexpr std::chrono::seconds kVerificationLeeway{60};

class KeyDirectory {
 public:
  explicit KeyDirectory(std::filesystem::path path);

  // The records in keys.json; an empty list when there is no keys.json yet.
  sdk::Result<std::vector<KeyRecord>> read() const;

  // Makes a key of `algorithm` and makes it the signer: the previous signer retires at `now`.
  // Forgets (and deletes the files of) retired keys whose tokens have all expired. Safe against
  // concurrent rotations (a lock file) and readers (keys.json is replaced atomically).
  sdk::Result<KeyRecord> rotate(jose::Algorithm algorithm, TimePoint now,
                                std::chrono::seconds token_lifetime);

  sdk::Result<jose::SigningKey> load(const KeyRecord& record) const;

  // When keys.json last changed; nullopt when it does not exist.
  std::optional<std::filesystem::file_time_type> stamp() const;
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

// The signer among `records` (newest not retired), or nullptr.
const KeyRecord* signer_of(const std::vector<KeyRecord>& records) noexcept;
// Whether `record` must still be published (verifiable) at `now`.
bool published_at(const KeyRecord& record, TimePoint now, std::chrono::seconds token_lifetime);

}  // namespace lmsgw::session
