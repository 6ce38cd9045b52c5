// Clever Secure Sync settings: the sign-in keys (client, token URL, API base) plus optional
// sync keys in the same `config:` mapping, so one block of Clever settings serves a sign-in
// connection and a `sync:` entry alike.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "clever_config.h"
#include "lmsgw/sdk/config_node.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::plugins::clever {

// Clever keeps events for 30 days; a run that would have to read further back does a full
// read instead, and the interval between full reads may not exceed this either.
inline constexpr std::chrono::seconds kEventsRetention{29LL * 24 * 3600};

struct SyncSettings {
  // Clever district ids this entry reads; empty: every district connected to the application.
  // Other districts in the token list are left alone (neither read nor revoked).
  std::vector<std::string> districts;
  // Records per page (Clever's `limit`; it answers 413 above 10000).
  std::int64_t page_limit = 1000;
  // A full read of every district at least this often; events in between.
  std::chrono::seconds full_sync_every{7LL * 24 * 3600};
  // Retries of one call after a 5xx, a transport failure or a 429.
  int max_retries = 3;
  // The longest a 429 (or a retry back-off) may make one call wait; a longer wait fails the
  // batch, and the run resumes from its last applied cursor.
  std::chrono::milliseconds max_wait{60'000};
  // Per data API call (pages can be large).
  std::chrono::milliseconds timeout{30'000};
};

struct CleverSyncConfig {
  CleverConfig api;
  SyncSettings sync;
};

// Reads the sync keys of `config` (all optional).
sdk::Result<SyncSettings> read_sync_settings(const sdk::ConfigNode& config);

// The whole Secure Sync configuration of a connection.
sdk::Result<CleverSyncConfig> read_sync_config(sdk::PluginContext& context);

// "90s", "30m", "12h", "7d"; a bare number is seconds.
sdk::Result<std::chrono::seconds> parse_duration(const sdk::ConfigNode& node);

}  // namespace lmsgw::plugins::clever
