// Who is calling the admin API: the admin token that authenticated the request, with its scope.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace lmsgw::admin {

// An operator runs the gateway and may act on every district; a district admin acts on one
// district only and never sees another (docs/admin-api.md, "Scopes").
enum class AdminRole : std::uint8_t { operator_ = 1, district_admin = 2 };

std::string_view to_string(AdminRole role) noexcept;

class AdminPrincipal {
 public:
  static AdminPrincipal operator_token(std::string token_id);
  static AdminPrincipal district_admin_token(std::string token_id, std::string district_id);

  const std::string& token_id() const noexcept { return token_id_; }
  AdminRole role() const noexcept { return role_; }
  bool is_operator() const noexcept { return role_ == AdminRole::operator_; }
  // The district a district admin is scoped to; nullopt for an operator.
  const std::optional<std::string>& district() const noexcept { return district_; }

  // The audit actor: "operator:<token id>" or "district-admin:<token id>".
  std::string actor() const;
  // An operator may access every district, a district admin only its own.
  bool may_access(std::string_view district_id) const noexcept;

 private:
  AdminPrincipal(std::string token_id, AdminRole role, std::optional<std::string> district)
      : token_id_(std::move(token_id)), role_(role), district_(std::move(district)) {}

  std::string token_id_;
  AdminRole role_;
  std::optional<std::string> district_;
};

}  // namespace lmsgw::admin
