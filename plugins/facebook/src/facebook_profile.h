// Graph API answers -> what the sign-in needs: the `/me` object as an sdk::ExternalIdentity,
// and the bounded, value-free summary of a Graph error object for logs and error details.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "lmsgw/sdk/identity.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::plugins::facebook {

// Upper bounds on what we accept from Graph (a /me answer with our two or three fields is
// well under 1 KiB).
inline constexpr std::size_t kMaxNameBytes = 256;
inline constexpr std::size_t kMaxEmailBytes = 320;
inline constexpr std::size_t kMaxExtraFields = 64;

// `me` is the JSON object of GET /{version}/me. The role is the connection's (Facebook says
// nothing about it). Everything Graph returned is reported; typed claims where the SDK has
// them, the rest flattened into `extra`: the core minimizer decides what to keep.
sdk::Result<sdk::ExternalIdentity> identity_from_me(const boost::json::object& me, sdk::Role role);

// App-scoped user ids are decimal digits (Graph sends them as strings).
bool is_app_scoped_id(std::string_view id) noexcept;

// " (Graph error code 190, subcode 463)" from a Graph error body, or "" when the body is not
// one. Only the numbers: a Graph `message` may quote what we sent.
std::string graph_error_summary(std::string_view body);

}  // namespace lmsgw::plugins::facebook
