// AuditLog: the record a district can export of what was done with its data (PRIVACY.md F):
// every directive, revocation, deletion, sync run and administrative read — who, what, when
// and how many. An event carries opaque ids and counts only, never a value that names a person;
// callers build events from ids the gateway minted, never from provider or roster values.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lmsgw/sdk/result.h"

namespace lmsgw::store {

struct AuditEvent {
  // Assigned by append(); orders events.
  std::int64_t id = 0;
  std::chrono::system_clock::time_point at{};
  // Absent for an operator action that concerns no single district.
  std::optional<std::string> district_id;
  // Who: "operator:<token id>", "district-admin:<token id>", "lmsgwctl", "sync:<connection>",
  // "webhook:<connection>", "retention".
  std::string actor;
  // What, as a dotted verb: "district.revoked", "directive.set", "disposal.completed", ...
  std::string action;
  // Which: an opaque id (directive version, run id, certificate id, account id), or empty.
  std::string object;
  // How many, by kind, in the order given.
  std::vector<std::pair<std::string, std::int64_t>> counts;

  friend bool operator==(const AuditEvent&, const AuditEvent&) = default;
};

// Field limits the log enforces (an event over them is refused, not truncated).
inline constexpr std::size_t kMaxAuditActor = 200;
inline constexpr std::size_t kMaxAuditAction = 100;
inline constexpr std::size_t kMaxAuditObject = 200;
inline constexpr std::size_t kMaxAuditCounts = 32;

struct AuditQuery {
  // Empty: the events of no district (the platform scope's disposals, operator actions that
  // concern no single district).
  std::string district_id;
  // Events at or after this time.
  std::chrono::system_clock::time_point since{};
  // Events after this id (to page through a long export).
  std::int64_t after_id = 0;
  std::size_t limit = 1000;
};

// Safe to call from several threads.
class AuditLog {
 public:
  virtual ~AuditLog() = default;

  // Returns the event's id.
  virtual sdk::Result<std::int64_t> append(const AuditEvent& event) = 0;
  // The district's events (or those of no district), oldest first.
  virtual sdk::Result<std::vector<AuditEvent>> list(const AuditQuery& query) = 0;
};

// One JSON object per event, the format of `lmsgwctl audit export` (JSON lines): id, at (RFC
// 3339 UTC), district, actor, action, object, counts.
std::string audit_event_json(const AuditEvent& event);

// Its own connection to the database open_sqlite_store() migrated.
sdk::Result<std::unique_ptr<AuditLog>> open_sqlite_audit_log(const std::string& path);

}  // namespace lmsgw::store
