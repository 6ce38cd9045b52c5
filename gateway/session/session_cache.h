// The in-memory view of live sessions that /auth/check answers from: no database round trip
// and no lock on the hot path (common/digest_map.h). The store stays the source of truth; the
// cache is loaded from it at start and written through on every sign-in and logout.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "common/crypto.h"
#include "common/digest_map.h"
#include "http/message.h"
#include "identity/minimal_account.h"
#include "session/revocation.h"

namespace lmsgw::session {

// What the platform may learn about a signed-in person (PRIVACY.md E), and nothing else,
// with the forward-auth headers serialized once per session.
struct SessionView {
  std::string account_id;
  identity::AccountRole role = identity::AccountRole::student;
  std::optional<std::string> district_id;
  std::string display_name;
  // Students: the first day they count as 13 or older (never, when the age is unknown).
  std::optional<sdk::CivilDate> thirteen_plus_from;
  TimePoint created_at{};
  TimePoint expires_at{};
  RevocationCellPtr account_revocation;
  RevocationCellPtr district_revocation;  // null without a district
  // X-Account-Id ... X-Display-Name and Cache-Control, for each age band.
  std::optional<http::PreparedHeaders> under13_headers;
  std::optional<http::PreparedHeaders> thirteen_plus_headers;

  // Not expired and not revoked at `now`.
  bool live_at(TimePoint now) const noexcept;
  const http::PreparedHeaders& headers_for(identity::AgeBand band) const noexcept;
};

// Under 13 unless the role is adult or the date has come (PRIVACY.md A: unknown age counts
// as under 13 everywhere it matters).
identity::AgeBand age_band(const SessionView& view, sdk::CivilDate today) noexcept;

// Fills the prepared headers of `view` from its fields. Fails only for a value no header can
// carry (the minimizer never produces one).
sdk::Result<void> prepare_headers(SessionView& view);

class SessionCache {
 public:
  using ViewPtr = std::shared_ptr<const SessionView>;

  void put(const crypto::Digest& id_hash, ViewPtr view) { sessions_.put(id_hash, std::move(view)); }
  // The live session with this hash, or nullptr when unknown, expired or revoked. Lock-free.
  ViewPtr find(const crypto::Digest& id_hash, TimePoint now) const {
    ViewPtr view = sessions_.find(id_hash);
    return view != nullptr && view->live_at(now) ? view : nullptr;
  }
  bool erase(const crypto::Digest& id_hash) { return sessions_.erase(id_hash); }
  // Drops expired and revoked sessions; returns how many.
  std::size_t purge(TimePoint now) {
    return sessions_.erase_if([now](const SessionView& view) { return !view.live_at(now); });
  }
  std::size_t size() const noexcept { return sessions_.size(); }

 private:
  DigestMap<SessionView> sessions_;
};

}  // namespace lmsgw::session
