/// @file
/// @brief Base64, base64url, hex and percent-encoding, for plugins and the core alike
/// (JWTs, HTTP Basic auth, OAuth query strings).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lmsgw::sdk {

namespace encoding_detail {

inline std::string base64_with(std::string_view bytes, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  auto at = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k]));
  };
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    const std::uint32_t n = (at(i) << 16) | (rest == 2 ? at(i + 1) << 8 : 0);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    if (rest == 2) out += alphabet[(n >> 6) & 63];
    if (pad) out.append(3 - rest, '=');
  }
  return out;
}

inline std::optional<std::string> base64_decode_with(std::string_view text, bool url) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z')
      value = c - 'A';
    else if (c >= 'a' && c <= 'z')
      value = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      value = c - '0' + 52;
    else if (c == (url ? '-' : '+'))
      value = 62;
    else if (c == (url ? '_' : '/'))
      value = 63;
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero, so that each text has exactly one decoding.
  if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace encoding_detail

/// Standard alphabet, padded (RFC 4648 section 4).
inline std::string base64_encode(std::string_view bytes) {
  return encoding_detail::base64_with(
      bytes, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", true);
}

/// URL-safe alphabet, unpadded (RFC 4648 section 5, as JOSE uses it).
inline std::string base64url_encode(std::string_view bytes) {
  return encoding_detail::base64_with(
      bytes, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", false);
}

/// nullopt on a character outside the alphabet or non-canonical trailing bits.
inline std::optional<std::string> base64_decode(std::string_view text) {
  return encoding_detail::base64_decode_with(text, false);
}
inline std::optional<std::string> base64url_decode(std::string_view text) {
  return encoding_detail::base64_decode_with(text, true);
}

inline std::string hex_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

/// Percent-encodes everything but RFC 3986 unreserved characters: safe in a query component,
/// a form field (application/x-www-form-urlencoded) and a path segment.
inline std::string percent_encode(std::string_view text) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

}  // namespace lmsgw::sdk
