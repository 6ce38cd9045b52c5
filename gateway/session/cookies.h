// Set-Cookie values for the session and the sign-in browser binding.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace lmsgw::session {

enum class SameSite : std::uint8_t { lax, strict, none };

struct CookieOptions {
  bool secure = true;
  SameSite same_site = SameSite::lax;
  std::string path = "/";
  // Zero: a browser-session cookie (no Max-Age).
  std::chrono::seconds max_age{0};
};

// Always HttpOnly: no script of the platform's pages ever needs to read these cookies.
std::string make_set_cookie(std::string_view name, std::string_view value,
                            const CookieOptions& options);
// A Set-Cookie that deletes the cookie (empty value, Max-Age=0).
std::string make_clear_cookie(std::string_view name, const CookieOptions& options);

}  // namespace lmsgw::session
