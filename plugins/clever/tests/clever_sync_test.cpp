#include "clever_sync.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>

#include "lmsgw/sdk/testing/mocks.h"
#include "oauth.h"

namespace lmsgw::plugins::clever {
namespace {

using ::testing::_;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Invoke;
using ::testing::Not;

constexpr std::string_view kTokenUrl = "https://clever.example/oauth/tokens";
constexpr std::string_view kApi = "https://api.clever.example";
constexpr std::string_view kD1 = "d1";
constexpr std::string_view kD2 = "d2";
constexpr std::int64_t kStart = 1'800'000'000;

std::string user(std::string_view id, std::string_view district) {
  return R"({"id":")" + std::string(id) + R"(","district":")" + std::string(district) +
         R"(","email":"zz.canary@example.org","name":{"first":"Ana","last":"Zzfamilycanary"},)"
         R"("roles":{"student":{"dob":"2/29/2016","sis_id":"ZZSISCANARY"}}})";
}

std::string section(std::string_view id, std::vector<std::string> students,
                    std::string_view teacher) {
  std::string list;
  for (const std::string& student : students) list += (list.empty() ? "\"" : ",\"") + student + "\"";
  return R"({"id":")" + std::string(id) + R"(","name":"Zzsectioncanary","students":[)" + list +
         R"(],"teachers":[")" + std::string(teacher) + R"("]})";
}

std::string event(std::string_view id, std::string_view type, std::string object) {
  return R"({"id":")" + std::string(id) + R"(","type":")" + std::string(type) +
         R"(","created":"2026-01-01T00:00:00.000Z","data":{"object":)" + object + "}}";
}

std::string query_param(std::string_view url, std::string_view name) {
  const std::string key = std::string(name) + "=";
  auto at = url.find('?');
  while (at != std::string_view::npos) {
    url.remove_prefix(at + 1);
    if (url.starts_with(key)) return std::string(url.substr(key.size(), url.find('&') - key.size()));
    at = url.find('&');
  }
  return {};
}

// A small Clever behind the mock HTTP client: district tokens, paged lists, scripted faults.
struct CleverModel {
  std::map<std::string, std::string> tokens;        // district -> listed token
  std::map<std::string, std::string> unlisted;      // token -> district, still working
  std::map<std::string, int> token_status;          // token -> forced status
  std::map<std::string, std::map<std::string, std::map<std::string, std::string>>> records;
  std::deque<sdk::Result<sdk::HttpResponse>> scripted;  // answered first, in order
  std::vector<std::string> urls;
  std::vector<std::string> authorizations;

  void add(std::string_view district, std::string_view resource, std::string_view id,
           std::string json) {
    records[std::string(district)][std::string(resource)][std::string(id)] = std::move(json);
  }

  sdk::Result<sdk::HttpResponse> handle(const sdk::HttpRequest& request) {
    urls.push_back(request.url);
    authorizations.emplace_back(sdk::find_header(request.headers, "Authorization"));
    if (!scripted.empty()) {
      auto next = std::move(scripted.front());
      scripted.pop_front();
      return next;
    }
    if (request.url.starts_with(kTokenUrl)) {
      EXPECT_EQ(request.url, std::string(kTokenUrl) + "?owner_type=district");
      EXPECT_EQ(authorizations.back(), common::basic_authorization("client-1", "secret-1"));
      std::string data;
      for (const auto& [district, token] : tokens) {
        data += (data.empty() ? "" : ",") + std::string(R"({"id":"t-)") + district +
                R"(","owner":{"type":"district","id":")" + district + R"("},"access_token":")" +
                token + R"(","scopes":["read:users"]})";
      }
      return sdk::HttpResponse{200, {}, R"({"data":[)" + data + "]}"};
    }
    const std::string prefix = std::string(kApi) + "/v3.0/";
    EXPECT_TRUE(request.url.starts_with(prefix)) << request.url;
    const std::string path = request.url.substr(prefix.size(), request.url.find('?') - prefix.size());
    const std::string token = authorizations.back().substr(std::string("Bearer ").size());
    if (auto forced = token_status.find(token); forced != token_status.end()) {
      return sdk::HttpResponse{forced->second, {}, R"({"message":"forced"})"};
    }
    std::string district;
    for (const auto& [id, listed] : tokens) {
      if (listed == token) district = id;
    }
    if (auto it = unlisted.find(token); it != unlisted.end()) district = it->second;
    if (district.empty()) return sdk::HttpResponse{401, {}, R"({"message":"invalid token"})"};
    const auto limit = static_cast<std::size_t>(std::stoul(query_param(request.url, "limit")));
    const std::string after = query_param(request.url, "starting_after");
    const auto& all = records[district][path];
    auto it = after.empty() ? all.begin() : all.upper_bound(after);
    std::string data;
    std::string last;
    std::size_t count = 0;
    for (; it != all.end() && count < limit; ++it, ++count) {
      data += (data.empty() ? "" : ",") + std::string(R"({"data":)") + it->second + "}";
      last = it->first;
    }
    std::string links = R"([{"rel":"self","uri":"/v3.0/)" + path + R"("})";
    if (it != all.end()) links += R"(,{"rel":"next","uri":"/v3.0/)" + path + "?starting_after=" + last + R"("})";
    return sdk::HttpResponse{200, {}, R"({"data":[)" + data + R"(],"links":)" + links + "]}"};
  }
};

