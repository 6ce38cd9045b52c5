// The LTI claims of a verified launch id_token (LTI Core 1.3 section 5, PROTOCOLS.md 4.4),
// checked and reported as an ExternalIdentity.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "lmsgw/sdk/identity.h"
#include "lmsgw/sdk/result.h"
#include "lti_config.h"

namespace lmsgw::plugins::lti13 {

inline constexpr std::string_view kClaimPrefix = "https://purl.imsglobal.org/spec/lti/claim/";
inline constexpr std::string_view kResourceLinkRequest = "LtiResourceLinkRequest";
inline constexpr std::string_view kLtiVersion = "1.3.0";

// What the login initiation asked for, to be matched by the launch.
struct LaunchExpectations {
  // lti_deployment_id of the login initiation; empty when it carried none.
  std::string deployment_id;
  // target_link_uri of the login initiation, where the core will send the browser.
  std::string target_link_uri;
};

// Checks, in this order: azp (must equal the client id when present, and be present when aud
// names several audiences), message_type (only LtiResourceLinkRequest: deep linking, where an
// instructor picks content for a course, is not a sign-in and is refused as not_permitted),
// version 1.3.0, deployment_id (registered, and the one the login named), target_link_uri (the
// one the login named), resource_link.id, roles (present, an array of strings), sub (an
// anonymous launch cannot hold an account). The signature, iss, aud, exp, iat and nonce were
// checked by the token verifier before.
//
// Reports sub as the subject, the role (role_of), context.id as the one provider section, the
// OpenID profile claims in their typed fields and every other claim flattened into `extra`. No
// provider district: the connection's district is fixed in the core's configuration.
//
// Errors: token_invalid for a claim that breaks the spec, not_permitted for a deployment that
// is not registered here or a message type not offered.
sdk::Result<sdk::ExternalIdentity> identity_from_launch(const boost::json::object& claims,
                                                        const LtiConfig& config,
                                                        const LaunchExpectations& expected);

}  // namespace lmsgw::plugins::lti13
