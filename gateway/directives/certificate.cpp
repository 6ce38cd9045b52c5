#include "directives/certificate.h"

#include <boost/json.hpp>

#include "common/time.h"
#include "jose/jws.h"

namespace lmsgw::directives {

sdk::Result<std::string> KeyRingSigner::sign(std::string_view payload) {
  const auto snapshot = keys_.snapshot();
  return jose::sign(snapshot->signer, payload, jose::HeaderExtras{std::string(kCertificateType)});
}

boost::json::object certificate_document(const store::DisposalJob& job,
                                         std::string_view certificate_id,
                                         std::string_view instance,
                                         std::chrono::system_clock::time_point issued_at) {
  boost::json::object out;
  out["certificate_id"] = certificate_id;
  // The platform scope (accounts of no district, the platform's inactivity policy) has no
  // district; the member is still there, null, so every certificate has the same members.
  if (job.scope.district_id.empty()) {
    out["scope"] = "platform";
    out["district"] = nullptr;
  } else {
    out["scope"] = "district";
    out["district"] = job.scope.district_id;
  }
  if (job.scope.directive_version) {
    boost::json::object directive;
    directive["id"] = "directive:" + job.scope.district_id + ":v" +
                      std::to_string(*job.scope.directive_version);
    directive["version"] = *job.scope.directive_version;
    out["directive"] = std::move(directive);
  } else {
    out["directive"] = "default";
  }
  out["rule"] = to_string(job.scope.rule);
  if (job.scope.partial_entry) out["partial_entry"] = *job.scope.partial_entry;
  boost::json::array categories;
  for (const auto category : job.scope.categories) categories.emplace_back(to_string(category));
  out["categories"] = std::move(categories);
  boost::json::object counts;
  for (const auto& [kind, count] : job.counts) counts[kind] = count;
  out["counts"] = std::move(counts);
  out["held_accounts"] = job.held_accounts;
  out["job"] = job.id;
  out["started_at"] = time::to_rfc3339_utc(job.started_at);
  out["finished_at"] = time::to_rfc3339_utc(job.finished_at.value_or(issued_at));
  out["gateway_instance"] = instance;
  out["issued_at"] = time::to_rfc3339_utc(issued_at);
  return out;
}

sdk::Result<VerifiedCertificate> verify_certificate(std::string_view compact,
                                                    const jose::KeySet& keys) {
  auto verified = jose::verify(compact, keys, kCertificateAlgorithms);
  if (!verified) return verified.error();
  const auto* typ = verified->header.if_contains("typ");
  if (typ == nullptr || !typ->is_string() || typ->as_string() != kCertificateType) {
    return sdk::Error{sdk::ErrorCode::token_invalid,
                      "certificate: header typ is not " + std::string(kCertificateType)};
  }
  boost::system::error_code ec;
  boost::json::value payload = boost::json::parse(verified->payload, ec);
  if (ec || !payload.is_object()) {
    return sdk::Error{sdk::ErrorCode::token_invalid, "certificate: payload is not a JSON object"};
  }
  for (const std::string_view member : {"certificate_id", "district", "rule", "counts"}) {
    if (!payload.as_object().contains(member)) {
      return sdk::Error{sdk::ErrorCode::token_invalid,
                        "certificate: payload has no " + std::string(member)};
    }
  }
  return VerifiedCertificate{std::move(payload.as_object()), verified->kid, verified->algorithm};
}

}  // namespace lmsgw::directives
