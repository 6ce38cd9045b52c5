#include "directives/directive.h"

#include <boost/json.hpp>
#include <set>
#include <string>

#include "common/time.h"

namespace lmsgw::directives {
namespace {

// Dates later than this are refused as a mistake.
constexpr int kMaxYear = 2200;

sdk::Error invalid(std::string_view field, std::string_view reason) {
  return sdk::Error{sdk::ErrorCode::invalid_request,
                    "directive: " + std::string(field) + ": " + std::string(reason)};
}

std::string known_categories() {
  return "accounts, section_memberships, sections, email_hashes";
}

sdk::Result<int> parse_days(const boost::json::value& value, std::string_view field) {
  if (!value.is_int64() && !value.is_uint64()) {
    return invalid(field, "must be a whole number of days");
  }
  if (value.is_uint64() || value.as_int64() > kMaxDays) {
    return invalid(field, "more than " + std::to_string(kMaxDays) + " days (ten years)");
  }
  if (value.as_int64() < 0) return invalid(field, "must not be negative");
  return static_cast<int>(value.as_int64());
}

sdk::Result<sdk::CivilDate> parse_date(const boost::json::value& value, std::string_view field,
                                       const std::optional<sdk::CivilDate>& today) {
  if (!value.is_string()) return invalid(field, "must be a date \"YYYY-MM-DD\"");
  const std::optional<sdk::CivilDate> date = time::parse_iso_date(value.as_string());
  if (!date) return invalid(field, "malformed date (expected \"YYYY-MM-DD\", a real date)");
  if (date->year > kMaxYear) return invalid(field, "date after " + std::to_string(kMaxYear));
  if (today && *date < *today) {
    return invalid(field, "date is in the past (today is " + time::to_iso_date(*today) + " UTC)");
  }
  return *date;
}

sdk::Result<PartialDisposal> parse_partial(const boost::json::value& value,
                                           const std::string& field,
                                           const std::optional<sdk::CivilDate>& today) {
  if (!value.is_object()) return invalid(field, "must be an object");
  PartialDisposal out;
  bool has_categories = false;
  for (const auto& [key, member] : value.as_object()) {
    const std::string member_field = field + "." + std::string(key);
    if (key == "categories") {
      has_categories = true;
      if (!member.is_array() || member.as_array().empty()) {
        return invalid(member_field, "must be a non-empty list of categories");
      }
      std::set<store::DisposalCategory> seen;
      const auto& items = member.as_array();
      for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string item_field = member_field + "[" + std::to_string(i) + "]";
        if (!items[i].is_string()) return invalid(item_field, "must be a category name");
        const auto category = store::disposal_category_from_string(items[i].as_string());
        if (!category) {
          return invalid(item_field, "unknown category (known: " + known_categories() + ")");
        }
        if (!seen.insert(*category).second) return invalid(item_field, "listed twice");
        out.categories.push_back(*category);
      }
    } else if (key == "by") {
      if (member.is_string() && member.as_string() == "asap") continue;
      auto date = parse_date(member, member_field, today);
      if (!date) return date.error();
      out.by = *date;
    } else {
      return invalid(member_field, "unknown field (allowed: categories, by)");
    }
  }
  if (!has_categories) return invalid(field + ".categories", "missing");
  return out;
}

sdk::Result<Directive> parse(std::string_view document,
                             const std::optional<sdk::CivilDate>& today) {
  if (document.size() > kMaxDirectiveBytes) {
    return sdk::Error{sdk::ErrorCode::limit_exceeded,
                      "directive: document larger than " + std::to_string(kMaxDirectiveBytes) +
                          " bytes"};
  }
  boost::system::error_code ec;
  const boost::json::value root = boost::json::parse(document, ec);
  if (ec) return invalid("document", "not valid JSON");
  if (!root.is_object()) return invalid("document", "must be a JSON object");
  Directive out;
  for (const auto& [key, value] : root.as_object()) {
    const std::string field(key);
    if (key == "after_leaving_roster_days" || key == "inactive_days" ||
        key == "after_revocation_days") {
      auto days = parse_days(value, field);
      if (!days) return days.error();
      if (key == "after_leaving_roster_days") out.after_leaving_roster_days = *days;
      if (key == "inactive_days") out.inactive_days = *days;
      if (key == "after_revocation_days") out.after_revocation_days = *days;
    } else if (key == "delete_all_by") {
      auto date = parse_date(value, field, today);
      if (!date) return date.error();
      out.delete_all_by = *date;
    } else if (key == "partial") {
      if (!value.is_array()) return invalid(field, "must be a list");
      const auto& items = value.as_array();
      if (items.size() > kMaxPartialEntries) {
        return invalid(field, "more than " + std::to_string(kMaxPartialEntries) + " entries");
      }
      for (std::size_t i = 0; i < items.size(); ++i) {
        auto entry = parse_partial(items[i], "partial[" + std::to_string(i) + "]", today);
        if (!entry) return entry.error();
        out.partial.push_back(std::move(*entry));
      }
    } else {
      return invalid(std::string(key.substr(0, 64)),
                     "unknown field (allowed: after_leaving_roster_days, inactive_days, "
                     "delete_all_by, after_revocation_days, partial)");
    }
  }
  return out;
}

}  // namespace

sdk::Result<Directive> parse_directive(std::string_view document, sdk::CivilDate today) {
  return parse(document, today);
}

sdk::Result<Directive> parse_stored_directive(std::string_view document) {
  return parse(document, std::nullopt);
}

std::string directive_json(const Directive& directive) {
  boost::json::object out;
  if (directive.after_leaving_roster_days) {
    out["after_leaving_roster_days"] = *directive.after_leaving_roster_days;
  }
  if (directive.inactive_days) out["inactive_days"] = *directive.inactive_days;
  if (directive.delete_all_by) out["delete_all_by"] = time::to_iso_date(*directive.delete_all_by);
  if (directive.after_revocation_days) {
    out["after_revocation_days"] = *directive.after_revocation_days;
  }
  if (!directive.partial.empty()) {
    boost::json::array partial;
    for (const PartialDisposal& entry : directive.partial) {
      boost::json::object item;
      boost::json::array categories;
      for (const auto category : entry.categories) categories.emplace_back(to_string(category));
      item["categories"] = std::move(categories);
      item["by"] = entry.by ? time::to_iso_date(*entry.by) : std::string("asap");
      partial.emplace_back(std::move(item));
    }
    out["partial"] = std::move(partial);
  }
  return boost::json::serialize(out);
}

Directive effective_directive(const std::optional<Directive>& directive,
                              const RetentionDefaults& defaults) {
  Directive out = directive.value_or(Directive{});
  if (!out.inactive_days) out.inactive_days = defaults.inactive_days;
  if (!out.after_revocation_days) out.after_revocation_days = defaults.after_revocation_days;
  return out;
}

}  // namespace lmsgw::directives
