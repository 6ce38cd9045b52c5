// Where a Clever Secure Sync run stands, persisted by the core with every applied batch. It
// holds positions only (ids of districts, of the last record read and of the last event
// applied, and times): never a token, never a value from a record. Its size grows with the
// number of connected districts only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lmsgw/sdk/result.h"

namespace lmsgw::plugins::clever {

// More connected districts than this is refused rather than persisted in a cursor.
inline constexpr std::size_t kMaxDistricts = 10'000;
// The core persists cursors of at most this size: about 60 districts per sync entry.
inline constexpr std::size_t kMaxCursorBytes = 4096;

enum class RunMode : std::uint8_t {
  idle,   // between runs: the next batch starts one
  delta,  // events since each district's position (a district never read is read in full)
  full,   // a snapshot: every district read in full
};

enum class Step : std::uint8_t {
  mark,      // find the newest event, so events during the full read are replayed after it
  users,     // GET /v3.0/users
  sections,  // GET /v3.0/sections
  events,    // GET /v3.0/events since the district's position
};

struct DistrictPosition {
  std::string id;
  // The id of the last event applied ("" = from the oldest one kept); nullopt while the
  // district has never been read in full, so its events cannot stand in for a read.
  std::optional<std::string> events_after;

  friend bool operator==(const DistrictPosition&, const DistrictPosition&) = default;
};

struct SyncCursor {
  RunMode mode = RunMode::idle;
  // Connected districts, sorted by id.
  std::vector<DistrictPosition> districts;
  // Districts revoked by a 401/404 or a districts.deleted event while their token is still
  // listed, sorted: not read again until the token leaves the list (a later token is then a
  // new connection).
  std::vector<std::string> revoked;
  // During a run: the district being read, the step, the id to read after and the pages read
  // so far in this step (for the location of rejected records).
  std::string current;
  Step step = Step::users;
  std::string after;
  std::int64_t page = 0;
  // Unix seconds: when the last full read and the last run finished (0 = never).
  std::int64_t full_at = 0;
  std::int64_t run_at = 0;

  friend bool operator==(const SyncCursor&, const SyncCursor&) = default;
};

std::string encode_cursor(const SyncCursor& cursor);
// The empty string is the cursor of a connection never synced.
sdk::Result<SyncCursor> decode_cursor(std::string_view text);

}  // namespace lmsgw::plugins::clever
