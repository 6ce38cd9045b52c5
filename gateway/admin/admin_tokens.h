// Admin API tokens (docs/admin-api.md, "Tokens"). A token is 32 random bytes shown once when it
// is created; the database keeps only its SHA-256, so a copy of the database opens nothing.
// A presented token is hashed and looked up by that hash: no stored secret is compared byte by
// byte, so the time taken tells nothing about how close a guess came.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/admin_principal.h"
#include "common/crypto.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::admin {

using TimePoint = std::chrono::system_clock::time_point;

// What is kept of a token; never the token itself.
struct AdminToken {
  // "adm_" and 16 characters: not secret, it names the token in lists and audit actors.
  std::string id;
  AdminRole role = AdminRole::district_admin;
  std::optional<std::string> district_id;  // district admins only
  // The operator's note of what the token is for (printable ASCII, at most kMaxLabelBytes).
  std::string label;
  TimePoint created_at{};
  std::optional<TimePoint> last_used_at;
  std::optional<TimePoint> revoked_at;

  friend bool operator==(const AdminToken&, const AdminToken&) = default;
};

// Safe to call from several threads.
class AdminTokenStore {
 public:
  virtual ~AdminTokenStore() = default;

  virtual sdk::Result<void> insert(const AdminToken& token, const crypto::Digest& token_hash) = 0;
  // The token stored under `token_hash`, revoked or not.
  virtual sdk::Result<std::optional<AdminToken>> find_by_hash(const crypto::Digest& token_hash) = 0;
  // Oldest first.
  virtual sdk::Result<std::vector<AdminToken>> list() = 0;
  // False when there is no such token or it was already revoked.
  virtual sdk::Result<bool> revoke(std::string_view id, TimePoint now) = 0;
  virtual sdk::Result<void> mark_used(std::string_view id, TimePoint now) = 0;
};

// Its own connection to the database open_sqlite_store() migrated (refused otherwise).
sdk::Result<std::unique_ptr<AdminTokenStore>> open_sqlite_admin_token_store(
    const std::string& path);

struct NewAdminToken {
  AdminToken token;
  // The bearer token: shown to the operator once, stored nowhere.
  std::string secret;
};

class AdminTokens {
 public:
  static constexpr std::size_t kMaxLabelBytes = 100;
  // How stale "last used" may get: a busy token is not written on every request.
  static constexpr std::chrono::seconds kLastUsedResolution{60};

  AdminTokens(AdminTokenStore& store, const sdk::Clock& clock);

  // An operator token (no district) or a district admin token (its district). invalid_request
  // for a label that is too long or not printable ASCII, or a district admin without district.
  sdk::Result<NewAdminToken> create(AdminRole role, std::optional<std::string> district_id,
                                    std::string label);
  // The principal of a valid token; nullopt for an unknown or revoked one (revocation takes
  // effect on the next request, in every process: nothing is cached).
  sdk::Result<std::optional<AdminPrincipal>> authenticate(std::string_view presented);
  sdk::Result<std::vector<AdminToken>> list();
  // False when there is no such token or it was already revoked.
  sdk::Result<bool> revoke(std::string_view id);

 private:
  AdminTokenStore& store_;
  const sdk::Clock& clock_;
};

}  // namespace lmsgw::admin