class CleverSyncTest : public ::testing::Test {
 protected:
  CleverSyncTest()
      : clock_(std::chrono::system_clock::time_point(std::chrono::seconds(kStart))),
        context_(sdk::ConfigNode(), http_, clock_, logger_, secrets_, "clever") {
    ON_CALL(http_, send(_)).WillByDefault(Invoke([this](const sdk::HttpRequest& request) {
      return model_.handle(request);
    }));
    EXPECT_CALL(http_, send(_)).Times(::testing::AnyNumber());
    model_.tokens = {{"d1", "tok-d1"}, {"d2", "tok-d2"}};
    model_.add(kD1, "users", "u1", user("u1", kD1));
    model_.add(kD1, "users", "u2", user("u2", kD1));
    model_.add(kD1, "users", "u3", user("u3", kD1));
    model_.add(kD1, "sections", "s1", section("s1", {"u1", "u2"}, "u3"));
    model_.add(kD1, "events", "e1", event("e1", "users.updated", user("u1", kD1)));
    model_.add(kD2, "users", "v1", user("v1", kD2));
  }

  CleverSyncConfig config() const {
    CleverSyncConfig config{CleverConfig{"client-1", sdk::Secret("secret-1"),
                                         "https://clever.example/oauth/authorize",
                                         std::string(kTokenUrl), std::string(kApi),
                                         std::chrono::milliseconds(2000)},
                            SyncSettings{}};
    config.sync.page_limit = 2;
    return config;
  }

  std::unique_ptr<CleverSync> make() {
    return std::make_unique<CleverSync>(config(), context_, [this](std::chrono::milliseconds d) {
      waits_.push_back(d);
      clock_.advance(d);
    });
  }

  // Runs batches until one finishes; returns them all.
  std::vector<sdk::SyncBatch> run(CleverSync& sync, bool full = false) {
    std::vector<sdk::SyncBatch> batches;
    for (int i = 0; i < 100; ++i) {
      auto batch = sync.next_batch({cursor_, full});
      EXPECT_TRUE(batch.ok()) << batch.error().detail;
      if (!batch.ok()) break;
      cursor_ = batch->next_cursor;
      batches.push_back(std::move(*batch));
      if (batches.back().finished) break;
    }
    EXPECT_TRUE(!batches.empty() && batches.back().finished);
    return batches;
  }

  static std::vector<sdk::RosterChange> changes_of(const std::vector<sdk::SyncBatch>& batches) {
    std::vector<sdk::RosterChange> all;
    for (const auto& batch : batches) all.insert(all.end(), batch.changes.begin(), batch.changes.end());
    return all;
  }

  template <class T>
  static std::vector<T> only(const std::vector<sdk::RosterChange>& changes) {
    std::vector<T> out;
    for (const auto& change : changes) {
      if (const T* item = std::get_if<T>(&change)) out.push_back(*item);
    }
    return out;
  }

  static std::vector<std::string> subjects(const std::vector<sdk::RosterChange>& changes) {
    std::vector<std::string> out;
    for (const auto& upsert : only<sdk::RosterUserUpsert>(changes)) out.push_back(upsert.identity.subject);
    return out;
  }

