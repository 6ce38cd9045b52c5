#include "clever_sync_config.h"

#include <charconv>

#include "clever_user.h"

namespace lmsgw::plugins::clever {
namespace {

constexpr std::chrono::seconds kMinFullSyncEvery{3600};

sdk::Result<std::chrono::seconds> duration_option(const sdk::ConfigNode& config,
                                                  std::string_view key, std::chrono::seconds fallback,
                                                  std::chrono::seconds min,
                                                  std::chrono::seconds max) {
  const sdk::ConfigNode* node = config.find(key);
  if (node == nullptr || node->is_null()) return fallback;
  auto value = parse_duration(*node);
  if (!value) return value.error();
  if (*value < min || *value > max) {
    return node->error("must be between " + std::to_string(min.count()) + "s and " +
                       std::to_string(max.count()) + "s");
  }
  return value;
}

}  // namespace

sdk::Result<std::chrono::seconds> parse_duration(const sdk::ConfigNode& node) {
  if (!node.is_scalar()) return node.error("expected a duration such as 90s, 30m, 12h or 7d");
  std::string_view text = node.text();
  std::int64_t unit = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 's':
        text.remove_suffix(1);
        break;
      case 'm':
        unit = 60;
        text.remove_suffix(1);
        break;
      case 'h':
        unit = 3600;
        text.remove_suffix(1);
        break;
      case 'd':
        unit = 24 * 3600;
        text.remove_suffix(1);
        break;
      default:
        break;
    }
  }
  std::int64_t count = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || count < 0 ||
      count > 10'000'000) {
    return node.error("expected a duration such as 90s, 30m, 12h or 7d");
  }
  return std::chrono::seconds(count * unit);
}

sdk::Result<SyncSettings> read_sync_settings(const sdk::ConfigNode& config) {
  SyncSettings settings;
  if (!config.is_mapping()) return config.error("expected a mapping");
  auto districts = config.get_string_list("districts");
  if (!districts) return districts.error();
  for (const std::string& district : *districts) {
    if (!is_safe_id(district)) return config.find("districts")->error("expected Clever district ids");
  }
  settings.districts = std::move(*districts);
  auto limit = config.get_int("page_limit", settings.page_limit, 1, 10'000);
  if (!limit) return limit.error();
  settings.page_limit = *limit;
  auto every = duration_option(config, "full_sync_every", settings.full_sync_every,
                               kMinFullSyncEvery, kEventsRetention);
  if (!every) return every.error();
  settings.full_sync_every = *every;
  auto retries = config.get_int("max_retries", settings.max_retries, 0, 10);
  if (!retries) return retries.error();
  settings.max_retries = static_cast<int>(*retries);
  auto wait = duration_option(config, "max_wait", std::chrono::seconds(60), std::chrono::seconds(1),
                              std::chrono::seconds(600));
  if (!wait) return wait.error();
  settings.max_wait = *wait;
  auto timeout = config.get_int("page_timeout_ms", settings.timeout.count(), 100, 300'000);
  if (!timeout) return timeout.error();
  settings.timeout = std::chrono::milliseconds(*timeout);
  return settings;
}

sdk::Result<CleverSyncConfig> read_sync_config(sdk::PluginContext& context) {
  auto api = read_config(context);
  if (!api) return api.error();
  auto sync = read_sync_settings(context.config());
  if (!sync) return sync.error();
  return CleverSyncConfig{std::move(*api), *sync};
}

}  // namespace lmsgw::plugins::clever
