// Resolves `env:NAME` and `file:PATH` secret references. Inline secrets are refused.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "lmsgw/sdk/config_node.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::config {

// Whether `node` has the form of a reference (`env:NAME` or `file:PATH`), without resolving
// it, so that configuration validation refuses an inline secret before anything starts.
sdk::Result<void> check_secret_reference(const sdk::ConfigNode& node);

// Thread-safe. Errors point at the node (`file:line: key: reason`) and never contain the
// secret's value.
class SecretResolver final : public sdk::Secrets {
 public:
  // Largest `file:` secret accepted.
  static constexpr std::size_t kMaxFileBytes = 64 * 1024;

  // `base_directory` resolves relative `file:` paths (the config file's directory).
  explicit SecretResolver(std::string base_directory);

  // sdk::Secrets
  // `env:NAME` must be set and non-empty. `file:PATH` must be a regular file of at most
  // 64 KiB that "others" cannot read; one trailing newline is removed; the rest must not
  // be empty.
  sdk::Result<sdk::Secret> resolve(const sdk::ConfigNode& node) noexcept override;

  // Every value resolved so far, so the log redactor can mask them wherever they appear.
  std::vector<std::string> resolved_values() const;

 private:
  std::string base_directory_;
  mutable std::mutex mutex_;
  std::vector<std::string> resolved_;
};

}  // namespace lmsgw::config
