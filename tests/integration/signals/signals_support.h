// What both providers' signal tests read back from the gateway.
#pragma once

#include <string>
#include <string_view>

#include "tests/support/gateway_process.h"

namespace lmsgw::testing {

// How many audit events of `action` the gateway recorded.
inline int audited(const GatewayProcess& gateway, std::string_view action) {
  return std::stoi(
      gateway
          .query("SELECT count(*) FROM audit_events WHERE action = '" + std::string(action) + "'")
          .value_or("-1"));
}

}  // namespace lmsgw::testing
