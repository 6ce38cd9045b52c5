#include "jose/detail.h"

#include "lmsgw/sdk/encoding.h"

namespace lmsgw::jose::detail {

bool is_base64url_text(std::string_view text) noexcept {
  for (char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::string> decode_base64url(std::string_view text) {
  // The SDK decoder forgives '=' padding; JOSE forbids it (RFC 7515 section 2).
  if (!is_base64url_text(text)) return std::nullopt;
  return sdk::base64url_decode(text);
}

}  // namespace lmsgw::jose::detail
