// What the jose suites share: the RFCs' private JWKs turned into signing keys, tokens with a
// hand-made header, and small encoders.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "jose/keys.h"

namespace lmsgw::jose::test {

boost::json::object parse_object(std::string_view json);

// A private JWK (EC P-256, OKP Ed25519 or RSA with its CRT members) as an unencrypted PEM
// private key, built with OpenSSL directly. The module itself never reads private JWKs.
std::string private_jwk_to_pem(const boost::json::object& jwk);

// SigningKey::generate(), throwing (so failing the test) when it fails.
SigningKey generated(Algorithm algorithm, std::string_view kid);

// SigningKey::from_pem(private_jwk_to_pem(jwk), kid), failing the test if it does not load.
SigningKey signing_key_from_jwk(std::string_view jwk_json, std::string_view kid);

// The public half of the JWK as a PublicKey, failing the test if it does not load.
PublicKey public_key_from_jwk(std::string_view jwk_json);

// A compact JWS with exactly `header_json` as its protected header, signed by `key`.
std::string sign_with_header(const SigningKey& key, std::string_view header_json,
                             std::string_view payload);

// PEM keys made with OpenSSL directly, for the key-type rules of the PEM loaders.
std::string p384_private_pem();
std::string rsa_private_pem(int bits);
std::string x25519_private_pem();
std::string encrypted_private_pem(const std::string& private_pem, const std::string& password);
std::string public_pem_of(const std::string& private_pem);

std::string b64(std::string_view bytes);
std::string unb64(std::string_view text);

}  // namespace lmsgw::jose::test
