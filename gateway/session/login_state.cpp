#include "session/login_state.h"

#include <cstring>

#include "common/time.h"

namespace lmsgw::session {
namespace {

constexpr char kFormatVersion = 1;
constexpr std::string_view kKeyLabel = "lmsgw.login-state.v1";
constexpr std::size_t kCookieTagLength = 12;

void put_field(std::string& out, std::string_view field) {
  out += static_cast<char>(field.size() >> 8);
  out += static_cast<char>(field.size() & 0xFF);
  out += field;
}

bool take_field(std::string_view& in, std::string& field) {
  if (in.size() < 2) return false;
  const std::size_t length = (static_cast<std::size_t>(static_cast<unsigned char>(in[0])) << 8) |
                             static_cast<unsigned char>(in[1]);
  if (in.size() < 2 + length) return false;
  field.assign(in.substr(2, length));
  in.remove_prefix(2 + length);
  return true;
}

}  // namespace

LoginStateSealer::LoginStateSealer(std::string_view key_material) {
  // A derived key, so the configured secret is never used directly as a cipher key and could
  // serve another purpose under another label.
  const crypto::Digest derived = crypto::hmac_sha256(key_material, kKeyLabel);
  key_.assign(crypto::as_view(derived));
}

std::string LoginStateSealer::cookie_name(std::string_view prefix, std::string_view state) {
  return std::string(prefix) + "_" +
         crypto::base64url_encode(crypto::sha256(state)).substr(0, kCookieTagLength);
}

std::string LoginStateSealer::seal(std::string_view state, const LoginState& login) const {
  std::string plain(1, kFormatVersion);
  put_field(plain, login.connection_id);
  put_field(plain, login.nonce);
  put_field(plain, login.code_verifier);
  put_field(plain, login.flow_data);
  put_field(plain, login.return_url);
  put_field(plain, std::to_string(time::to_unix_seconds(login.expires_at)));
  return crypto::base64url_encode(crypto::aead_seal(key_, plain, state));
}

std::optional<LoginState> LoginStateSealer::open(std::string_view state,
                                                 std::string_view cookie_value) const {
  auto sealed = crypto::base64url_decode(cookie_value);
  if (!sealed) return std::nullopt;
  auto plain = crypto::aead_open(key_, *sealed, state);
  if (!plain || plain->empty() || (*plain)[0] != kFormatVersion) return std::nullopt;
  std::string_view in(*plain);
  in.remove_prefix(1);
  LoginState login;
  std::string expires;
  if (!take_field(in, login.connection_id) || !take_field(in, login.nonce) ||
      !take_field(in, login.code_verifier) || !take_field(in, login.flow_data) ||
      !take_field(in, login.return_url) || !take_field(in, expires) || !in.empty()) {
    return std::nullopt;
  }
  try {
    login.expires_at = time::from_unix_seconds(std::stoll(expires));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return login;
}

std::size_t UsedLoginStates::DigestHash::operator()(const crypto::Digest& digest) const noexcept {
  std::size_t value = 0;
  std::memcpy(&value, digest.data(), sizeof value);
  return value;
}

UsedLoginStates::UsedLoginStates(std::size_t capacity) : capacity_(capacity) {}

bool UsedLoginStates::mark_used(std::string_view state, TimePoint expires_at, TimePoint now) {
  const crypto::Digest key = crypto::sha256(state);
  std::lock_guard lock(mutex_);
  while (!by_expiry_.empty() && (by_expiry_.front().first <= now || used_.size() >= capacity_)) {
    used_.erase(by_expiry_.front().second);
    by_expiry_.pop_front();
  }
  if (!used_.insert(key).second) return false;
  by_expiry_.emplace_back(expires_at, key);
  return true;
}

std::size_t UsedLoginStates::size() const {
  std::lock_guard lock(mutex_);
  return used_.size();
}

}  // namespace lmsgw::session
