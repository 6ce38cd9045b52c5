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

  // What an error detail may look like in a log line: redacted, control characters escaped,
  // and cut at kMaxDetailBytes, since details can carry text a provider chose.
  static constexpr std::size_t kMaxDetailBytes = 512;
  std::string redact_detail(std::string_view text) const;

 private:
  mutable std::shared_mutex mutex_;
  std::vector<std::string> secrets_;
};

// Control characters as escapes (`\n`, `\x01`), so that logged text cannot forge log lines.
std::string escape_controls(std::string_view text);

}  // namespace lmsgw::logging
