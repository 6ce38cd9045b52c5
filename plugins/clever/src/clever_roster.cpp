#include "clever_roster.h"

#include <map>

#include "clever_user.h"
#include "oauth.h"

namespace lmsgw::plugins::clever {
namespace {

using common::object_member;
using common::string_member;

sdk::Error reject(std::string reason) {
  return sdk::Error{sdk::ErrorCode::upstream_malformed, std::move(reason)};
}

// A record read with a district's token must belong to that district.
sdk::Result<void> check_district(const boost::json::object& record, std::string_view district) {
  const boost::json::value* value = record.if_contains("district");
  if (value == nullptr || value->is_null()) return {};
  if (!value->is_string() || value->get_string() != district) {
    return reject("record belongs to another district");
  }
  return {};
}

// Section members by user id; a person listed as teacher and student counts as a student,
// the most restrictive role, as in sign-in.
using Members = std::map<std::string, sdk::Role>;

sdk::Result<Members> members_of(const boost::json::object& section) {
  Members members;
  auto add_list = [&](std::string_view key, sdk::Role role) -> sdk::Result<void> {
    const boost::json::value* value = section.if_contains(key);
    if (value == nullptr || value->is_null()) return {};
    if (!value->is_array()) return reject("section member list is not a list");
    for (const boost::json::value& item : value->get_array()) {
      if (!item.is_string() || !is_safe_id(item.get_string())) {
        return reject("section member id is not valid");
      }
      members.emplace(std::string(item.get_string()), role);
    }
    return {};
  };
  if (auto students = add_list("students", sdk::Role::student); !students) return students.error();
  if (auto teachers = add_list("teachers", sdk::Role::teacher); !teachers) return teachers.error();
  if (const boost::json::value* teacher = section.if_contains("teacher");
      teacher != nullptr && !teacher->is_null()) {
    if (!teacher->is_string() || !is_safe_id(teacher->get_string())) {
      return reject("section member id is not valid");
    }
    members.emplace(std::string(teacher->get_string()), sdk::Role::teacher);
  }
  return members;
}

sdk::Result<std::string> section_id(const boost::json::object& section,
                                    std::string_view district) {
  const boost::json::string* id = string_member(section, "id");
  if (id == nullptr || !is_safe_id(*id)) return reject("section has no valid id");
  if (auto owned = check_district(section, district); !owned) return owned.error();
  return std::string(*id);
}

std::string enrollment_id(std::string_view section, std::string_view user) {
  return std::string(section) + "/" + std::string(user);
}

sdk::Result<EventEffect> user_event(std::string_view action, const boost::json::object& object,
                                    std::string_view district,
                                    std::vector<sdk::RosterChange>& out) {
  if (action == "deleted") {
    const boost::json::string* id = string_member(object, "id");
    if (id == nullptr || !is_safe_id(*id)) return reject("user has no valid id");
    if (auto owned = check_district(object, district); !owned) return owned.error();
    out.emplace_back(sdk::RosterRemoval{sdk::RosterRecordKind::user, std::string(*id)});
    return EventEffect::applied;
  }
  auto change = user_change(object, district);
  if (!change) return change.error();
  out.push_back(std::move(*change));
  return EventEffect::applied;
}

sdk::Result<EventEffect> section_event(std::string_view action, const boost::json::object& event_data,
                                       const boost::json::object& object, std::string_view district,
                                       std::vector<sdk::RosterChange>& out) {
  auto id = section_id(object, district);
  if (!id) return id.error();
  auto members = members_of(object);
  if (!members) return members.error();
  if (action == "deleted") {
    for (const auto& [user, role] : *members) {
      out.emplace_back(sdk::RosterRemoval{sdk::RosterRecordKind::enrollment, enrollment_id(*id, user)});
    }
    out.emplace_back(sdk::RosterRemoval{sdk::RosterRecordKind::section, *id});
    return EventEffect::applied;
  }
  // An update lists the old value of each changed field: members no longer listed leave.
  std::vector<std::string> departed;
  if (const boost::json::object* previous = object_member(event_data, "previous_attributes")) {
    auto before = members_of(*previous);
    if (!before) return before.error();
    for (const auto& [user, role] : *before) {
      if (!members->contains(user)) departed.push_back(user);
    }
  }
  if (auto changes = section_changes(object, district, out); !changes) return changes.error();
  for (const std::string& user : departed) {
    out.emplace_back(sdk::RosterRemoval{sdk::RosterRecordKind::enrollment, enrollment_id(*id, user)});
  }
  return EventEffect::applied;
}

}  // namespace

sdk::Result<sdk::RosterUserUpsert> user_change(const boost::json::object& user,
                                           std::string_view district) {
  if (auto owned = check_district(user, district); !owned) return owned.error();
  auto identity = identity_from_user(user);
  if (!identity) return identity.error();
  if (!identity->provider_district) identity->provider_district = std::string(district);
  return sdk::RosterUserUpsert{std::move(*identity)};
}

sdk::Result<void> section_changes(const boost::json::object& section, std::string_view district,
                                  std::vector<sdk::RosterChange>& out) {
  auto id = section_id(section, district);
  if (!id) return id.error();
  auto members = members_of(section);
  if (!members) return members.error();
  out.emplace_back(sdk::RosterSectionUpsert{*id, std::string(district)});
  for (const auto& [user, role] : *members) {
    out.emplace_back(sdk::RosterEnrollmentUpsert{*id, user, role});
  }
  return {};
}

sdk::Result<EventEffect> event_changes(const boost::json::object& event, std::string_view district,
                                       std::vector<sdk::RosterChange>& out) {
  const boost::json::string* type = string_member(event, "type");
  if (type == nullptr) return reject("event has no type");
  const std::string_view text = *type;
  const auto dot = text.find('.');
  if (dot == std::string_view::npos) return reject("event type is not resource.action");
  const std::string_view resource = text.substr(0, dot);
  const std::string_view action = text.substr(dot + 1);
  if (action != "created" && action != "updated" && action != "deleted") {
    return EventEffect::ignored;
  }
  if (resource != "users" && resource != "sections" && resource != "districts") {
    return EventEffect::ignored;
  }
  const boost::json::object* data = object_member(event, "data");
  const boost::json::object* object = data != nullptr ? object_member(*data, "object") : nullptr;
  if (object == nullptr) return reject("event has no data.object");
  if (resource == "users") return user_event(action, *object, district, out);
  if (resource == "sections") return section_event(action, *data, *object, district, out);
  if (action != "deleted") return EventEffect::ignored;
  // A district's own stream announcing its deletion: the district disconnected.
  const boost::json::string* id = string_member(*object, "id");
  if (id != nullptr && *id != district) return reject("district event names another district");
  out.emplace_back(sdk::RosterDistrictRevoked{std::string(district)});
  return EventEffect::district_revoked;
}

}  // namespace lmsgw::plugins::clever
