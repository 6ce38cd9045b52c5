#include "http/message.h"
#include "lmsgw/sdk/encoding.h"

#include <gtest/gtest.h>

namespace lmsgw::http {
namespace {

Request with_headers(std::vector<HeaderView> headers) {
  Request request;
  request.headers = std::move(headers);
  return request;
}

TEST(RequestTest, HeaderLookupIsCaseInsensitiveAndReturnsTheFirst) {
  const Request request =
      with_headers({{"Content-Type", "text/plain"}, {"X-Trace", "a"}, {"x-trace", "b"}});
  EXPECT_EQ(request.header("content-type"), "text/plain");
  EXPECT_EQ(request.header("X-TRACE"), "a");
  EXPECT_EQ(request.header("absent"), "");
}

TEST(RequestTest, CookieFindsExactNameAcrossHeaders) {
  const Request request =
      with_headers({{"Cookie", "sid=abc; lang=en;theme = dark"}, {"cookie", "late=1; sid2=zzz"}});
  EXPECT_EQ(request.cookie("sid"), "abc");
  EXPECT_EQ(request.cookie("lang"), "en");
  EXPECT_EQ(request.cookie("theme"), "dark");
  EXPECT_EQ(request.cookie("late"), "1");
  EXPECT_EQ(request.cookie("sid2"), "zzz");
  EXPECT_EQ(request.cookie("si"), "");
  EXPECT_EQ(request.cookie("SID"), "");
  EXPECT_EQ(request.cookie("missing"), "");
}

TEST(RequestTest, CookieValuesAreNotDecodedAndMayContainEquals) {
  const Request request = with_headers({{"Cookie", "token=a%20b==; flag; empty="}});
  EXPECT_EQ(request.cookie("token"), "a%20b==");
  EXPECT_EQ(request.cookie("flag"), "");
  EXPECT_EQ(request.cookie("empty"), "");
}

TEST(RequestTest, RouteParamByName) {
  Request request;
  request.route_params[0] = {"connection", "clever"};
  request.route_params[1] = {"id", "7"};
  request.route_param_count = 2;
  EXPECT_EQ(request.route_param("connection"), "clever");
  EXPECT_EQ(request.route_param("id"), "7");
  EXPECT_EQ(request.route_param("other"), "");
}

TEST(ResponseTest, FactoriesSetContentTypes) {
  EXPECT_EQ(Response::text(200, "x").content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(Response::html(201, "<p>").content_type, "text/html; charset=utf-8");
  const Response json = Response::json(400, "{}");
  EXPECT_EQ(json.content_type, "application/json");
  EXPECT_EQ(json.status, 400);
  EXPECT_EQ(json.body, "{}");
}

TEST(ResponseTest, RedirectSetsLocationAndStatus) {
  const Response found = Response::redirect("https://example.test/next");
  EXPECT_EQ(found.status, 302);
  ASSERT_EQ(found.headers.size(), 1U);
  EXPECT_EQ(found.headers[0].first, "Location");
  EXPECT_EQ(found.headers[0].second, "https://example.test/next");
  EXPECT_FALSE(found.body.empty());
  EXPECT_EQ(Response::redirect("/x", 303).status, 303);
}

TEST(ResponseTest, WithHeaderAppendsOnLvaluesAndRvalues) {
  Response response = Response::text(200, "ok");
  response.with_header("A", "1").with_header("B", "2");
  const Response moved = Response::text(200, "ok").with_header("C", "3");
  ASSERT_EQ(response.headers.size(), 2U);
  EXPECT_EQ(response.headers[1].first, "B");
  ASSERT_EQ(moved.headers.size(), 1U);
  EXPECT_EQ(moved.headers[0].second, "3");
}

TEST(FormTest, DecodesPlusAndPercentEscapesInOrder) {
  std::vector<std::pair<std::string, std::string>> out;
  ASSERT_TRUE(parse_form("code=a%2Fb+c&state=xyz&empty=&flag&&x%3D=%41", out));
  ASSERT_EQ(out.size(), 5U);
  EXPECT_EQ(out[0], std::make_pair(std::string("code"), std::string("a/b c")));
  EXPECT_EQ(out[1], std::make_pair(std::string("state"), std::string("xyz")));
  EXPECT_EQ(out[2], std::make_pair(std::string("empty"), std::string()));
  EXPECT_EQ(out[3], std::make_pair(std::string("flag"), std::string()));
  EXPECT_EQ(out[4], std::make_pair(std::string("x="), std::string("A")));
}

TEST(FormTest, MalformedEscapeFailsAndLeavesOutputUnchanged) {
  std::vector<std::pair<std::string, std::string>> out{{"kept", "1"}};
  EXPECT_FALSE(parse_form("a=1&b=%4", out));
  EXPECT_FALSE(parse_form("a=%zz", out));
  EXPECT_FALSE(parse_form("a=%", out));
  EXPECT_FALSE(parse_form("%G1=1", out));
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].first, "kept");
}

TEST(FormTest, AppendsToExistingPairs) {
  std::vector<std::pair<std::string, std::string>> out{{"first", "1"}};
  ASSERT_TRUE(parse_form("second=2", out));
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[1].second, "2");
  ASSERT_TRUE(parse_form("", out));
  EXPECT_EQ(out.size(), 2U);
}

TEST(HtmlEscapeTest, EscapesMarkupAndQuotes) {
  EXPECT_EQ(html_escape("<a href=\"x\">Tom & 'Jerry'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  EXPECT_EQ(html_escape("plain"), "plain");
}

TEST(PercentEncodeTest, KeepsUnreservedAndEscapesTheRest) {
  EXPECT_EQ(sdk::percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(sdk::percent_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(sdk::percent_encode(""), "");
}

TEST(PercentEncodeTest, RoundTripsThroughParseForm) {
  const std::string original = "https://gw.example/cb?x=1&y=2 3+4%";
  std::vector<std::pair<std::string, std::string>> out;
  ASSERT_TRUE(parse_form("v=" + sdk::percent_encode(original), out));
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].second, original);
}

TEST(PreparedHeadersTest, SerializesEachLineOnce) {
  const auto prepared =
      PreparedHeaders::make({{"X-Account-Id", "acct-1"}, {"Cache-Control", "no-store"}});
  ASSERT_TRUE(prepared);
  EXPECT_EQ(prepared->text(), "X-Account-Id: acct-1\r\nCache-Control: no-store\r\n");
  const auto empty = PreparedHeaders::make({});
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->text(), "");
}

TEST(PreparedHeadersTest, RefusesWhatCouldBreakTheResponse) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"", "v"},
           {"Bad Name", "v"},
           {"X-Split", "a\r\nSet-Cookie: evil=1"},
           {"X-Nul", std::string("a\0b", 3)},
           // Framing is the server's: a prepared block is written verbatim.
           {"Content-Length", "0"},
           {"transfer-encoding", "chunked"},
           {"Connection", "close"}}) {
    EXPECT_FALSE(PreparedHeaders::make({{"X-Ok", "1"}, {name, value}})) << name;
  }
}

TEST(MethodTest, ToString) {
  EXPECT_EQ(to_string(Method::get), "GET");
  EXPECT_EQ(to_string(Method::delete_), "DELETE");
  EXPECT_EQ(to_string(Method::options), "OPTIONS");
}

}  // namespace
}  // namespace lmsgw::http
