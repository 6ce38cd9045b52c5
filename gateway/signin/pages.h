// The few HTML pages the gateway itself shows (sign-in errors), with headers that keep them
// out of caches, frames and Referer headers (callback URLs carry one-time codes).
#pragma once

#include <string>
#include <string_view>

#include "http/message.h"
#include "signin/outcome.h"

namespace lmsgw::signin {

// Cache-Control, Referrer-Policy, X-Frame-Options, X-Content-Type-Options, and a CSP that
// allows nothing but inline style.
void add_page_security_headers(http::Response& response);

http::Response error_page(Outcome outcome, std::string_view start_again_url);

}  // namespace lmsgw::signin
