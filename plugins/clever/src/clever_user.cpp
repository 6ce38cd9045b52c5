#include "clever_user.h"

#include <charconv>

#include <boost/json/serialize.hpp>

#include "oauth.h"

namespace lmsgw::plugins::clever {
namespace {

using common::object_member;
using common::string_member;

// The roles a Clever user can hold, most restrictive first: a person who is both a student
// and something else signs in as a student.
struct RoleKey {
  std::string_view key;
  sdk::Role role;
};
constexpr RoleKey kRolePriority[] = {
    {"student", sdk::Role::student},  {"teacher", sdk::Role::teacher},
    {"staff", sdk::Role::staff},      {"district_admin", sdk::Role::district_admin},
    {"contact", sdk::Role::guardian},
};

constexpr std::size_t kMaxFlattenDepth = 6;

void flatten(const boost::json::value& value, const std::string& path,
             std::map<std::string, std::string>& out, std::size_t depth) {
  if (depth > kMaxFlattenDepth) return;
  switch (value.kind()) {
    case boost::json::kind::object:
      for (const auto& member : value.get_object()) {
        flatten(member.value(), path + "." + std::string(member.key()), out, depth + 1);
      }
      break;
    case boost::json::kind::array: {
      std::size_t index = 0;
      for (const auto& item : value.get_array()) {
        flatten(item, path + "[" + std::to_string(index++) + "]", out, depth + 1);
      }
      break;
    }
    case boost::json::kind::string:
      out[path] = std::string(value.get_string());
      break;
    case boost::json::kind::null:
      break;
    default:
      out[path] = boost::json::serialize(value);
  }
}

std::optional<std::string> optional_string(const boost::json::object& object,
                                           std::string_view key) {
  const boost::json::string* value = string_member(object, key);
  if (value == nullptr || value->empty()) return std::nullopt;
  return std::string(*value);
}

}  // namespace

bool is_safe_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool allowed = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                         (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

std::optional<sdk::CivilDate> parse_clever_dob(std::string_view text) noexcept {
  unsigned month = 0;
  unsigned day = 0;
  int year = 0;
  const char* cursor = text.data();
  const char* end = text.data() + text.size();
  auto field = [&](auto& out, std::size_t min_digits, std::size_t max_digits) {
    const char* start = cursor;
    auto [next, ec] = std::from_chars(cursor, end, out);
    const auto digits = static_cast<std::size_t>(next - start);
    if (ec != std::errc{} || digits < min_digits || digits > max_digits) return false;
    cursor = next;
    return true;
  };
  auto slash = [&] {
    if (cursor == end || *cursor != '/') return false;
    ++cursor;
    return true;
  };
  if (!field(month, 1, 2) || !slash() || !field(day, 1, 2) || !slash() || !field(year, 4, 4) ||
      cursor != end) {
    return std::nullopt;
  }
  return sdk::CivilDate{year, month, day};
}

sdk::Result<sdk::ExternalIdentity> identity_from_user(const boost::json::object& user) {
  sdk::ExternalIdentity identity;
  const boost::json::string* id = string_member(user, "id");
  if (id == nullptr || !is_safe_id(*id)) {
    return sdk::Error{sdk::ErrorCode::upstream_malformed, "user record has no valid id"};
  }
  identity.subject = std::string(*id);
  identity.provider_district = optional_string(user, "district");
  identity.email = optional_string(user, "email");
  // Clever documents emails as unverified.
  identity.email_verified = false;

  if (const boost::json::object* name = object_member(user, "name")) {
    identity.given_name = optional_string(*name, "first");
    identity.middle_name = optional_string(*name, "middle");
    identity.family_name = optional_string(*name, "last");
  }

  const boost::json::object* roles = object_member(user, "roles");
  if (roles != nullptr) {
    for (const RoleKey& candidate : kRolePriority) {
      if (object_member(*roles, candidate.key) != nullptr) {
        identity.role = candidate.role;
        break;
      }
    }
    if (const boost::json::object* student = object_member(*roles, "student")) {
      if (auto dob = optional_string(*student, "dob")) identity.birthdate = parse_clever_dob(*dob);
    }
  }

  for (const auto& member : user) {
    const std::string_view key = member.key();
    if (key == "id" || key == "district" || key == "email" || key == "name") continue;
    flatten(member.value(), std::string(key), identity.extra, 1);
  }
  return identity;
}

}  // namespace lmsgw::plugins::clever
