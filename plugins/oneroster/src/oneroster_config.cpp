#include "oneroster_config.h"

namespace lmsgw::plugins::oneroster {

sdk::Result<OneRosterConfig> read_config(const sdk::PluginContext& context) {
  const sdk::ConfigNode& node = context.config();
  if (auto keys = node.check_keys({"path", "version", "batch_size"}); !keys) return keys.error();
  OneRosterConfig config;
  auto path = node.get_string("path");
  if (!path) return path.error();
  if (path->empty()) return node.find("path")->error("must not be empty");
  config.path = std::move(*path);
  auto version = node.get_optional_string("version");
  if (!version) return version.error();
  if (*version && **version != "1.1" && **version != "1.2") {
    return node.find("version")->error("must be 1.1 or 1.2");
  }
  config.version = std::move(*version);
  auto batch = node.get_int("batch_size", 5000, 1, 100000);
  if (!batch) return batch.error();
  config.batch_size = static_cast<std::size_t>(*batch);
  return config;
}

}  // namespace lmsgw::plugins::oneroster
