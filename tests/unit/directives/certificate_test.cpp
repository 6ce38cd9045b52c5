#include "directives/certificate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/unit/directives/directives_fixture.h"

namespace lmsgw::directives {
namespace {

using ::testing::HasSubstr;
using testing::kStart;
using testing::TestSigner;

store::DisposalJob completed_job() {
  store::DisposalJob job;
  job.id = 7;
  job.scope.district_id = "d1";
  job.scope.rule = store::DisposalRule::after_revocation;
  job.scope.categories = {store::DisposalCategory::accounts, store::DisposalCategory::sections};
  job.started_at = kStart;
  job.finished_at = kStart + std::chrono::seconds(4);
  job.counts = store::empty_disposal_counts();
  job.counts[0].second = 100;
  job.held_accounts = 2;
  return job;
}

std::string base64url(std::string_view text) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < text.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(text[i]) << 16) |
                       (static_cast<unsigned char>(text[i + 1]) << 8) |
                       static_cast<unsigned char>(text[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == text.size()) {
    const unsigned v = static_cast<unsigned char>(text[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (i + 2 == text.size()) {
    const unsigned v = (static_cast<unsigned char>(text[i]) << 16) |
                       (static_cast<unsigned char>(text[i + 1]) << 8);
    for (int s = 18; s >= 6; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  return out;
}

TEST(CertificateTest, DocumentCarriesTheJobAndDefaultDirective) {
  const auto doc = certificate_document(completed_job(), "cert_x", "gw-1", kStart);
  EXPECT_EQ(doc.at("scope").as_string(), "district");
  EXPECT_EQ(doc.at("district").as_string(), "d1");
  EXPECT_EQ(doc.at("directive").as_string(), "default");
  EXPECT_EQ(doc.at("rule").as_string(), "after_revocation");
  EXPECT_EQ(boost::json::serialize(doc.at("categories")), R"(["accounts","sections"])");
  EXPECT_EQ(doc.at("counts").at("accounts").as_int64(), 100);
  EXPECT_EQ(doc.at("held_accounts").as_int64(), 2);
  EXPECT_EQ(doc.at("finished_at").as_string(), "2026-03-10T12:00:04Z");
  EXPECT_EQ(doc.at("job").as_int64(), 7);
}

TEST(CertificateTest, VerifiesAndRejectsTamperingOtherKeysAndOtherTypes) {
  TestSigner signer;
  const std::string payload =
      boost::json::serialize(certificate_document(completed_job(), "cert_x", "gw-1", kStart));
  auto jws = signer.sign(payload);
  ASSERT_TRUE(jws.ok());
  auto verified = verify_certificate(*jws, signer.keys());
  ASSERT_TRUE(verified.ok()) << verified.error().detail;
  EXPECT_EQ(verified->kid, "test-key");

  // One count changed: the signature no longer holds.
  std::string tampered_payload = payload;
  tampered_payload.replace(tampered_payload.find("100"), 3, "999");
  const auto dot = jws->find('.');
  const auto last = jws->rfind('.');
  const std::string tampered =
      jws->substr(0, dot + 1) + base64url(tampered_payload) + jws->substr(last);
  auto refused = verify_certificate(tampered, signer.keys());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, sdk::ErrorCode::token_invalid);

  TestSigner other;
  EXPECT_FALSE(verify_certificate(*jws, other.keys()).ok());

  // The same key's signature over a token-typed document is not a certificate.
  auto key = jose::SigningKey::generate(jose::Algorithm::es256, "k2");
  ASSERT_TRUE(key.ok());
  jose::KeySet keys;
  ASSERT_TRUE(keys.add(key->public_key()).ok());
  auto token = jose::sign(*key, payload, jose::HeaderExtras{"at+jwt"});
  ASSERT_TRUE(token.ok());
  auto wrong_type = verify_certificate(*token, keys);
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_THAT(wrong_type.error().detail, HasSubstr("typ"));
  auto not_certificate = jose::sign(*key, R"({"sub":"x"})",
                                    jose::HeaderExtras{std::string(kCertificateType)});
  ASSERT_TRUE(not_certificate.ok());
  EXPECT_FALSE(verify_certificate(*not_certificate, keys).ok());
}

}  // namespace
}  // namespace lmsgw::directives
