// Clever's v3.0 user record -> sdk::ExternalIdentity. Everything the record holds is
// reported (typed claims where the SDK has them, the rest flattened into `extra`); deciding
// what to keep is the core minimizer's job, not ours.
#pragma once

#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

#include "lmsgw/sdk/identity.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::plugins::clever {

// `user` is the `data` object of GET /v3.0/users/{id}.
sdk::Result<sdk::ExternalIdentity> identity_from_user(const boost::json::object& user);

// Clever's `dob` is "M/D/YYYY"; nullopt when it is anything else.
std::optional<sdk::CivilDate> parse_clever_dob(std::string_view text) noexcept;

// Clever ids are 24 hexadecimal characters; we accept a slightly wider, URL-safe set and
// refuse anything that could change the meaning of a URL path.
bool is_safe_id(std::string_view id) noexcept;

}  // namespace lmsgw::plugins::clever
