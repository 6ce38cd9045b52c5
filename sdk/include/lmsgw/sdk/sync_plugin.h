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
  /// The cursor the previous batch returned; empty for a full sync from the start.
  std::string cursor;
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
};

/// Implementations are called from one thread at a time per instance.
class BOOST_SYMBOL_VISIBLE SyncPlugin {
 public:
  virtual ~SyncPlugin() = default;
  virtual Result<SyncBatch> next_batch(const SyncRequest& request) noexcept = 0;
};

}  // namespace lmsgw::sdk
