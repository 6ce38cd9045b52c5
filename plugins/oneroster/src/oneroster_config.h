#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::plugins::oneroster {

struct OneRosterConfig {
  // A folder holding the CSV files, or a .zip of them.
  std::string path;
  // When set ("1.1" or "1.2"), a set declaring another oneroster.version fails the run.
  std::optional<std::string> version;
  // Rows read into one batch (one transaction in the core).
  std::size_t batch_size = 5000;
};

// Validates the connection's `config:` (keys path, version, batch_size); errors name
// `file:line: key`.
sdk::Result<OneRosterConfig> read_config(const sdk::PluginContext& context);

}  // namespace lmsgw::plugins::oneroster
