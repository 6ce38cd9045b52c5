// Masks secrets and email addresses in text that is about to be logged.
#pragma once

#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace lmsgw::logging {

// Thread-safe: secrets may be added while other threads redact.
class Redactor {
 public:
  static constexpr std::string_view kSecretMask = "[secret]";
  static constexpr std::string_view kEmailMask = "[email]";

  // Every later redact() masks `value` wherever it appears. Empty values are ignored.
  void add_secret(std::string value);

  // `text` with every occurrence of a secret replaced by [secret] and every email-shaped
  // substring (`local@domain.tld`, also with the `@` percent-encoded as `%40`) by [email].
  std::string redact(std::string_view text) const;

 private:
  mutable std::shared_mutex mutex_;
  std::vector<std::string> secrets_;
};

}  // namespace lmsgw::logging
