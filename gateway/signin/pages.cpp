#include "signin/pages.h"

namespace lmsgw::signin {

void add_page_security_headers(http::Response& response) {
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Content-Security-Policy",
                                "default-src 'none'; style-src 'unsafe-inline'; "
                                "frame-ancestors 'none'; form-action 'self'");
}

http::Response error_page(Outcome outcome, std::string_view start_again_url) {
  std::string body =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>Sign-in failed</title>"
      "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;"
      "padding:0 1rem;color:#222}code{color:#666}</style></head><body>"
      "<h1>Sign-in failed</h1><p>";
  body += http::html_escape(user_message(outcome));
  body += "</p><p><a href=\"";
  body += http::html_escape(start_again_url);
  body += "\">Back to the start</a></p><p><code>Reference: ";
  body += to_string(outcome);
  body += "</code></p></body></html>\n";
  http::Response response = http::Response::html(http_status(outcome), std::move(body));
  add_page_security_headers(response);
  return response;
}

}  // namespace lmsgw::signin
