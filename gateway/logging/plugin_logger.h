// The sdk::Logger the core lends each plugin instance.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "lmsgw/sdk/context.h"
#include "logging/redactor.h"

namespace lmsgw::logging {

// Whether a plugin's log field may show its value (sdk::Logger documents the list).
bool is_loggable_field(std::string_view key) noexcept;

// `plugin <connection>: <message> key=value ...`, fields outside the allowlist shown as
// `key=[redacted]`, the whole line passed through `redactor` and control characters escaped
// (`\n`, `\x01`) so that a plugin cannot forge log lines.
std::string format_plugin_line(std::string_view connection, std::string_view message,
                               std::initializer_list<sdk::LogField> fields,
                               const Redactor& redactor);

// Writes to the default logger (logging.h). Thread-safe.
class PluginLogger final : public sdk::Logger {
 public:
  PluginLogger(std::string connection, std::shared_ptr<const Redactor> redactor);

  // sdk::Logger
  // Never throws: a line that cannot be formatted or written is dropped.
  void log(sdk::LogLevel level, std::string_view message,
           std::initializer_list<sdk::LogField> fields) noexcept override;

 private:
  std::string connection_;
  std::shared_ptr<const Redactor> redactor_;
};

}  // namespace lmsgw::logging
