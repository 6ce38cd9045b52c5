#include "identity/minimizer.h"

#include <initializer_list>
#include <string_view>
#include <utility>

namespace lmsgw::identity {
namespace {

constexpr std::size_t kMaxDisplayNameBytes = 64;
constexpr int kMaxPlausibleAge = 130;
constexpr std::string_view kEmailHashDomain = "lmsgw.email.v1";
constexpr std::string_view kSubjectHashDomain = "lmsgw.subject.v1";

// One decoded UTF-8 sequence: the code point and the bytes it spans in the input.
struct CodePoint {
  char32_t value = 0;
  std::string_view bytes;
  bool valid = false;
};

// Decodes the sequence at `text[pos]`. An invalid sequence (bad lead or continuation byte,
// overlong form, surrogate, beyond U+10FFFF, truncated) is reported as one invalid byte, so
// the caller can drop it and resynchronise on the next byte.
CodePoint decode_at(std::string_view text, std::size_t pos) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  CodePoint invalid{0, text.substr(pos, 1), false};
  if (lead < 0x80) return {lead, text.substr(pos, 1), true};

  std::size_t length = 0;
  char32_t value = 0;
  char32_t minimum = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, value = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, value = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, value = lead & 0x07, minimum = 0x10000;
  } else {
    return invalid;
  }
  if (pos + length > text.size()) return invalid;
  for (std::size_t i = 1; i < length; ++i) {
    const unsigned char next = byte(pos + i);
    if ((next & 0xC0) != 0x80) return invalid;
    value = (value << 6) | (next & 0x3F);
  }
  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return invalid;
  }
  return {value, text.substr(pos, length), true};
}

