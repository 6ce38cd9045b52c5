#include "lti_roles.h"

namespace lmsgw::plugins::lti13 {
namespace {

constexpr std::string_view kMembership = "http://purl.imsglobal.org/vocab/lis/v2/membership#";
constexpr std::string_view kMembershipSubRole =
    "http://purl.imsglobal.org/vocab/lis/v2/membership/";
constexpr std::string_view kInstitution =
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#";

struct NamedRole {
  std::string_view name;
  sdk::Role role;
};

// Context roles. A Mentor is the LIS name for an observer (Canvas maps its parent "Observer"
// to it): an adult watching a learner, so the smallest adult account, never a teacher.
constexpr NamedRole kContextRoles[] = {
    {"Learner", sdk::Role::student},           {"Instructor", sdk::Role::teacher},
    {"TeachingAssistant", sdk::Role::teacher}, {"ContentDeveloper", sdk::Role::teacher},
    {"Administrator", sdk::Role::staff},       {"Mentor", sdk::Role::guardian},
};

constexpr NamedRole kInstitutionRoles[] = {
    {"Student", sdk::Role::student}, {"Learner", sdk::Role::student},
    {"Faculty", sdk::Role::teacher}, {"Instructor", sdk::Role::teacher},
    {"Staff", sdk::Role::staff},     {"Administrator", sdk::Role::staff},
    {"Mentor", sdk::Role::guardian},
};

template <std::size_t N>
sdk::Role lookup(const NamedRole (&table)[N], std::string_view name) noexcept {
  for (const NamedRole& entry : table) {
    if (entry.name == name) return entry.role;
  }
  return sdk::Role::unknown;
}

// Lower is more restrictive; unknown ranks last so that it never wins over a known role.
int rank(sdk::Role role) noexcept {
  switch (role) {
    case sdk::Role::student:
      return 0;
    case sdk::Role::teacher:
      return 1;
    case sdk::Role::staff:
      return 2;
    case sdk::Role::guardian:
      return 3;
    default:
      return 4;
  }
}

}  // namespace

sdk::Role role_of_uri(std::string_view uri) noexcept {
  if (uri.starts_with(kMembership)) return lookup(kContextRoles, uri.substr(kMembership.size()));
  if (uri.starts_with(kInstitution)) {
    return lookup(kInstitutionRoles, uri.substr(kInstitution.size()));
  }
  if (uri.starts_with(kMembershipSubRole)) {
    // membership/{Principal}#{SubRole}: the sub-role is a kind of its principal role.
    const std::string_view rest = uri.substr(kMembershipSubRole.size());
    const auto hash = rest.find('#');
    if (hash == std::string_view::npos || hash + 1 == rest.size()) return sdk::Role::unknown;
    return lookup(kContextRoles, rest.substr(0, hash));
  }
  if (uri.find(':') == std::string_view::npos) return lookup(kContextRoles, uri);
  return sdk::Role::unknown;
}

sdk::Role role_of(const std::vector<std::string>& uris) noexcept {
  sdk::Role chosen = sdk::Role::unknown;
  for (const std::string& uri : uris) {
    const sdk::Role role = role_of_uri(uri);
    if (rank(role) < rank(chosen)) chosen = role;
  }
  return chosen;
}

}  // namespace lmsgw::plugins::lti13
