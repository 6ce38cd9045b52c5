// Clever v3.0 records and events -> sdk::RosterChange. Users go through the sign-in mapping
// (identity_from_user), so a rostered user and the same user signing in are reported alike.
// Sections become a section plus one enrollment per member (`students`, `teachers` and the
// primary `teacher`). Rejections name the problem, never a value of the record.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "lmsgw/sdk/result.h"
#include "lmsgw/sdk/roster.h"

namespace lmsgw::plugins::clever {

// A user record read with `district`'s token. Errors are the reason to reject it.
sdk::Result<sdk::RosterUserUpsert> user_change(const boost::json::object& user,
                                           std::string_view district);

// A section record: the section, then its enrollments, appended to `out`.
sdk::Result<void> section_changes(const boost::json::object& section, std::string_view district,
                                  std::vector<sdk::RosterChange>& out);

enum class EventEffect : std::uint8_t {
  applied,           // changes appended
  ignored,           // a type the roster does not follow (schools, terms, courses, ...)
  district_revoked,  // districts.deleted: RosterDistrictRevoked appended; stop reading it
};

// One event of `district`'s stream (its `id` already checked by the caller).
sdk::Result<EventEffect> event_changes(const boost::json::object& event, std::string_view district,
                                       std::vector<sdk::RosterChange>& out);

}  // namespace lmsgw::plugins::clever
