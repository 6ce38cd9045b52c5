#include "jose/key_set.h"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <utility>

#include "jose/detail.h"

namespace lmsgw::jose {

sdk::Result<void> KeySet::add(PublicKey key) noexcept {
  return sdk::guarded([&]() -> sdk::Result<void> {
    if (find(key.kid()) != nullptr) return detail::key_error("a key with this kid is already set");
    keys_.push_back(std::move(key));
    return {};
  });
}

const PublicKey* KeySet::find(std::string_view kid) const noexcept {
  for (const PublicKey& key : keys_) {
    if (key.kid() == kid) return &key;
  }
  return nullptr;
}

boost::json::object KeySet::to_jwks() const {
  boost::json::array keys;
  keys.reserve(keys_.size());
  for (const PublicKey& key : keys_) keys.emplace_back(key.to_jwk());
  boost::json::object jwks;
  jwks["keys"] = std::move(keys);
  return jwks;
}

sdk::Result<LoadedKeySet> KeySet::from_jwks(const boost::json::value& jwks) noexcept {
  return sdk::guarded([&]() -> sdk::Result<LoadedKeySet> {
    const boost::json::object* document = jwks.if_object();
    if (document == nullptr) return detail::key_error("JWKS is not a JSON object");
    const boost::json::value* keys = document->if_contains("keys");
    if (keys == nullptr || !keys->is_array()) return detail::key_error("JWKS has no keys array");
    if (keys->get_array().size() > kMaxJwksKeys) {
      return sdk::Error{sdk::ErrorCode::limit_exceeded, "JWKS holds more than 100 keys"};
    }
    LoadedKeySet loaded;
    std::size_t index = 0;
    for (const boost::json::value& entry : keys->get_array()) {
      const std::string where = "key " + std::to_string(index++) + ": ";
      if (!entry.is_object()) {
        loaded.skipped.push_back(where + "not a JSON object");
        continue;
      }
      auto key = PublicKey::from_jwk(entry.get_object());
      if (!key) {
        loaded.skipped.push_back(where + key.error().detail);
        continue;
      }
      if (auto added = loaded.keys.add(std::move(*key)); !added) {
        loaded.skipped.push_back(where + added.error().detail);
      }
    }
    return loaded;
  });
}

sdk::Result<LoadedKeySet> KeySet::from_jwks_text(std::string_view json) noexcept {
  return sdk::guarded([&]() -> sdk::Result<LoadedKeySet> {
    boost::system::error_code ec;
    const boost::json::value document = boost::json::parse(json, ec);
    if (ec) return detail::key_error("JWKS is not valid JSON");
    return from_jwks(document);
  });
}

}  // namespace lmsgw::jose
