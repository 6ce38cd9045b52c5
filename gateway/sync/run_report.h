// How lmsgwctl prints run records (docs/roster-sync.md, "Reading a run record").
#pragma once

#include <string>

#include "store/roster_store.h"

namespace lmsgw::sync {

// The whole record: header, counts by kind and outcome, stored rejections, error.
std::string describe_run(const store::SyncRunRecord& run);
// One line: id, connection, outcome, times and the non-zero counts.
std::string summarize_run(const store::SyncRunRecord& run);

}  // namespace lmsgw::sync
