#include "clever_sync.h"

#include <algorithm>

#include "clever_roster.h"
#include "clever_user.h"
#include "oauth.h"

namespace lmsgw::plugins::clever {
namespace {

constexpr std::string_view kStepNames[] = {"events", "users", "sections", "events"};

DistrictPosition* find_district(SyncCursor& cursor, std::string_view id) {
  auto it = std::lower_bound(
      cursor.districts.begin(), cursor.districts.end(), id,
      [](const DistrictPosition& district, std::string_view key) { return district.id < key; });
  return it != cursor.districts.end() && it->id == id ? &*it : nullptr;
}

// "users:<district> page 3 item 14": the part before ':' is the kind the core counts it under.
std::string location(const SyncCursor& cursor, std::size_t item) {
  return std::string(kStepNames[static_cast<std::size_t>(cursor.step)]) + ":" + cursor.current +
         " page " + std::to_string(cursor.page) + " item " + std::to_string(item + 1);
}

// The id of the last record of a page: where the next page starts. Without one, paging
// cannot go on safely, so the page is malformed as a whole.
sdk::Result<std::string> last_id(const ListPage& page, std::string_view resource) {
  const boost::json::string* id = common::string_member(page.items.back(), "id");
  if (id == nullptr || !is_safe_id(*id)) {
    return sdk::Error{sdk::ErrorCode::upstream_malformed,
                      std::string(resource) + " page ends with a record without a valid id"};
  }
  return std::string(*id);
}

}  // namespace

CleverSync::CleverSync(CleverSyncConfig config, sdk::PluginContext& context, Sleeper sleep)
    : config_(std::move(config)), context_(context), api_(config_, context, std::move(sleep)) {}

sdk::Result<sdk::SyncBatch> CleverSync::next_batch(const sdk::SyncRequest& request) noexcept {
  return sdk::guarded([&] { return batch(request); });
}

std::int64_t CleverSync::now_seconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             context_.clock().now().time_since_epoch())
      .count();
}

sdk::Result<sdk::SyncBatch> CleverSync::batch(const sdk::SyncRequest& request) {
  auto decoded = decode_cursor(request.cursor);
  if (!decoded) return decoded.error();
  SyncCursor cursor = std::move(*decoded);
  sdk::SyncBatch out;
  // A full read asked for while a full read is under way continues it; otherwise it starts one.
  if (cursor.mode == RunMode::idle || (request.full && cursor.mode != RunMode::full)) {
    if (auto started = start_run(cursor, request.full, out); !started) return started.error();
  } else {
    out.snapshot = cursor.mode == RunMode::full;
    // A run resumed by a fresh instance (e.g. after a restart) has no tokens yet.
    if (!tokens_loaded_) {
      if (auto refreshed = refresh_tokens(cursor, out); !refreshed) return refreshed.error();
    }
    if (find_district(cursor, cursor.current) == nullptr) {
      next_district(cursor, out);
    } else if (auto read = read_page(cursor, out); !read) {
      return read.error();
    }
  }
  out.next_cursor = encode_cursor(cursor);
  if (out.next_cursor.size() > kMaxCursorBytes) {
    return sdk::Error{sdk::ErrorCode::limit_exceeded,
                      "too many Clever districts for one sync entry; split them with `districts`"};
  }
  return out;
}

