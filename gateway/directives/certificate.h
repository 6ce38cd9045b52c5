// Disposal certificates (PRIVACY.md D): when a disposal job completes, a JSON document saying
// which directive, which district, which categories, how many rows of each kind, when and by
// which gateway instance, signed as a compact JWS with the gateway's token signing key (the key
// /.well-known/jwks.json publishes), so a district verifies it with the gateway's JWKS. It names
// no person and no account.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "jose/algorithm.h"
#include "jose/key_set.h"
#include "lmsgw/sdk/result.h"
#include "session/access_tokens.h"
#include "store/directive_store.h"

namespace lmsgw::directives {

// The JWS header's typ: what the signature vouches for, so no token of the gateway can be
// passed off as a certificate or the other way round.
inline constexpr std::string_view kCertificateType = "lmsgw-disposal-certificate+jws";

// The algorithms a certificate may be signed with (those the gateway's keys use).
inline constexpr jose::Algorithm kCertificateAlgorithms[] = {jose::Algorithm::es256,
                                                             jose::Algorithm::eddsa};

class CertificateSigner {
 public:
  virtual ~CertificateSigner() = default;
  // A compact JWS of `payload` with typ kCertificateType.
  virtual sdk::Result<std::string> sign(std::string_view payload) = 0;
};

// Signs with the current signer of the gateway's key ring.
class KeyRingSigner final : public CertificateSigner {
 public:
  explicit KeyRingSigner(session::KeyRing& keys) : keys_(keys) {}
  sdk::Result<std::string> sign(std::string_view payload) override;

 private:
  session::KeyRing& keys_;
};

// The certificate document of a completed job: certificate_id, scope ("district", or
// "platform" for accounts of no district), district (null for the platform scope), directive
// ({"id", "version"} or "default"), rule, categories, counts, held_accounts, job, started_at,
// finished_at, gateway_instance, issued_at (times RFC 3339 UTC).
boost::json::object certificate_document(const store::DisposalJob& job,
                                         std::string_view certificate_id,
                                         std::string_view instance,
                                         std::chrono::system_clock::time_point issued_at);

struct VerifiedCertificate {
  boost::json::object document;
  std::string kid;
  jose::Algorithm algorithm = jose::Algorithm::es256;
};

// Checks the JWS against `keys` (kid, algorithm allowlist, signature), its typ, and that the
// payload is a certificate document. token_invalid with a detail naming the failed check.
sdk::Result<VerifiedCertificate> verify_certificate(std::string_view compact,
                                                    const jose::KeySet& keys);

}  // namespace lmsgw::directives
