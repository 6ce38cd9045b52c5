#include "clever_sync_cursor.h"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "clever_user.h"

namespace lmsgw::plugins::clever {
namespace {

constexpr int kVersion = 1;

constexpr std::string_view kModes[] = {"idle", "delta", "full"};
constexpr std::string_view kSteps[] = {"mark", "users", "sections", "events"};

sdk::Error bad_cursor(std::string_view why) {
  return sdk::Error{sdk::ErrorCode::invalid_request,
                    "sync cursor is not one this plugin wrote: " + std::string(why)};
}

template <class Enum, std::size_t N>
bool enum_from(std::string_view text, const std::string_view (&names)[N], Enum& out) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == text) {
      out = static_cast<Enum>(i);
      return true;
    }
  }
  return false;
}

const boost::json::value* member(const boost::json::object& object, std::string_view key) {
  return object.if_contains(key);
}

bool read_string(const boost::json::object& object, std::string_view key, std::string& out) {
  const boost::json::value* value = member(object, key);
  if (value == nullptr) return true;
  if (!value->is_string()) return false;
  out = std::string(value->get_string());
  return true;
}

bool read_int(const boost::json::object& object, std::string_view key, std::int64_t& out) {
  const boost::json::value* value = member(object, key);
  if (value == nullptr) return true;
  if (!value->is_int64()) return false;
  out = value->get_int64();
  return out >= 0;
}

bool id_or_empty(std::string_view id) { return id.empty() || is_safe_id(id); }

}  // namespace

std::string encode_cursor(const SyncCursor& cursor) {
  boost::json::object out;
  out["v"] = kVersion;
  out["mode"] = kModes[static_cast<std::size_t>(cursor.mode)];
  boost::json::array districts;
  for (const DistrictPosition& district : cursor.districts) {
    boost::json::object entry{{"id", district.id}};
    if (district.events_after) entry["e"] = *district.events_after;
    districts.emplace_back(std::move(entry));
  }
  out["d"] = std::move(districts);
  if (!cursor.revoked.empty()) {
    boost::json::array revoked;
    for (const std::string& id : cursor.revoked) revoked.emplace_back(id);
    out["revoked"] = std::move(revoked);
  }
  if (cursor.mode != RunMode::idle) {
    out["at"] = cursor.current;
    out["step"] = kSteps[static_cast<std::size_t>(cursor.step)];
    out["after"] = cursor.after;
    out["page"] = cursor.page;
  }
  out["full_at"] = cursor.full_at;
  out["run_at"] = cursor.run_at;
  return boost::json::serialize(out);
}

sdk::Result<SyncCursor> decode_cursor(std::string_view text) {
  SyncCursor cursor;
  if (text.empty()) return cursor;
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(text, ec);
  if (ec || !parsed.is_object()) return bad_cursor("not a JSON object");
  const boost::json::object& root = parsed.get_object();
  const boost::json::value* version = member(root, "v");
  if (version == nullptr || !version->is_int64() || version->get_int64() != kVersion) {
    return bad_cursor("unknown version");
  }
  std::string mode;
  if (!read_string(root, "mode", mode) || !enum_from(mode, kModes, cursor.mode)) {
    return bad_cursor("unknown mode");
  }
  const boost::json::value* districts = member(root, "d");
  if (districts == nullptr || !districts->is_array() ||
      districts->get_array().size() > kMaxDistricts) {
    return bad_cursor("no district list");
  }
  for (const boost::json::value& item : districts->get_array()) {
    if (!item.is_object()) return bad_cursor("district entry is not an object");
    DistrictPosition district;
    if (!read_string(item.get_object(), "id", district.id) || !is_safe_id(district.id)) {
      return bad_cursor("district id");
    }
    if (const boost::json::value* events = member(item.get_object(), "e")) {
      if (!events->is_string() || !id_or_empty(events->get_string())) {
        return bad_cursor("event position");
      }
      district.events_after = std::string(events->get_string());
    }
    if (!cursor.districts.empty() && cursor.districts.back().id >= district.id) {
      return bad_cursor("districts out of order");
    }
    cursor.districts.push_back(std::move(district));
  }
  if (const boost::json::value* revoked = member(root, "revoked")) {
    if (!revoked->is_array() || revoked->get_array().size() > kMaxDistricts) {
      return bad_cursor("revoked list");
    }
    for (const boost::json::value& item : revoked->get_array()) {
      if (!item.is_string() || !is_safe_id(item.get_string()) ||
          (!cursor.revoked.empty() && cursor.revoked.back() >= item.get_string())) {
        return bad_cursor("revoked district id");
      }
      cursor.revoked.emplace_back(item.get_string());
    }
  }
  if (cursor.mode != RunMode::idle) {
    std::string step;
    if (!read_string(root, "at", cursor.current) || !is_safe_id(cursor.current) ||
        !read_string(root, "step", step) || !enum_from(step, kSteps, cursor.step) ||
        !read_string(root, "after", cursor.after) || !id_or_empty(cursor.after) ||
        !read_int(root, "page", cursor.page)) {
      return bad_cursor("run position");
    }
  }
  if (!read_int(root, "full_at", cursor.full_at) || !read_int(root, "run_at", cursor.run_at)) {
    return bad_cursor("times");
  }
  return cursor;
}

}  // namespace lmsgw::plugins::clever
