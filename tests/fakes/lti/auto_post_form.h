// The auto-submitting HTML form an LTI platform answers with (OIDC form_post response mode,
// and the fake's POST login initiation). Browsers submit it with a line of script; scripted
// browsers, which run none, read the form with parse_auto_post_form() and post its fields.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lmsgw::fakes {

struct AutoPostForm {
  std::string action;
  std::vector<std::pair<std::string, std::string>> fields;

  // The fields as an application/x-www-form-urlencoded body.
  std::string body() const;
  // The value of the first field named `name`, empty when absent.
  std::string field(std::string_view name) const;
};

// The page: one form (method post, the action and hidden inputs escaped) and a script that
// submits it, with a button for browsers that run no script.
std::string render_auto_post_form(const AutoPostForm& form, std::string_view title);

// Reads back a page render_auto_post_form() made; nullopt when there is no such form.
std::optional<AutoPostForm> parse_auto_post_form(std::string_view html);

}  // namespace lmsgw::fakes
