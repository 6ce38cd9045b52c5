// Helpers of the conformance targets: a connection's `config:` mapping with list values (the
// SDK's config_from builds flat ones only), and compact JWS strings for scripted id_tokens.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "lmsgw/sdk/config_node.h"
#include "lmsgw/sdk/encoding.h"

namespace lmsgw::testing {

using ConfigValue = std::variant<std::string, std::vector<std::string>>;

inline sdk::ConfigNode config_tree(std::vector<std::pair<std::string, ConfigValue>> entries,
                                   std::string path = "connections.conformance.config") {
  sdk::ConfigNode::Entries nodes;
  int line = 1;
  for (auto& [key, value] : entries) {
    const std::string child = path + "." + key;
    const sdk::ConfigNode::Location where{"gateway.yaml", ++line};
    if (const auto* text = std::get_if<std::string>(&value)) {
      nodes.emplace_back(key, sdk::ConfigNode::scalar(child, where, *text));
    } else {
      std::vector<sdk::ConfigNode> items;
      for (const std::string& item : std::get<std::vector<std::string>>(value)) {
        items.push_back(sdk::ConfigNode::scalar(child, where, item));
      }
      nodes.emplace_back(key, sdk::ConfigNode::sequence(child, where, std::move(items)));
    }
  }
  return sdk::ConfigNode::mapping(std::move(path), {"gateway.yaml", 1}, std::move(nodes));
}

// A compact JWS carrying `claims`. Its signature means nothing: the suite's token verifier is
// scripted, and only the shape of what a plugin hands it counts.
inline std::string compact_jws(const std::string& claims) {
  return sdk::base64url_encode(R"({"alg":"RS256","kid":"k1"})") + "." +
         sdk::base64url_encode(claims) + "." + sdk::base64url_encode("not a real signature");
}

}  // namespace lmsgw::testing
