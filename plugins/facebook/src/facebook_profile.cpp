#include "facebook_profile.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "oauth.h"

namespace lmsgw::plugins::facebook {
namespace {

using common::string_member;

constexpr std::size_t kMaxFlattenDepth = 4;
constexpr std::size_t kMaxIdDigits = 32;

// Fields with a typed claim in ExternalIdentity; the limit is per value.
struct TypedField {
  std::string_view key;
  std::optional<std::string> sdk::ExternalIdentity::*claim;
  std::size_t max_bytes;
};
constexpr TypedField kTypedFields[] = {
    {"first_name", &sdk::ExternalIdentity::given_name, kMaxNameBytes},
    {"middle_name", &sdk::ExternalIdentity::middle_name, kMaxNameBytes},
    {"last_name", &sdk::ExternalIdentity::family_name, kMaxNameBytes},
    {"name", &sdk::ExternalIdentity::full_name, kMaxNameBytes},
    {"email", &sdk::ExternalIdentity::email, kMaxEmailBytes},
};

// False when `out` would exceed kMaxExtraFields.
bool flatten(const boost::json::value& value, const std::string& path,
             std::map<std::string, std::string>& out, std::size_t depth) {
  if (depth > kMaxFlattenDepth) return true;
  switch (value.kind()) {
    case boost::json::kind::object:
      for (const auto& member : value.get_object()) {
        if (!flatten(member.value(), path + "." + std::string(member.key()), out, depth + 1)) {
          return false;
        }
      }
      return true;
    case boost::json::kind::array: {
      std::size_t index = 0;
      for (const auto& item : value.get_array()) {
        if (!flatten(item, path + "[" + std::to_string(index++) + "]", out, depth + 1)) {
          return false;
        }
      }
      return true;
    }
    case boost::json::kind::null:
      return true;
    case boost::json::kind::string:
      out[path] = std::string(value.get_string());
      break;
    default:
      out[path] = boost::json::serialize(value);
  }
  return out.size() <= kMaxExtraFields;
}

}  // namespace

bool is_app_scoped_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxIdDigits) return false;
  for (char c : id) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string graph_error_summary(std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  if (ec || !parsed.is_object()) return {};
  const boost::json::value* error = parsed.get_object().if_contains("error");
  if (error == nullptr || !error->is_object()) return {};
  auto number = [&](std::string_view key) -> std::optional<std::int64_t> {
    const boost::json::value* value = error->get_object().if_contains(key);
    if (value == nullptr || !value->is_int64()) return std::nullopt;
    return value->get_int64();
  };
  const auto code = number("code");
  if (!code) return {};
  std::string summary = " (Graph error code " + std::to_string(*code);
  if (const auto subcode = number("error_subcode")) {
    summary += ", subcode " + std::to_string(*subcode);
  }
  return summary + ")";
}

sdk::Result<sdk::ExternalIdentity> identity_from_me(const boost::json::object& me, sdk::Role role) {
  const boost::json::string* id = string_member(me, "id");
  if (id == nullptr || !is_app_scoped_id(*id)) {
    return sdk::Error{sdk::ErrorCode::upstream_malformed, "/me response has no valid id"};
  }
  sdk::ExternalIdentity identity;
  identity.subject = std::string(*id);
  identity.role = role;
  // Nothing documents that Graph vouches for the address (PROTOCOLS.md section 3.3), so it
  // must never link accounts.
  identity.email_verified = false;

  for (const auto& member : me) {
    const std::string_view key = member.key();
    if (key == "id") continue;
    const TypedField* typed = nullptr;
    for (const TypedField& candidate : kTypedFields) {
      if (candidate.key == key) typed = &candidate;
    }
    if (typed != nullptr) {
      if (member.value().is_null()) continue;
      const boost::json::string* text = member.value().if_string();
      if (text == nullptr) {
        return sdk::Error{sdk::ErrorCode::upstream_malformed,
                          "/me field " + std::string(key) + " is not a string"};
      }
      if (text->size() > typed->max_bytes) {
        return sdk::Error{sdk::ErrorCode::limit_exceeded,
                          "/me field " + std::string(key) + " is too long"};
      }
      if (!text->empty()) identity.*(typed->claim) = std::string(*text);
      continue;
    }
    if (!flatten(member.value(), std::string(key), identity.extra, 1)) {
      return sdk::Error{sdk::ErrorCode::limit_exceeded, "/me response has too many fields"};
    }
  }
  return identity;
}

}  // namespace lmsgw::plugins::facebook
