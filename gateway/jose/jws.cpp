#include "jose/jws.h"

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <utility>

#include "jose/detail.h"
#include "lmsgw/sdk/encoding.h"

namespace lmsgw::jose {

namespace {

// The three parts of a compact JWS, still encoded.
struct CompactParts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signing_input;  // header.payload, what the signature covers
};

sdk::Result<CompactParts> split(std::string_view compact) {
  const std::size_t first = compact.find('.');
  const std::size_t second = first == std::string_view::npos ? first : compact.find('.', first + 1);
  if (second == std::string_view::npos) return detail::token_error("fewer than three parts");
  if (compact.find('.', second + 1) != std::string_view::npos) {
    return detail::token_error("more than three parts");
  }
  CompactParts parts{compact.substr(0, first), compact.substr(first + 1, second - first - 1),
                     compact.substr(second + 1), compact.substr(0, second)};
  if (parts.header.empty() || parts.payload.empty() || parts.signature.empty()) {
    return detail::token_error("empty part");
  }
  return parts;
}

sdk::Result<boost::json::object> parse_header(std::string_view encoded) {
  auto text = detail::decode_base64url(encoded);
  if (!text) return detail::token_error("header is not canonical base64url");
  boost::system::error_code ec;
  boost::json::value header = boost::json::parse(*text, ec);
  if (ec || !header.is_object()) return detail::token_error("header is not a JSON object");
  return std::move(header.get_object());
}

sdk::Result<Algorithm> header_algorithm(const boost::json::object& header,
                                        std::span<const Algorithm> allowed) {
  const boost::json::value* alg = header.if_contains("alg");
  if (alg == nullptr) return detail::token_error("header has no alg");
  if (!alg->is_string()) return detail::token_error("header alg is not a string");
  const std::string_view name = alg->get_string();
  const auto algorithm = algorithm_from_string(name);
  if (!algorithm) return detail::token_error(std::string(refusal_reason(name)));
  if (std::find(allowed.begin(), allowed.end(), *algorithm) == allowed.end()) {
    return detail::token_error("alg " + std::string(to_string(*algorithm)) +
                               " is not allowed here");
  }
  return *algorithm;
}

sdk::Result<const PublicKey*> header_key(const boost::json::object& header, const KeySet& keys) {
  const boost::json::value* kid = header.if_contains("kid");
  if (kid != nullptr) {
    if (!kid->is_string()) return detail::token_error("header kid is not a string");
    const PublicKey* key = keys.find(kid->get_string());
    if (key == nullptr) return detail::token_error("kid unknown");
    return key;
  }
  if (keys.size() == 1) return &keys.keys().front();
  if (keys.empty()) return detail::token_error("no verification key");
  return detail::token_error("header has no kid and the key set holds several keys");
}

}  // namespace

sdk::Result<std::string> sign(const SigningKey& key, std::string_view payload,
                              const HeaderExtras& extras) noexcept {
  return sdk::guarded([&]() -> sdk::Result<std::string> {
    if (payload.empty()) return sdk::Error{sdk::ErrorCode::invalid_request, "empty payload"};
    boost::json::object header;
    header["alg"] = to_string(key.algorithm());
    if (!key.kid().empty()) header["kid"] = key.kid();
    if (!extras.typ.empty()) header["typ"] = extras.typ;
    std::string token = sdk::base64url_encode(boost::json::serialize(header));
    token += '.';
    token += sdk::base64url_encode(payload);
    // A token longer than our own verifier accepts is refused before it costs a signature.
    const std::size_t encoded_signature = (key.public_key().signature_size() * 4 + 2) / 3;
    if (token.size() + 1 + encoded_signature > kMaxCompactBytes) {
      return sdk::Error{sdk::ErrorCode::limit_exceeded, "token longer than 16 KiB"};
    }
    auto signature = key.signature(token);
    if (!signature) return signature.error();
    token += '.';
    token += sdk::base64url_encode(*signature);
    return token;
  });
}

sdk::Result<VerifiedJws> verify(std::string_view compact, const KeySet& keys,
                                std::span<const Algorithm> allowed) noexcept {
  return sdk::guarded([&]() -> sdk::Result<VerifiedJws> {
    if (compact.size() > kMaxCompactBytes) return detail::token_error("token longer than 16 KiB");
    auto parts = split(compact);
    if (!parts) return parts.error();
    // Checked on the whole text first, so that no part is decoded from a token with stray
    // characters (whitespace, padding, the '+' and '/' of plain base64).
    if (!detail::is_base64url_text(parts->header) || !detail::is_base64url_text(parts->payload) ||
        !detail::is_base64url_text(parts->signature)) {
      return detail::token_error("not base64url");
    }
    auto header = parse_header(parts->header);
    if (!header) return header.error();
    auto algorithm = header_algorithm(*header, allowed);
    if (!algorithm) return algorithm.error();
    if (header->contains("crit")) return detail::token_error("crit header is not supported");
    auto key = header_key(*header, keys);
    if (!key) return key.error();
    const PublicKey& public_key = **key;
    // The key decides the algorithm it is used with; the header only has to agree.
    if (public_key.algorithm() != *algorithm) {
      return detail::token_error("alg does not match the key's algorithm");
    }
    auto signature = detail::decode_base64url(parts->signature);
    if (!signature) return detail::token_error("signature is not canonical base64url");
    if (signature->size() != public_key.signature_size()) {
      return detail::token_error("signature has the wrong length");
    }
    if (!public_key.check_signature(parts->signing_input, *signature)) {
      return detail::token_error("signature invalid");
    }
    auto payload = detail::decode_base64url(parts->payload);
    if (!payload) return detail::token_error("payload is not canonical base64url");
    return VerifiedJws{std::move(*header), std::move(*payload), *algorithm, public_key.kid()};
  });
}

}  // namespace lmsgw::jose
