// Resolves `env:NAME` and `file:PATH` secret references. Inline secrets are refused.
#pragma once

#include <functional>
#include <string>
#include <vector>
#include <mutex>

#include "lmsgw/sdk/context.h"

namespace lmsgw::config {

class SecretResolver final : public sdk::Secrets {
 public:
  // `base_directory` resolves relative `file:` paths (the config file's directory).
  explicit SecretResolver(std::string base_directory);

  // sdk::Secrets
  sdk::Result<sdk::Secret> resolve(const sdk::ConfigNode& node) noexcept override;

  // Every value resolved so far, so the log redactor can mask them wherever they appear.
  std::vector<std::string> resolved_values() const;

 private:
  std::string base_directory_;
  mutable std::mutex mutex_;
  std::vector<std::string> resolved_;
};

}  // namespace lmsgw::config
