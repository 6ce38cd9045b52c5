#include "admin/admin_tokens.h"

#include <utility>

namespace lmsgw::admin {
namespace {

// Recognisable in a leaked config or log, so secret scanners can flag it.
constexpr std::string_view kTokenPrefix = "lmsgw_adm_";
constexpr std::size_t kTokenBytes = 32;
// Anything longer is no token of ours; refused before it is hashed.
constexpr std::size_t kMaxPresentedBytes = 256;

sdk::Error invalid(std::string detail) {
  return sdk::Error{sdk::ErrorCode::invalid_request, std::move(detail)};
}

bool printable(std::string_view text) {
  for (const char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

AdminTokens::AdminTokens(AdminTokenStore& store, const sdk::Clock& clock)
    : store_(store), clock_(clock) {}

sdk::Result<NewAdminToken> AdminTokens::create(AdminRole role,
                                               std::optional<std::string> district_id,
                                               std::string label) {
  if (role == AdminRole::district_admin && (!district_id || district_id->empty())) {
    return invalid("a district admin token needs its district");
  }
  if (role == AdminRole::operator_ && district_id) {
    return invalid("an operator token has no district");
  }
  if (label.size() > kMaxLabelBytes) return invalid("the label is longer than 100 bytes");
  if (!printable(label)) return invalid("the label must be printable ASCII");

  NewAdminToken created;
  created.token.id = "adm_" + crypto::random_token(12);
  created.token.role = role;
  created.token.district_id = std::move(district_id);
  created.token.label = std::move(label);
  created.token.created_at = std::chrono::floor<std::chrono::seconds>(clock_.now());
  created.secret = std::string(kTokenPrefix) + crypto::random_token(kTokenBytes);
  if (auto inserted = store_.insert(created.token, crypto::sha256(created.secret)); !inserted) {
    return inserted.error();
  }
  return created;
}

sdk::Result<std::optional<AdminPrincipal>> AdminTokens::authenticate(std::string_view presented) {
  if (presented.empty() || presented.size() > kMaxPresentedBytes) {
    return std::optional<AdminPrincipal>();
  }
  auto found = store_.find_by_hash(crypto::sha256(presented));
  if (!found) return found.error();
  if (!*found || (*found)->revoked_at) return std::optional<AdminPrincipal>();
  const AdminToken& token = **found;
  const TimePoint now = clock_.now();
  if (!token.last_used_at || now - *token.last_used_at >= kLastUsedResolution) {
    if (auto marked = store_.mark_used(token.id, now); !marked) return marked.error();
  }
  if (token.role == AdminRole::operator_) {
    return std::optional<AdminPrincipal>(AdminPrincipal::operator_token(token.id));
  }
  if (!token.district_id) return std::optional<AdminPrincipal>();
  return std::optional<AdminPrincipal>(
      AdminPrincipal::district_admin_token(token.id, *token.district_id));
}

sdk::Result<std::vector<AdminToken>> AdminTokens::list() { return store_.list(); }

sdk::Result<bool> AdminTokens::revoke(std::string_view id) {
  return store_.revoke(id, clock_.now());
}

}  // namespace lmsgw::admin
