#include "metrics/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace lmsgw::metrics {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(Registry, CountsRequestsByRouteAndStatus) {
  Registry registry({"unmatched", "/auth/check"});
  registry.record_request(1, 200, microseconds(30));
  registry.record_request(1, 200, microseconds(30));
  registry.record_request(1, 401, microseconds(30));
  registry.record_request(0, 404, microseconds(30));
  const std::string text = registry.render();
  EXPECT_TRUE(
      contains(text, "lmsgw_http_requests_total{route=\"/auth/check\",status=\"200\"} 2\n"));
  EXPECT_TRUE(
      contains(text, "lmsgw_http_requests_total{route=\"/auth/check\",status=\"401\"} 1\n"));
  EXPECT_TRUE(contains(text, "lmsgw_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"));
  EXPECT_TRUE(contains(text, "# TYPE lmsgw_http_requests_total counter\n"));
}

TEST(Registry, OutOfRangeRouteAndStatusLandInSafeSlots) {
  Registry registry({"unmatched", "/x"});
  registry.record_request(99, 200, microseconds(1));
  registry.record_request(1, 1000, microseconds(1));
  const std::string text = registry.render();
  EXPECT_TRUE(contains(text, "{route=\"unmatched\",status=\"200\"} 1\n"));
  EXPECT_TRUE(contains(text, "{route=\"/x\",status=\"0\"} 1\n"));
}

TEST(Histogram, RendersCumulativeBucketsSumAndCount) {
  Registry registry({"unmatched", "/r"});
  registry.record_request(1, 200, microseconds(80));          // <= 0.0001
  registry.record_request(1, 200, milliseconds(2));           // <= 0.0025
  registry.record_request(1, 200, std::chrono::seconds(30));  // only +Inf
  const std::string text = registry.render();
  const std::string name = "lmsgw_http_request_duration_seconds";
  EXPECT_TRUE(contains(text, name + "_bucket{route=\"/r\",le=\"5e-05\"} 0\n"));
  EXPECT_TRUE(contains(text, name + "_bucket{route=\"/r\",le=\"1e-04\"} 1\n"));
  EXPECT_TRUE(contains(text, name + "_bucket{route=\"/r\",le=\"0.0025\"} 2\n"));
  EXPECT_TRUE(contains(text, name + "_bucket{route=\"/r\",le=\"5\"} 2\n"));
  EXPECT_TRUE(contains(text, name + "_bucket{route=\"/r\",le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(contains(text, name + "_count{route=\"/r\"} 3\n"));
  EXPECT_TRUE(contains(text, name + "_sum{route=\"/r\"} 30.00208\n"));
}

TEST(Registry, CountsSignInsByConnectionAndOutcome) {
  Registry registry({"unmatched"});
  registry.record_sign_in("clever", "success");
  registry.record_sign_in("clever", "success");
  registry.record_sign_in("clever", "state_unknown");
  const std::string text = registry.render();
  EXPECT_TRUE(
      contains(text, "lmsgw_sign_ins_total{connection=\"clever\",outcome=\"success\"} 2\n"));
  EXPECT_TRUE(
      contains(text, "lmsgw_sign_ins_total{connection=\"clever\",outcome=\"state_unknown\"} 1\n"));
}

TEST(Registry, ReadsGaugesAtRenderTime) {
  Registry registry({"unmatched"});
  double live = 1;
  registry.add_gauge("lmsgw_sessions_live", "Live sessions.", [&] { return live; });
  live = 7;
  EXPECT_TRUE(
      contains(registry.render(), "# TYPE lmsgw_sessions_live gauge\nlmsgw_sessions_live 7\n"));
}

TEST(EscapeLabel, EscapesBackslashQuoteAndNewline) {
  EXPECT_EQ(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(Registry, RecordsFromManyThreadsWithoutLosingCounts) {
  Registry registry({"unmatched", "/auth/check"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) registry.record_request(1, 200, microseconds(10));
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(contains(registry.render(),
                       "lmsgw_http_requests_total{route=\"/auth/check\",status=\"200\"} 40000\n"));
}

}  // namespace
}  // namespace lmsgw::metrics