  ::testing::NiceMock<sdk::testing::MockHttpClient> http_;
  sdk::testing::FixedClock clock_;
  sdk::testing::RecordingLogger logger_;
  sdk::testing::MapSecrets secrets_;
  sdk::testing::TestContext context_;
  CleverModel model_;
  std::vector<std::chrono::milliseconds> waits_;
  std::string cursor_;
};

TEST_F(CleverSyncTest, TheFirstRunReadsEveryDistrictInFullPageByPage) {
  auto sync = make();
  auto batches = run(*sync);
  for (const auto& batch : batches) EXPECT_TRUE(batch.snapshot);
  auto changes = changes_of(batches);
  EXPECT_THAT(subjects(changes), ElementsAre("u1", "u2", "u3", "v1"));
  EXPECT_THAT(only<sdk::RosterSectionUpsert>(changes),
              ElementsAre(sdk::RosterSectionUpsert{"s1", "d1"}));
  EXPECT_THAT(only<sdk::RosterEnrollmentUpsert>(changes),
              ElementsAre(sdk::RosterEnrollmentUpsert{"s1", "u1", sdk::Role::student},
                          sdk::RosterEnrollmentUpsert{"s1", "u2", sdk::Role::student},
                          sdk::RosterEnrollmentUpsert{"s1", "u3", sdk::Role::teacher}));
  // Two pages of users in d1 (limit 2): the second starts after the first page's last id.
  EXPECT_THAT(model_.urls, Contains(std::string(kApi) + "/v3.0/users?limit=2"));
  EXPECT_THAT(model_.urls,
              Contains(std::string(kApi) + "/v3.0/users?limit=2&starting_after=u2"));
  // The full read records where the event stream stood, so the next run follows events.
  auto cursor = decode_cursor(cursor_);
  ASSERT_TRUE(cursor.ok());
  EXPECT_EQ(cursor->mode, RunMode::idle);
  EXPECT_THAT(cursor->districts, ElementsAre(DistrictPosition{"d1", "e1"}, DistrictPosition{"d2", ""}));
  EXPECT_EQ(cursor->full_at, kStart);
  // Tokens are never in the cursor, personal data never in the logs.
  EXPECT_THAT(cursor_, Not(HasSubstr("tok-")));
  for (const std::string& line : logger_.lines()) {
    EXPECT_THAT(line, Not(HasSubstr("canary")));
    EXPECT_THAT(line, Not(HasSubstr("tok-")));
  }
}

TEST_F(CleverSyncTest, EachBatchIsOnePageAndTheDistrictTokenGoesOnEveryDataCall) {
  auto sync = make();
  auto first = sync->next_batch({"", false});
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->changes.empty());
  EXPECT_FALSE(first->finished);
  EXPECT_EQ(model_.urls.size(), 1u);  // the token list only
  auto second = sync->next_batch({first->next_cursor, false});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(model_.urls.size(), 2u);
  EXPECT_EQ(model_.urls.back(), std::string(kApi) + "/v3.0/events?limit=2");
  EXPECT_EQ(model_.authorizations.back(), "Bearer tok-d1");
}

TEST_F(CleverSyncTest, ASecondRunFollowsEventsAndAnIdenticalRunChangesNothing) {
  auto sync = make();
  run(*sync);
  clock_.advance(std::chrono::hours(1));
  model_.add(kD1, "events", "e2", event("e2", "users.deleted", R"({"id":"u2","district":"d1"})"));
  model_.add(kD1, "events", "e3", event("e3", "users.created", user("u4", kD1)));
  const std::size_t calls_before = model_.urls.size();
  auto delta = run(*sync);
  for (const auto& batch : delta) EXPECT_FALSE(batch.snapshot);
  auto changes = changes_of(delta);
  EXPECT_THAT(only<sdk::RosterRemoval>(changes),
              ElementsAre(sdk::RosterRemoval{sdk::RosterRecordKind::user, "u2"}));
  EXPECT_THAT(subjects(changes), ElementsAre("u4"));
  // Only the events after the recorded position were asked for; no data list was read.
  std::vector<std::string> delta_urls(model_.urls.begin() + static_cast<long>(calls_before),
                                      model_.urls.end());
  EXPECT_THAT(delta_urls, Contains(std::string(kApi) + "/v3.0/events?limit=2&starting_after=e1"));
  for (const std::string& url : delta_urls) EXPECT_THAT(url, Not(HasSubstr("/users")));

  auto again = run(*sync);
  EXPECT_TRUE(changes_of(again).empty());
}

