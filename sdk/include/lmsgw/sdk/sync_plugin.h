/// @file
/// @brief `SyncPlugin`: a district's roster source, read in resumable batches.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <boost/config.hpp>

#include "lmsgw/sdk/result.h"
#include "lmsgw/sdk/roster.h"

namespace lmsgw::sdk {

struct SyncRequest {
  /// The cursor the previous batch returned (of this run, or the last batch of the previous
  /// run); empty the very first time. The core persists it with each applied batch.
  std::string cursor;
  /// The operator asked for a full read of the roster rather than the changes since `cursor`.
  bool full = false;
};

/// One batch of changes. The core applies a batch in one transaction and then persists
/// `next_cursor`, so a run that stops part-way resumes after the last applied batch.
struct SyncBatch {
  std::vector<RosterChange> changes;
  /// Records refused as malformed, with location and reason.
  std::vector<RejectedRecord> rejected;
  /// Records discarded by policy without being read (e.g. "results.csv": 1200).
  std::map<std::string, std::uint64_t> discarded;
  std::string next_cursor;
  /// True when this batch ends the run.
  bool finished = false;
  /// The run reports the connection's whole roster (a OneRoster bulk set, a full Clever read),
  /// not changes: once it finishes, whatever this connection rostered before and the run did
  /// not mention leaves the roster. Set on every batch of such a run; the first batch decides
  /// and the core refuses a run that changes its mind.
  bool snapshot = false;
};

/// Implementations are called from one thread at a time per instance.
class BOOST_SYMBOL_VISIBLE SyncPlugin {
 public:
  virtual ~SyncPlugin() = default;
  virtual Result<SyncBatch> next_batch(const SyncRequest& request) noexcept = 0;
};

}  // namespace lmsgw::sdk