// C0 (CR, LF, TAB, NUL, ...), DEL and C1: never allowed in a display name, which ends up in
// HTTP headers and log-adjacent places where a line break would split or forge a field.
bool is_control(char32_t c) noexcept { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

// Unicode white space, including the line and paragraph separators some parsers treat as
// line breaks.
bool is_space(char32_t c) noexcept {
  return c == 0x20 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// The first word of a full name. Words are split on white space and on control characters
// alike, so that "Ann\tLee" cannot become "AnnLee" once the tab is stripped.
std::string_view first_word(std::string_view text) noexcept {
  std::size_t pos = 0;
  std::size_t begin = std::string_view::npos;
  while (pos < text.size()) {
    const CodePoint cp = decode_at(text, pos);
    const bool separator = cp.valid && (is_space(cp.value) || is_control(cp.value));
    if (separator && begin != std::string_view::npos) return text.substr(begin, pos - begin);
    if (!separator && begin == std::string_view::npos) begin = pos;
    pos += cp.bytes.size();
  }
  return begin == std::string_view::npos ? std::string_view{} : text.substr(begin);
}

// Drops control characters and invalid UTF-8, trims white space at both ends, and cuts to
// kMaxDisplayNameBytes on a code point boundary.
std::string clean_display_text(std::string_view text) {
  std::string kept;
  kept.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const CodePoint cp = decode_at(text, pos);
    pos += cp.bytes.size();
    if (!cp.valid || is_control(cp.value)) continue;
    if (is_space(cp.value) && kept.empty()) continue;
    kept.append(cp.bytes);
  }

  std::string out;
  std::size_t trimmed_size = 0;  // length of `out` without trailing white space
  for (std::size_t pos = 0; pos < kept.size();) {
    const CodePoint cp = decode_at(kept, pos);
    pos += cp.bytes.size();
    if (out.size() + cp.bytes.size() > kMaxDisplayNameBytes) break;
    out.append(cp.bytes);
    if (!is_space(cp.value)) trimmed_size = out.size();
  }
  out.resize(trimmed_size);
  return out;
}

std::string first_code_point(std::string_view text) {
  if (text.empty()) return {};
  return std::string(decode_at(text, 0).bytes);
}

std::string staff_full_name(const sdk::ExternalIdentity& identity) {
  const std::string given = identity.given_name ? clean_display_text(*identity.given_name) : "";
  if (given.empty()) return identity.full_name ? clean_display_text(*identity.full_name) : "";
  const std::string family = identity.family_name ? clean_display_text(*identity.family_name) : "";
  if (family.empty()) return given;
  return clean_display_text(given + " " + family);
}

std::string display_name_for(const sdk::ExternalIdentity& identity, AccountRole role,
                             const NamePolicy& policy) {
  if (role == AccountRole::student) {
    std::string first = display_first_name(identity);
    if (policy.students == StudentNameStyle::initial && !first.empty()) {
      return first_code_point(first) + ".";
    }
    return first;
  }
  if (role != AccountRole::guardian && policy.staff == StaffNameStyle::full_name) {
    return staff_full_name(identity);
  }
  return display_first_name(identity);
}

std::optional<AccountRole> account_role_for(sdk::Role role) noexcept {
  switch (role) {
    case sdk::Role::student:
      return AccountRole::student;
    case sdk::Role::teacher:
      return AccountRole::teacher;
    case sdk::Role::staff:
      return AccountRole::teacher;
    case sdk::Role::district_admin:
      return AccountRole::district_admin;
    case sdk::Role::guardian:
      return AccountRole::guardian;
    case sdk::Role::unknown:
      return std::nullopt;
  }
  return std::nullopt;
}

bool is_ascii_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim_ascii(std::string_view text) noexcept {
  while (!text.empty() && is_ascii_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_ascii_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string normalize_email(std::string_view email) {
  std::string out(trim_ascii(email));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// `domain` '\0' part ('\0' part)...: keeps the two hashes (and any future one) apart.
std::string domain_separated(std::string_view domain,
                             std::initializer_list<std::string_view> parts) {
  std::string message(domain);
  for (std::string_view part : parts) {
    message.push_back('\0');
    message.append(part);
  }
  return message;
}

}  // namespace

Minimizer::Minimizer(sdk::Secret pepper) : pepper_(std::move(pepper)) {}

sdk::Result<Minimizer> Minimizer::create(sdk::Secret pepper) {
  if (pepper.reveal().size() < kMinPepperBytes) {
    return sdk::Error{sdk::ErrorCode::config_invalid, "identity pepper must be at least 32 bytes"};
  }
  return Minimizer(std::move(pepper));
}

// Builds the account field by field from the allowlist (PRIVACY.md A). Nothing here copies
// the identity as a whole: a claim no line below names is dropped.
sdk::Result<Minimized> Minimizer::minimize(const sdk::ExternalIdentity& identity,
                                           std::string_view identity_namespace,
                                           std::optional<std::string> district_id,
                                           const NamePolicy& policy, sdk::CivilDate today) const {
  if (identity.subject.empty()) {
    return sdk::Error{sdk::ErrorCode::invalid_request, "identity has an empty subject"};
  }
  if (identity_namespace.empty()) {
    return sdk::Error{sdk::ErrorCode::invalid_request, "identity namespace is empty"};
  }
  const std::optional<AccountRole> role = account_role_for(identity.role);
  if (!role) return sdk::Error{sdk::ErrorCode::not_permitted, "role may not hold an account"};

  Minimized out;
  out.key = identity_key(identity_namespace, identity.subject);
  out.account.role = *role;
  out.account.district_id = std::move(district_id);
  out.account.display_name = display_name_for(identity, *role, policy);

  if (*role == AccountRole::student && identity.birthdate) {
    if (const std::optional<int> years = age_in_years(*identity.birthdate, today)) {
      out.account.age = AgeRecord{*years, today};
    }
  }

  if (identity.email) {
    const std::string_view trimmed = trim_ascii(*identity.email);
    if (!trimmed.empty()) {
      // The hash links accounts, so an address the provider does not vouch for must never
      // produce one: anyone could claim it.
      if (identity.email_verified) out.account.email_hash = email_hash(trimmed);
      // Plaintext only to reach staff (PRIVACY.md A).
      if (*role == AccountRole::teacher || *role == AccountRole::district_admin) {
        out.account.email = std::string(trimmed);
      }
    }
  }
  return out;
}

IdentityKey Minimizer::identity_key(std::string_view identity_namespace,
                                    std::string_view subject) const {
  return IdentityKey{crypto::hmac_sha256(
      pepper_.reveal(), domain_separated(kSubjectHashDomain, {identity_namespace, subject}))};
}

crypto::Digest Minimizer::email_hash(std::string_view email) const {
  return crypto::hmac_sha256(pepper_.reveal(),
                             domain_separated(kEmailHashDomain, {normalize_email(email)}));
}

std::optional<int> age_in_years(sdk::CivilDate birthdate, sdk::CivilDate today) noexcept {
  const std::optional<int> years = whole_years_between(birthdate, today);
  if (!years || *years > kMaxPlausibleAge) return std::nullopt;
  return years;
}

std::string display_first_name(const sdk::ExternalIdentity& identity) {
  if (identity.given_name) {
    std::string given = clean_display_text(*identity.given_name);
    if (!given.empty()) return given;
  }
  if (identity.full_name) return clean_display_text(first_word(*identity.full_name));
  return {};
}

}  // namespace lmsgw::identity