TEST_F(CleverSyncTest, ReplayingABatchFromTheSameCursorYieldsTheSameBatch) {
  auto sync = make();
  run(*sync);
  model_.add(kD1, "events", "e2", event("e2", "users.created", user("u5", kD1)));
  clock_.advance(std::chrono::hours(1));
  auto start = sync->next_batch({cursor_, false});
  ASSERT_TRUE(start.ok());
  auto once = sync->next_batch({start->next_cursor, false});
  auto twice = sync->next_batch({start->next_cursor, false});
  ASSERT_TRUE(once.ok() && twice.ok());
  EXPECT_EQ(once->changes, twice->changes);
  EXPECT_EQ(once->next_cursor, twice->next_cursor);
}

TEST_F(CleverSyncTest, ARunResumesFromItsCursorInAFreshInstance) {
  auto reference = make();
  auto whole = changes_of(run(*reference));

  cursor_.clear();
  auto first = make();
  std::vector<sdk::RosterChange> resumed;
  for (int i = 0; i < 4; ++i) {
    auto batch = first->next_batch({cursor_, false});
    ASSERT_TRUE(batch.ok());
    ASSERT_FALSE(batch->finished);
    cursor_ = batch->next_cursor;
    resumed.insert(resumed.end(), batch->changes.begin(), batch->changes.end());
  }
  // A restart: a new instance without tokens picks the run up where the cursor says.
  auto second = make();
  auto rest = run(*second);
  for (const auto& batch : rest) EXPECT_TRUE(batch.snapshot);
  auto tail = changes_of(rest);
  resumed.insert(resumed.end(), tail.begin(), tail.end());
  EXPECT_EQ(resumed, whole);
}

TEST_F(CleverSyncTest, AFullReadIsDoneWhenAskedForOrDue) {
  auto sync = make();
  run(*sync);
  clock_.advance(std::chrono::hours(1));
  EXPECT_FALSE(run(*sync).front().snapshot);
  EXPECT_TRUE(run(*sync, true).front().snapshot);
  clock_.advance(std::chrono::hours(24 * 7));
  EXPECT_TRUE(run(*sync).front().snapshot);
}

TEST_F(CleverSyncTest, ADistrictWhoseTokenLeavesTheListIsRevoked) {
  auto sync = make();
  run(*sync);
  model_.tokens.erase("d2");
  const std::size_t calls = model_.authorizations.size();
  auto batches = run(*sync);
  EXPECT_THAT(batches.front().changes,
              ElementsAre(sdk::RosterChange(sdk::RosterDistrictRevoked{"d2"})));
  auto cursor = decode_cursor(cursor_);
  ASSERT_TRUE(cursor.ok());
  EXPECT_THAT(cursor->districts, ElementsAre(DistrictPosition{"d1", "e1"}));
  for (std::size_t i = calls; i < model_.authorizations.size(); ++i) {
    EXPECT_NE(model_.authorizations[i], "Bearer tok-d2");
  }
}

TEST_F(CleverSyncTest, A401OrA404OnAListCallRevokesTheDistrictAndItIsNotReadAgain) {
  for (int status : {401, 404}) {
    cursor_.clear();
    model_.token_status.clear();
    auto sync = make();
    run(*sync);
    model_.token_status["tok-d1"] = status;
    auto batches = run(*sync);
    auto changes = changes_of(batches);
    EXPECT_THAT(only<sdk::RosterDistrictRevoked>(changes),
                ElementsAre(sdk::RosterDistrictRevoked{"d1"}))
        << status;
    // Still listed, but revoked: the next runs leave it alone until its token leaves the list.
    model_.token_status.clear();
    const std::size_t calls = model_.urls.size();
    EXPECT_TRUE(changes_of(run(*sync)).empty());
    for (std::size_t i = calls; i < model_.authorizations.size(); ++i) {
      EXPECT_NE(model_.authorizations[i], "Bearer tok-d1");
    }
    // Once the token has left the list, a token that appears again is a new connection.
    model_.tokens.erase("d1");
    run(*sync);
    model_.tokens["d1"] = "tok-d1-new";
    EXPECT_THAT(subjects(changes_of(run(*sync))), ElementsAre("u1", "u2", "u3")) << status;
    model_.tokens["d1"] = "tok-d1";
  }
}

