#include "admin/admin_principal.h"

#include <utility>

namespace lmsgw::admin {

std::string_view to_string(AdminRole role) noexcept {
  switch (role) {
    case AdminRole::operator_:
      return "operator";
    case AdminRole::district_admin:
      return "district_admin";
  }
  return "unknown";
}

AdminPrincipal AdminPrincipal::operator_token(std::string token_id) {
  return AdminPrincipal(std::move(token_id), AdminRole::operator_, std::nullopt);
}

AdminPrincipal AdminPrincipal::district_admin_token(std::string token_id, std::string district_id) {
  return AdminPrincipal(std::move(token_id), AdminRole::district_admin, std::move(district_id));
}

std::string AdminPrincipal::actor() const {
  return (is_operator() ? "operator:" : "district-admin:") + token_id_;
}

bool AdminPrincipal::may_access(std::string_view district_id) const noexcept {
  return is_operator() || (district_ && *district_ == district_id);
}

}  // namespace lmsgw::admin