sdk::Result<void> CleverSync::start_run(SyncCursor& cursor, bool full, sdk::SyncBatch& out) {
  if (auto refreshed = refresh_tokens(cursor, out); !refreshed) return refreshed.error();
  // tokens_ holds no revoked district: refresh_tokens dropped them.
  std::vector<DistrictPosition> added;
  for (const auto& [district, token] : tokens_) {
    if (find_district(cursor, district) == nullptr) {
      added.push_back(DistrictPosition{district, std::nullopt});
    }
  }
  cursor.districts.insert(cursor.districts.end(), added.begin(), added.end());
  std::sort(cursor.districts.begin(), cursor.districts.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  const std::int64_t now = now_seconds();
  const bool events_gap = cursor.run_at != 0 && now - cursor.run_at >= kEventsRetention.count();
  const bool due = cursor.full_at == 0 || now - cursor.full_at >= config_.sync.full_sync_every.count();
  cursor.mode = (full || due || events_gap) ? RunMode::full : RunMode::delta;
  out.snapshot = cursor.mode == RunMode::full;
  context_.logger().info("Clever sync run started",
                         {{"step", out.snapshot ? "full" : "delta"},
                          {"count", std::to_string(cursor.districts.size())}});
  cursor.current.clear();
  next_district(cursor, out);
  return {};
}

sdk::Result<void> CleverSync::refresh_tokens(SyncCursor& cursor, sdk::SyncBatch& out) {
  auto tokens = api_.district_tokens();
  if (!tokens) return tokens.error();
  tokens_ = std::move(*tokens);
  tokens_loaded_ = true;
  if (const auto& wanted = config_.sync.districts; !wanted.empty()) {
    std::erase_if(tokens_, [&](const auto& entry) {
      return std::find(wanted.begin(), wanted.end(), entry.first) == wanted.end();
    });
  }
  // A revoked district whose token left the list may connect again later, as a new district.
  std::erase_if(cursor.revoked, [&](const std::string& id) { return !tokens_.contains(id); });
  for (const std::string& id : cursor.revoked) tokens_.erase(id);
  std::vector<std::string> gone;
  for (const DistrictPosition& district : cursor.districts) {
    if (!tokens_.contains(district.id)) gone.push_back(district.id);
  }
  for (const std::string& district : gone) {
    context_.logger().warn("Clever district token left the token list; district revoked",
                           {{"step", "tokens"}});
    out.changes.emplace_back(sdk::RosterDistrictRevoked{district});
    std::erase_if(cursor.districts, [&](const auto& d) { return d.id == district; });
  }
  return {};
}

void CleverSync::revoke(SyncCursor& cursor, const std::string& district, bool announce,
                        sdk::SyncBatch& out) {
  if (announce) out.changes.emplace_back(sdk::RosterDistrictRevoked{district});
  if (tokens_.erase(district) > 0) {
    // Its token is still listed: remember not to read it again while it stays there.
    auto at = std::lower_bound(cursor.revoked.begin(), cursor.revoked.end(), district);
    if (at == cursor.revoked.end() || *at != district) cursor.revoked.insert(at, district);
  }
  std::erase_if(cursor.districts, [&](const auto& d) { return d.id == district; });
  next_district(cursor, out);
}

void CleverSync::begin_district(SyncCursor& cursor, const DistrictPosition& district) {
  cursor.current = district.id;
  cursor.page = 0;
  const bool known = district.events_after.has_value();
  cursor.step = (cursor.mode == RunMode::delta && known) ? Step::events : Step::mark;
  // The newest event is searched from the last position applied, when there is one.
  cursor.after = cursor.step == Step::mark ? district.events_after.value_or("") : "";
}

void CleverSync::next_district(SyncCursor& cursor, sdk::SyncBatch& out) {
  auto next = std::upper_bound(
      cursor.districts.begin(), cursor.districts.end(), cursor.current,
      [](const std::string& key, const DistrictPosition& district) { return key < district.id; });
  if (cursor.current.empty()) next = cursor.districts.begin();
  if (next != cursor.districts.end()) {
    begin_district(cursor, *next);
    return;
  }
  const std::int64_t now = now_seconds();
  if (cursor.mode == RunMode::full) cursor.full_at = now;
  cursor.run_at = now;
  cursor.mode = RunMode::idle;
  cursor.current.clear();
  cursor.after.clear();
  cursor.page = 0;
  out.finished = true;
}

sdk::Result<std::optional<ListPage>> CleverSync::list(SyncCursor& cursor,
                                                      std::string_view resource,
                                                      std::string_view after,
                                                      sdk::SyncBatch& out) {
  const std::string district = cursor.current;
  auto token = tokens_.find(district);
  if (token == tokens_.end()) {
    revoke(cursor, district, true, out);
    return std::optional<ListPage>{};
  }
  auto page = api_.list(resource, token->second, after);
  if (!page) return page.error();
  if (page->status == 200) return std::optional<ListPage>(std::move(*page));
  // 401/404 on a list call: the token no longer opens the district. Unless the token list now
  // offers another token for it (rotated), the district disconnected the application.
  const std::string old_token = token->second.reveal();
  if (auto refreshed = refresh_tokens(cursor, out); !refreshed) return refreshed.error();
  const bool dropped = find_district(cursor, district) == nullptr;
  auto fresh = tokens_.find(district);
  if (!dropped && fresh != tokens_.end() && fresh->second.reveal() != old_token) {
    page = api_.list(resource, fresh->second, after);
    if (!page) return page.error();
    if (page->status == 200) return std::optional<ListPage>(std::move(*page));
  }
  context_.logger().warn("Clever district token refused on a list call; district revoked",
                         {{"endpoint", resource}, {"status", std::to_string(page->status)}});
  // When it left the list, refresh_tokens announced it already.
  revoke(cursor, district, !dropped, out);
  return std::optional<ListPage>{};
}

sdk::Result<void> CleverSync::read_page(SyncCursor& cursor, sdk::SyncBatch& out) {
  const Step step = cursor.step;
  const std::string district = cursor.current;
  const std::string after =
      step == Step::events ? find_district(cursor, district)->events_after.value_or("")
                           : cursor.after;
  const std::string_view resource = kStepNames[static_cast<std::size_t>(step)];
  auto listed = list(cursor, resource, after, out);
  if (!listed) return listed.error();
  if (!*listed) return {};
  // Looked up again: a token list read on the way may have dropped other districts.
  DistrictPosition* position = find_district(cursor, district);
  const ListPage& page = **listed;
  ++cursor.page;
  std::string last;
  if (!page.items.empty()) {
    auto id = last_id(page, resource);
    if (!id) return id.error();
    last = std::move(*id);
  }
  const bool done = page.items.empty() || !page.has_next;

  switch (step) {
    case Step::mark:
      if (!last.empty()) cursor.after = last;
      if (done) {
        position->events_after = cursor.after;
        cursor.step = Step::users;
        cursor.after.clear();
        cursor.page = 0;
      }
      return {};
    case Step::users:
    case Step::sections:
      for (std::size_t i = 0; i < page.items.size(); ++i) {
        if (step == Step::users) {
          auto change = user_change(page.items[i], district);
          if (change) {
            out.changes.push_back(std::move(*change));
          } else {
            out.rejected.push_back({location(cursor, i), change.error().detail});
          }
        } else if (auto changes = section_changes(page.items[i], district, out.changes);
                   !changes) {
          out.rejected.push_back({location(cursor, i), changes.error().detail});
        }
      }
      if (!last.empty()) cursor.after = last;
      if (done && step == Step::users) {
        cursor.step = Step::sections;
        cursor.after.clear();
        cursor.page = 0;
      } else if (done) {
        next_district(cursor, out);
      }
      return {};
    case Step::events:
      for (std::size_t i = 0; i < page.items.size(); ++i) {
        const boost::json::string* id = common::string_member(page.items[i], "id");
        if (id == nullptr || !is_safe_id(*id)) {
          return sdk::Error{sdk::ErrorCode::upstream_malformed, "events page has an event without a valid id"};
        }
        auto effect = event_changes(page.items[i], district, out.changes);
        if (!effect) {
          out.rejected.push_back({location(cursor, i), effect.error().detail});
        } else if (*effect == EventEffect::district_revoked) {
          context_.logger().warn("Clever districts.deleted event; district revoked",
                                 {{"endpoint", "events"}});
          revoke(cursor, district, false, out);
          return {};
        }
        position->events_after = std::string(*id);
      }
      if (done) next_district(cursor, out);
      return {};
  }
  return {};
}

}  // namespace lmsgw::plugins::clever
