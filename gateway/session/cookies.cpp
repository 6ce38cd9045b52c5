#include "session/cookies.h"

namespace lmsgw::session {
namespace {

std::string attributes(const CookieOptions& options) {
  std::string out = "; Path=" + options.path + "; HttpOnly";
  if (options.secure) out += "; Secure";
  switch (options.same_site) {
    case SameSite::lax:
      out += "; SameSite=Lax";
      break;
    case SameSite::strict:
      out += "; SameSite=Strict";
      break;
    case SameSite::none:
      out += "; SameSite=None";
      break;
  }
  return out;
}

}  // namespace

std::string make_set_cookie(std::string_view name, std::string_view value,
                            const CookieOptions& options) {
  std::string out = std::string(name) + "=" + std::string(value);
  if (options.max_age.count() > 0) out += "; Max-Age=" + std::to_string(options.max_age.count());
  return out + attributes(options);
}

std::string make_clear_cookie(std::string_view name, const CookieOptions& options) {
  return std::string(name) + "=; Max-Age=0" + attributes(options);
}

}  // namespace lmsgw::session
