// LTI 1.3 role URIs (LTI Core 1.3 appendix A.2, LIS v2 vocabularies) mapped to the roles the
// core understands.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lmsgw/sdk/identity.h"

namespace lmsgw::plugins::lti13 {

// The role one URI names, Role::unknown for any other. Context (membership) roles may come as
// full URIs, as sub-role URIs (membership/Instructor#TeachingAssistant, which imply their
// principal role) or as the deprecated simple names ("Learner"); institution roles only as
// full URIs. System roles are ignored: a platform administrator is nobody in a district.
//
//   Learner, institution Student or Learner                 -> student
//   Instructor (incl. TeachingAssistant), ContentDeveloper,
//   institution Faculty or Instructor                       -> teacher
//   Administrator (context or institution), institution Staff -> staff (a teacher account)
//   Mentor (context or institution)                         -> guardian
//   anything else (Member, Manager, Officer, Guest, ...)    -> unknown
sdk::Role role_of_uri(std::string_view uri) noexcept;

// The role of a person holding all of `uris`: the most restrictive one they name (student,
// then teacher, staff, guardian), so that a learner who also holds another role signs in as a
// student; Role::unknown when none is known, which the core refuses.
sdk::Role role_of(const std::vector<std::string>& uris) noexcept;

}  // namespace lmsgw::plugins::lti13
