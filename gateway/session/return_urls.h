// Where a browser may be sent after sign-in or logout: only under a configured prefix, so the
// gateway can never be used as an open redirect.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmsgw::session {

class ReturnUrlPolicy {
 public:
  // Prefixes and the default are validated by the config loader (absolute http(s) URLs).
  ReturnUrlPolicy(std::vector<std::string> prefixes, std::string default_url);

  // The URL to return to: `requested` when allowed, the default when `requested` is empty,
  // nullopt when `requested` is not allowed.
  std::optional<std::string> resolve(std::string_view requested) const;
  const std::string& default_url() const noexcept { return default_url_; }

  // Allowed when scheme, host and port equal a prefix's exactly and the path continues the
  // prefix's path on a segment boundary. No user info, no fragment, no backslashes or
  // control characters (browsers treat some of them as separators).
  bool allows(std::string_view url) const;

 private:
  struct Prefix {
    std::string origin;  // scheme://host[:port], lowercase
    std::string path;    // starts with '/'
  };
  std::vector<Prefix> prefixes_;
  std::string default_url_;
};

}  // namespace lmsgw::session
