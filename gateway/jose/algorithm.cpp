#include "jose/algorithm.h"

#include <array>
#include <cctype>

namespace lmsgw::jose {

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view to_string(Algorithm algorithm) noexcept {
  switch (algorithm) {
    case Algorithm::es256:
      return "ES256";
    case Algorithm::eddsa:
      return "EdDSA";
    case Algorithm::rs256:
      return "RS256";
  }
  return "unknown";
}

std::optional<Algorithm> algorithm_from_string(std::string_view name) noexcept {
  if (name == "ES256") return Algorithm::es256;
  if (name == "EdDSA") return Algorithm::eddsa;
  if (name == "RS256") return Algorithm::rs256;
  return std::nullopt;
}

std::string_view refusal_reason(std::string_view name) noexcept {
  if (equals_ignoring_case(name, "none")) return "alg none (an unsigned token) is never accepted";
  if (name.size() >= 2 && equals_ignoring_case(name.substr(0, 2), "HS")) {
    return "HMAC algorithms are never accepted";
  }
  // The other names of the IANA JOSE registry: named in the detail since they are not secret.
  struct Known {
    std::string_view name;
    std::string_view reason;
  };
  static constexpr std::array<Known, 10> kUnsupported = {{
      {"RS384", "alg RS384 is not supported"},
      {"RS512", "alg RS512 is not supported"},
      {"ES384", "alg ES384 is not supported"},
      {"ES512", "alg ES512 is not supported"},
      {"ES256K", "alg ES256K is not supported"},
      {"PS256", "alg PS256 is not supported"},
      {"PS384", "alg PS384 is not supported"},
      {"PS512", "alg PS512 is not supported"},
      {"Ed25519", "alg Ed25519 is not supported (EdDSA is)"},
      {"Ed448", "alg Ed448 is not supported"},
  }};
  for (const Known& known : kUnsupported) {
    if (name == known.name) return known.reason;
  }
  return "alg is not a supported algorithm";
}

}  // namespace lmsgw::jose
