// Clever Secure Sync (PROTOCOLS.md 1.3-1.8): every connected district's users and sections,
// read in full (a snapshot run) or followed through the events API (a delta run), one API page
// per batch, resumable from the cursor the core persists with each applied batch.
//
// A run: the first batch reads the district-token list (districts gone from it are revoked)
// and decides the kind of run; then, district by district in id order, one page per batch:
//   full read:  events (only to find the newest id) -> users -> sections
//   delta:      events since the district's position (a district never read in full gets the
//               full read instead, as plain upserts)
// A district is revoked (RosterDistrictRevoked) when its token leaves the list, when a list
// call with its token answers 401 or 404 (and a fresh token list offers no other token), or
// on a districts.deleted event.
#pragma once

#include <map>
#include <string>

#include "clever_api.h"
#include "clever_sync_config.h"
#include "clever_sync_cursor.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/sync_plugin.h"

namespace lmsgw::plugins::clever {

class CleverSync final : public sdk::SyncPlugin {
 public:
  CleverSync(CleverSyncConfig config, sdk::PluginContext& context, Sleeper sleep);

  // sdk::SyncPlugin
  sdk::Result<sdk::SyncBatch> next_batch(const sdk::SyncRequest& request) noexcept override;

 private:
  sdk::Result<sdk::SyncBatch> batch(const sdk::SyncRequest& request);
  sdk::Result<void> start_run(SyncCursor& cursor, bool full, sdk::SyncBatch& out);
  // Reads the token list and revokes every district of the cursor that left it.
  sdk::Result<void> refresh_tokens(SyncCursor& cursor, sdk::SyncBatch& out);
  sdk::Result<void> read_page(SyncCursor& cursor, sdk::SyncBatch& out);
  // A list page of the current district; nullopt when the district was revoked instead.
  sdk::Result<std::optional<ListPage>> list(SyncCursor& cursor, std::string_view resource,
                                            std::string_view after, sdk::SyncBatch& out);
  void revoke(SyncCursor& cursor, const std::string& district, bool announce, sdk::SyncBatch& out);
  // Moves to the first district after `cursor.current`, or ends the run.
  void next_district(SyncCursor& cursor, sdk::SyncBatch& out);
  void begin_district(SyncCursor& cursor, const DistrictPosition& district);
  std::int64_t now_seconds() const;

  CleverSyncConfig config_;
  sdk::PluginContext& context_;
  CleverApi api_;
  // District tokens live only in memory: a cursor is persisted and must never hold one.
  std::map<std::string, sdk::Secret> tokens_;
  bool tokens_loaded_ = false;
};

}  // namespace lmsgw::plugins::clever
