#include "risc.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lmsgw::plugins::google {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr std::int64_t kNow = 1'700'000'000;
constexpr seconds kMaxAge{86'400};
constexpr seconds kLeeway{30};

std::string token(std::string_view events, std::int64_t iat = kNow,
                  std::string_view jti = R"("756E69717565206964656E746966696572")") {
  return R"({"iss":"https://accounts.google.com/","aud":"client-1","iat":)" + std::to_string(iat) +
         (jti.empty() ? std::string() : R"(,"jti":)" + std::string(jti)) + R"(,"events":{)" +
         std::string(events) + "}}";
}

std::string event(std::string_view type, std::string_view sub = "7375626A656374",
                  std::string_view extra = "") {
  return "\"" + std::string(type) +
         R"(":{"subject":{"subject_type":"iss-sub","iss":"https://accounts.google.com/","sub":")" +
         std::string(sub) + "\"}" + std::string(extra) + "}";
}

sdk::Result<RiscEvents> read(const std::string& claims) {
  return read_security_events(claims, std::chrono::system_clock::time_point(seconds(kNow)), kMaxAge,
                              kLeeway);
}

sdk::SignalKind only_kind(const std::string& claims) {
  auto events = read(claims);
  EXPECT_TRUE(events.ok()) << events.error().detail;
  if (!events.ok() || events->signals.size() != 1) {
    ADD_FAILURE() << "expected one signal";
    return sdk::SignalKind::district_revoked;
  }
  EXPECT_EQ(events->signals[0].subject, "7375626A656374");
  return events->signals[0].kind;
}

TEST(RiscEventsTest, EachEventTypeHasItsKind) {
  EXPECT_EQ(only_kind(token(event(kSessionsRevokedEvent))), sdk::SignalKind::sessions_revoked);
  EXPECT_EQ(only_kind(token(event(kTokensRevokedEvent))), sdk::SignalKind::sessions_revoked);
  EXPECT_EQ(
      only_kind(token(event(kAccountDisabledEvent, "7375626A656374", R"(,"reason":"hijacking")"))),
      sdk::SignalKind::sessions_revoked);
  EXPECT_EQ(only_kind(token(
                event(kAccountDisabledEvent, "7375626A656374", R"(,"reason":"bulk-account")"))),
            sdk::SignalKind::account_disabled);
  EXPECT_EQ(only_kind(token(event(kAccountDisabledEvent))), sdk::SignalKind::account_disabled);
  EXPECT_EQ(only_kind(token(event(kAccountEnabledEvent))), sdk::SignalKind::account_enabled);
}

TEST(RiscEventsTest, DocumentedExampleIsAnAccountDisabledForHijacking) {
  // PROTOCOLS.md 2.3, Google's documented shape.
  auto events = read(
      R"({"iss":"https://accounts.google.com/","aud":"123456789-abcedfgh.apps.googleusercontent.com",)"
      R"("iat":1700000000,"jti":"756E69717565206964656E746966696572",)"
      R"("events":{"https://schemas.openid.net/secevent/risc/event-type/account-disabled":)"
      R"({"subject":{"subject_type":"iss-sub","iss":"https://accounts.google.com/",)"
      R"("sub":"7375626A656374"},"reason":"hijacking"}}})");
  ASSERT_TRUE(events.ok()) << events.error().detail;
  ASSERT_EQ(events->signals.size(), 1u);
  EXPECT_EQ(events->signals[0].kind, sdk::SignalKind::sessions_revoked);
  EXPECT_EQ(events->signals[0].signal_id,
            "756E69717565206964656E746966696572 " + std::string(kAccountDisabledEvent));
}

TEST(RiscEventsTest, VerificationAndUnknownEventsAreCountedNotApplied) {
  auto events = read(token(
      R"("https://schemas.openid.net/secevent/risc/event-type/verification":{"state":"abc"},)" +
      event("https://schemas.openid.net/secevent/risc/event-type/"
            "account-credential-change-required") +
      "," + event("https://schemas.example/new-event")));
  ASSERT_TRUE(events.ok()) << events.error().detail;
  EXPECT_TRUE(events->signals.empty());
  EXPECT_EQ(events->verifications, 1u);
  EXPECT_EQ(events->ignored, 2u);
}

TEST(RiscEventsTest, SeveralEventsGetDistinctIds) {
  auto events = read(token(event(kSessionsRevokedEvent) + "," + event(kAccountDisabledEvent)));
  ASSERT_TRUE(events.ok()) << events.error().detail;
  ASSERT_EQ(events->signals.size(), 2u);
  EXPECT_NE(events->signals[0].signal_id, events->signals[1].signal_id);
}

TEST(RiscEventsTest, IatBoundsTheTokensAge) {
  EXPECT_TRUE(read(token(event(kSessionsRevokedEvent), kNow - kMaxAge.count())).ok());
  auto old = read(token(event(kSessionsRevokedEvent), kNow - kMaxAge.count() - 1));
  ASSERT_FALSE(old.ok());
  EXPECT_THAT(old.error().detail, HasSubstr("too old"));
  EXPECT_TRUE(read(token(event(kSessionsRevokedEvent), kNow + kLeeway.count())).ok());
  auto ahead = read(token(event(kSessionsRevokedEvent), kNow + kLeeway.count() + 1));
  ASSERT_FALSE(ahead.ok());
  EXPECT_THAT(ahead.error().detail, HasSubstr("future"));
}

TEST(RiscEventsTest, MalformedTokensAreRefused) {
  const std::string good = event(kSessionsRevokedEvent);
  for (const std::string& claims :
       {std::string("[]"), token(good, kNow, ""), token(good, kNow, "\"\""), token(good, kNow, "7"),
        std::string(R"({"jti":"x","events":{)") + good + "}}", token(""),
        token(R"("https://schemas.openid.net/secevent/risc/event-type/sessions-revoked":"x")"),
        token(R"("https://schemas.openid.net/secevent/risc/event-type/sessions-revoked":{})"),
        token(event(kSessionsRevokedEvent, "")),
        token(event(kSessionsRevokedEvent, std::string(300, '1')))}) {
    SCOPED_TRACE(claims);
    auto events = read(claims);
    ASSERT_FALSE(events.ok());
    EXPECT_EQ(events.error().code, sdk::ErrorCode::token_invalid);
  }
  std::string flood;
  for (int i = 0; i < 9; ++i)
    flood += (i ? "," : "") + event("https://e.example/" + std::to_string(i));
  EXPECT_EQ(read(token(flood)).error().code, sdk::ErrorCode::limit_exceeded);
}

}  // namespace
}  // namespace lmsgw::plugins::google
