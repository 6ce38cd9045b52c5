// lmsgw_demo_platform: a stand-in for the learning platform behind the gateway, for the demo.
//
//   lmsgw_demo_platform --listen-port 8090 --gateway http://127.0.0.1:8080
//                       --sign-in CONNECTION=LABEL [--sign-in ...] [--arrive LABEL=URL ...]
//
// Each --sign-in is a button that starts a sign-in at the gateway; each --arrive is a link to a
// place where sign-ins start elsewhere (the Clever Portal's Instant Login, an LMS launch).
//
// It knows nothing about sign-in. For each page it forwards the browser's cookies to the
// gateway's /auth/check, exactly as a reverse proxy's forward-auth would, and shows what came
// back: that is everything the platform ever learns about the person. /whoami.json gives the
// same as JSON for scripts.
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/serialize.hpp>

#include "http/client.h"
#include "http/server.h"

namespace {

using lmsgw::http::html_escape;

struct Options {
  std::uint16_t listen_port = 8090;
  std::string gateway = "http://127.0.0.1:8080";
  std::vector<std::pair<std::string, std::string>> sign_ins;  // connection, label
  std::vector<std::pair<std::string, std::string>> arrivals;  // label, url
};

// "left=right" split at the first '='; nullopt without one or with an empty side.
std::optional<std::pair<std::string, std::string>> split_pair(const std::string& text) {
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size()) return {};
  return std::pair{text.substr(0, equals), text.substr(equals + 1)};
}

struct Received {
  int status = 0;
  lmsgw::sdk::HttpHeaders identity_headers;  // the X-* headers of a 200
};

Received ask_gateway(lmsgw::http::Client& client, const Options& options,
                     const lmsgw::http::Request& request) {
  lmsgw::sdk::HttpRequest check;
  check.url = options.gateway + "/auth/check";
  if (auto cookie = request.header("Cookie"); !cookie.empty()) {
    check.headers.emplace_back("Cookie", std::string(cookie));
  }
  auto response = client.send(check);
  Received received;
  if (!response) return received;
  received.status = response->status;
  if (response->status != 200) return received;
  for (const auto& [name, value] : response->headers) {
    if (name.size() > 2 && (name[0] == 'X' || name[0] == 'x') && name[1] == '-') {
      received.identity_headers.emplace_back(name, value);
    }
  }
  return received;
}

std::string page(const Options& options, const Received& received, std::string_view self) {
  std::string html =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>Demo learning platform</title><style>"
      "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}"
      "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.4rem .8rem;"
      "text-align:left}a.button,button{display:inline-block;padding:.6rem 1rem;background:#1464f4;"
      "color:#fff;border:0;border-radius:.3rem;text-decoration:none;font-size:1rem;cursor:pointer}"
      "</style></head><body><h1>Demo learning platform</h1>";
  if (received.status == 200) {
    html +=
        "<p>You are signed in. This is <strong>everything</strong> the platform received "
        "about you from the gateway:</p><table><tr><th>Header</th><th>Value</th></tr>";
    for (const auto& [name, value] : received.identity_headers) {
      html += "<tr><td><code>" + html_escape(name) + "</code></td><td>" + html_escape(value) +
              "</td></tr>";
    }
    html +=
        "</table><p>No family name, birthdate, email or demographic data ever reaches "
        "the platform.</p><form method=\"post\" action=\"" +
        html_escape(options.gateway) +
        "/logout\"><input type=\"hidden\" name=\"return_to\" value=\"" + html_escape(self) +
        "\"><button type=\"submit\">Sign out</button></form>";
  } else if (received.status == 401) {
    html += "<p>You are not signed in.</p>";
    for (const auto& [connection, label] : options.sign_ins) {
      const std::string login =
          options.gateway + "/login/" + connection + "?return_to=" + std::string(self);
      html += "<p><a class=\"button\" href=\"" + html_escape(login) + "\">" + html_escape(label) +
              "</a></p>";
    }
    if (!options.arrivals.empty()) {
      html += "<p>Or arrive the way students often do, from somewhere else:</p><ul>";
      for (const auto& [label, url] : options.arrivals) {
        html += "<li><a href=\"" + html_escape(url) + "\">" + html_escape(label) + "</a></li>";
      }
      html += "</ul>";
    }
  } else {
    html += "<p>The gateway could not be asked (is it running at " + html_escape(options.gateway) +
            "?).</p>";
  }
  return html + "</body></html>";
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--listen-port")
      options.listen_port = static_cast<std::uint16_t>(std::stoi(value));
    else if (flag == "--gateway")
      options.gateway = value;
    else if (flag == "--sign-in" || flag == "--arrive") {
      auto pair = split_pair(value);
      if (!pair) {
        std::cerr << "lmsgw_demo_platform: " << flag << " needs NAME=VALUE\n";
        return 2;
      }
      (flag == "--sign-in" ? options.sign_ins : options.arrivals).push_back(std::move(*pair));
    } else {
      std::cerr << "lmsgw_demo_platform: unknown flag " << flag << "\n";
      return 2;
    }
  }
  if (argc % 2 == 0) {
    std::cerr << "lmsgw_demo_platform: every flag needs a value\n";
    return 2;
  }

  lmsgw::http::ClientOptions client_options;
  client_options.allow_plain_http_to_loopback = true;
  client_options.default_timeout = std::chrono::milliseconds(3000);
  auto client = lmsgw::http::Client::create(client_options);
  if (!client) {
    std::cerr << "lmsgw_demo_platform: " << client.error().detail << "\n";
    return 1;
  }
  const std::string self = "http://127.0.0.1:" + std::to_string(options.listen_port) + "/";

  lmsgw::http::Router router;
  router.add(
      {lmsgw::http::Method::get}, "/",
      [&](const lmsgw::http::Request& request) {
        return lmsgw::http::Response::html(
                   200, page(options, ask_gateway(**client, options, request), self))
            .with_header("Cache-Control", "no-store");
      },
      lmsgw::http::Dispatch::worker);
  router.add(
      {lmsgw::http::Method::get}, "/whoami.json",
      [&](const lmsgw::http::Request& request) {
        Received received = ask_gateway(**client, options, request);
        boost::json::object body;
        body["signed_in"] = received.status == 200;
        boost::json::object headers;
        for (const auto& [name, value] : received.identity_headers) headers[name] = value;
        body["received"] = std::move(headers);
        return lmsgw::http::Response::json(200, boost::json::serialize(body));
      },
      lmsgw::http::Dispatch::worker);

  lmsgw::http::ServerOptions server_options;
  server_options.listen_port = options.listen_port;
  server_options.threads = 1;
  server_options.drain_timeout = std::chrono::milliseconds(1000);
  lmsgw::http::HttpServer server(server_options, router);
  if (auto bound = server.bind(); !bound) {
    std::cerr << "lmsgw_demo_platform: " << bound.error().detail << "\n";
    return 1;
  }
  std::cout << "demo platform: " << self << std::endl;
  server.run(true);
  return 0;
}