TEST_F(CleverSyncTest, ARotatedTokenIsNotARevocation) {
  auto sync = make();
  run(*sync);
  model_.token_status["tok-d1"] = 401;
  model_.tokens["d1"] = "tok-d1-rotated";
  auto changes = changes_of(run(*sync));
  EXPECT_TRUE(only<sdk::RosterDistrictRevoked>(changes).empty());
  EXPECT_EQ(model_.authorizations.back(), "Bearer tok-d2");
  EXPECT_THAT(model_.authorizations, Contains("Bearer tok-d1-rotated"));
}

TEST_F(CleverSyncTest, ADistrictsDeletedEventRevokesTheDistrictAndStopsItsEvents) {
  auto sync = make();
  run(*sync);
  model_.add(kD1, "events", "e2", event("e2", "users.created", user("u7", kD1)));
  model_.add(kD1, "events", "e3", event("e3", "districts.deleted", R"({"id":"d1"})"));
  model_.add(kD1, "events", "e4", event("e4", "users.created", user("u8", kD1)));
  clock_.advance(std::chrono::hours(1));
  auto changes = changes_of(run(*sync));
  EXPECT_THAT(subjects(changes), ElementsAre("u7"));
  EXPECT_THAT(only<sdk::RosterDistrictRevoked>(changes), ElementsAre(sdk::RosterDistrictRevoked{"d1"}));
  // Its token is still listed, but it is not read again.
  const std::size_t calls = model_.authorizations.size();
  EXPECT_THAT(subjects(changes_of(run(*sync, true))), ElementsAre("v1"));
  for (std::size_t i = calls; i < model_.authorizations.size(); ++i) {
    EXPECT_NE(model_.authorizations[i], "Bearer tok-d1");
  }
}

TEST_F(CleverSyncTest, OurOwnCredentialsRefusedIsAnErrorNotARevocation) {
  auto sync = make();
  model_.scripted.push_back(sdk::HttpResponse{401, {}, R"({"error":"invalid_client"})"});
  auto batch = sync->next_batch({"", false});
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error().code, sdk::ErrorCode::upstream_rejected);
}

TEST_F(CleverSyncTest, A429WaitsWhatCleverAsksThenRetries) {
  auto sync = make();
  model_.scripted.push_back(sdk::HttpResponse{429, {{"Retry-After", "7"}}, "{}"});
  model_.scripted.push_back(sdk::HttpResponse{
      429, {{"X-RateLimit-Reset", std::to_string(kStart + 7 + 20)}}, "{}"});
  auto batches = run(*sync);
  EXPECT_THAT(waits_, ElementsAre(std::chrono::milliseconds(7000), std::chrono::milliseconds(20000)));
  EXPECT_THAT(subjects(changes_of(batches)), ElementsAre("u1", "u2", "u3", "v1"));
}

TEST_F(CleverSyncTest, A429AskingForMoreThanMaxWaitFailsTheBatchWithoutWaiting) {
  auto sync = make();
  auto first = sync->next_batch({"", false});
  ASSERT_TRUE(first.ok());
  model_.scripted.push_back(sdk::HttpResponse{
      429, {{"X-RateLimit-Reset", std::to_string(kStart + 3600)}}, "{}"});
  auto limited = sync->next_batch({first->next_cursor, false});
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().code, sdk::ErrorCode::upstream_unavailable);
  EXPECT_TRUE(waits_.empty());
  // The run resumes from the last applied cursor.
  auto resumed = sync->next_batch({first->next_cursor, false});
  ASSERT_TRUE(resumed.ok()) << resumed.error().detail;
}

