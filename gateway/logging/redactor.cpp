#include "logging/redactor.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <mutex>
#include <utility>

namespace lmsgw::logging {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_alpha(c) || (c >= '0' && c <= '9'); }
bool is_local_char(char c) {
  return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
bool is_domain_char(char c) { return is_alnum(c) || c == '.' || c == '-'; }

// Length of the `@` separator at `i`: 1 for '@', 3 for "%40", 0 when there is none.
std::size_t separator_at(std::string_view text, std::size_t i) {
  if (text[i] == '@') return 1;
  if (text[i] == '%' && i + 2 < text.size() && text[i + 1] == '4' && text[i + 2] == '0') {
    return 3;
  }
  return 0;
}

// End of a `domain.tld` starting at `begin`, or `begin` when there is none: labels of letters,
// digits and '-', at least two, the last all letters and at least two long.
std::size_t domain_end(std::string_view text, std::size_t begin) {
  std::size_t end = begin;
  while (end < text.size() && is_domain_char(text[end])) ++end;
  while (end > begin && (text[end - 1] == '.' || text[end - 1] == '-')) --end;
  std::string_view domain = text.substr(begin, end - begin);
  std::size_t dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return begin;
  std::string_view tld = domain.substr(dot + 1);
  if (tld.size() < 2 || !std::all_of(tld.begin(), tld.end(), is_alpha)) return begin;
  return end;
}

std::string mask_emails(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;  // text[0, copied) is in `out`
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::size_t separator = separator_at(text, i);
    if (separator == 0) continue;
    std::size_t start = i;
    while (start > copied && is_local_char(text[start - 1])) --start;
    std::size_t end = domain_end(text, i + separator);
    if (start == i || end == i + separator) continue;
    out.append(text.substr(copied, start - copied));
    out.append(Redactor::kEmailMask);
    copied = end;
    i = end - 1;
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace

void Redactor::add_secret(std::string value) {
  if (value.empty()) return;
  std::unique_lock lock(mutex_);
  if (std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end()) return;
  secrets_.push_back(std::move(value));
}

std::string Redactor::redact(std::string_view text) const {
  // Mark every byte covered by some secret first, so that overlapping secrets and a secret
  // that happens to spell part of the mask are all handled the same way.
  std::vector<bool> secret(text.size(), false);
  bool any = false;
  {
    std::shared_lock lock(mutex_);
    for (const std::string& value : secrets_) {
      for (std::size_t at = text.find(value); at != std::string_view::npos;
           at = text.find(value, at + 1)) {
        std::fill_n(secret.begin() + static_cast<std::ptrdiff_t>(at), value.size(), true);
        any = true;
      }
    }
  }
  if (!any) return mask_emails(text);
  std::string masked;
  masked.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!secret[i]) {
      masked.push_back(text[i]);
    } else if (i == 0 || !secret[i - 1]) {
      masked.append(kSecretMask);
    }
  }
  return mask_emails(masked);
}

std::string escape_controls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      char buffer[5];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", byte);
      out += buffer;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Redactor::redact_detail(std::string_view text) const {
  std::string safe = escape_controls(redact(text.substr(0, 4 * kMaxDetailBytes)));
  if (safe.size() > kMaxDetailBytes) safe.resize(kMaxDetailBytes);
  return safe;
}

}  // namespace lmsgw::logging
