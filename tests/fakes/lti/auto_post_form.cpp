#include "auto_post_form.h"

#include "http/message.h"
#include "lmsgw/sdk/encoding.h"

namespace lmsgw::fakes {
namespace {

std::string html_unescape(std::string_view text) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (const auto& [entity, character] : kEntities) {
      if (text.substr(i).starts_with(entity)) {
        out += character;
        i += entity.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

// The double-quoted value of `attribute` at or after `from` and before `end`.
std::optional<std::string> attribute(std::string_view html, std::string_view attribute,
                                     std::size_t from, std::size_t end) {
  const std::string marker = " " + std::string(attribute) + "=\"";
  const auto start = html.find(marker, from);
  if (start == std::string_view::npos || start >= end) return std::nullopt;
  const auto value_start = start + marker.size();
  const auto close = html.find('"', value_start);
  if (close == std::string_view::npos || close > end) return std::nullopt;
  return html_unescape(html.substr(value_start, close - value_start));
}

}  // namespace

std::string AutoPostForm::body() const {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += sdk::percent_encode(name) + "=" + sdk::percent_encode(value);
  }
  return out;
}

std::string AutoPostForm::field(std::string_view name) const {
  for (const auto& [key, value] : fields) {
    if (key == name) return value;
  }
  return {};
}

std::string render_auto_post_form(const AutoPostForm& form, std::string_view title) {
  std::string page = "<!doctype html><html><head><meta charset=\"utf-8\"><title>" +
                     http::html_escape(title) + "</title></head><body>" +
                     "<form id=\"auto-post\" method=\"post\" action=\"" +
                     http::html_escape(form.action) + "\">\n";
  for (const auto& [name, value] : form.fields) {
    page += "<input type=\"hidden\" name=\"" + http::html_escape(name) + "\" value=\"" +
            http::html_escape(value) + "\">\n";
  }
  page +=
      "<noscript><button type=\"submit\">Continue</button></noscript></form>\n"
      "<script>document.getElementById('auto-post').submit();</script></body></html>";
  return page;
}

std::optional<AutoPostForm> parse_auto_post_form(std::string_view html) {
  const auto form_start = html.find("<form id=\"auto-post\"");
  if (form_start == std::string_view::npos) return std::nullopt;
  const auto form_end = html.find("</form>", form_start);
  if (form_end == std::string_view::npos) return std::nullopt;
  const auto tag_end = html.find('>', form_start);
  auto action = attribute(html, "action", form_start, tag_end);
  if (!action) return std::nullopt;
  AutoPostForm form{std::move(*action), {}};
  for (auto input = html.find("<input ", tag_end);
       input != std::string_view::npos && input < form_end;
       input = html.find("<input ", input + 1)) {
    const auto input_end = html.find('>', input);
    auto name = attribute(html, "name", input, input_end);
    auto value = attribute(html, "value", input, input_end);
    if (!name || !value) return std::nullopt;
    form.fields.emplace_back(std::move(*name), std::move(*value));
  }
  return form;
}

}  // namespace lmsgw::fakes