TEST_F(CleverSyncTest, ServerErrorsAreRetriedABoundedNumberOfTimes) {
  auto sync = make();
  for (int i = 0; i < 3; ++i) model_.scripted.push_back(sdk::HttpResponse{503, {}, "busy"});
  auto recovered = sync->next_batch({"", false});
  ASSERT_TRUE(recovered.ok()) << recovered.error().detail;
  EXPECT_THAT(waits_, ElementsAre(std::chrono::milliseconds(1000), std::chrono::milliseconds(2000),
                                  std::chrono::milliseconds(4000)));
  for (int i = 0; i < 4; ++i) model_.scripted.push_back(sdk::HttpResponse{500, {}, "down"});
  auto failed = sync->next_batch({recovered->next_cursor, false});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, sdk::ErrorCode::upstream_rejected);
  model_.scripted.push_back(sdk::Error{sdk::ErrorCode::upstream_unavailable, "connect"});
  auto transport = sync->next_batch({recovered->next_cursor, false});
  EXPECT_TRUE(transport.ok());
}

TEST_F(CleverSyncTest, AMalformedOrTruncatedPageFailsTheWholeBatch) {
  auto sync = make();
  auto first = sync->next_batch({"", false});
  ASSERT_TRUE(first.ok());
  for (std::string body : {std::string(R"({"data":[{"data":{"id":"u1"}},{"da)"),
                           std::string(R"({"data":{"id":"u1"}})"),
                           std::string(R"({"data":[{"id":"u1"}]})"),
                           std::string("<html>Bad Gateway</html>"),
                           std::string(R"({"data":[{"data":{"id":"e1"}},{"data":{}}]})")}) {
    model_.scripted.push_back(sdk::HttpResponse{200, {}, body});
    auto batch = sync->next_batch({first->next_cursor, false});
    ASSERT_FALSE(batch.ok()) << body;
    EXPECT_EQ(batch.error().code, sdk::ErrorCode::upstream_malformed) << body;
    EXPECT_THAT(batch.error().detail, Not(HasSubstr("u1")));
  }
}

TEST_F(CleverSyncTest, ABadRecordInsideAPageIsRejectedWithItsLocation) {
  model_.add(kD1, "users", "u15", R"({"id":"u15","district":"d9","name":{"first":"Zzcanary"}})");
  model_.add(kD1, "users", "u16", user("u16", kD1));
  auto sync = make();
  auto batches = run(*sync);
  std::vector<sdk::RejectedRecord> rejected;
  for (const auto& batch : batches) rejected.insert(rejected.end(), batch.rejected.begin(), batch.rejected.end());
  EXPECT_THAT(rejected, ElementsAre(sdk::RejectedRecord{"users:d1 page 1 item 2",
                                                        "record belongs to another district"}));
  EXPECT_THAT(subjects(changes_of(batches)), ElementsAre("u1", "u16", "u2", "u3", "v1"));
}

TEST_F(CleverSyncTest, ANewDistrictInADeltaRunIsReadInFull) {
  auto sync = make();
  run(*sync);
  model_.tokens["d3"] = "tok-d3";
  model_.add("d3", "users", "w1", user("w1", "d3"));
  clock_.advance(std::chrono::hours(1));
  auto batches = run(*sync);
  EXPECT_FALSE(batches.front().snapshot);
  EXPECT_THAT(subjects(changes_of(batches)), ElementsAre("w1"));
}

TEST_F(CleverSyncTest, OnlyTheConfiguredDistrictsAreReadOrRevoked) {
  CleverSyncConfig only_d2 = config();
  only_d2.sync.districts = {"d2"};
  CleverSync sync(only_d2, context_, [](std::chrono::milliseconds) {});
  auto changes = changes_of(run(sync));
  EXPECT_THAT(subjects(changes), ElementsAre("v1"));
  model_.tokens.erase("d1");
  EXPECT_TRUE(changes_of(run(sync)).empty());
  for (const std::string& authorization : model_.authorizations) {
    EXPECT_NE(authorization, "Bearer tok-d1");
  }
}

TEST_F(CleverSyncTest, ACursorTooLargeForTheCoreIsRefused) {
  for (int i = 0; i < 120; ++i) {
    model_.tokens["6620aa00000000000000" + std::to_string(1000 + i)] = "tok-x" + std::to_string(i);
  }
  auto sync = make();
  auto batch = sync->next_batch({"", false});
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error().code, sdk::ErrorCode::limit_exceeded);
}

}  // namespace
}  // namespace lmsgw::plugins::clever
