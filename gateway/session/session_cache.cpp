#include "session/session_cache.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace lmsgw::session {

namespace {

std::uint64_t slot_hash(const crypto::Digest& digest) noexcept {
  std::uint64_t value = 0;
  std::memcpy(&value, digest.data(), sizeof value);
  return value;
}

}  // namespace

bool SessionView::live_at(TimePoint now) const noexcept {
  if (now >= expires_at) return false;
  if (account_revocation && account_revocation->revokes(created_at)) return false;
  if (district_revocation && district_revocation->revokes(created_at)) return false;
  return true;
}

const http::PreparedHeaders& SessionView::headers_for(identity::AgeBand band) const noexcept {
  return band == identity::AgeBand::thirteen_plus ? *thirteen_plus_headers : *under13_headers;
}

identity::AgeBand age_band(const SessionView& view, sdk::CivilDate today) noexcept {
  if (view.role != identity::AccountRole::student) return identity::AgeBand::thirteen_plus;
  if (view.thirteen_plus_from && today >= *view.thirteen_plus_from) {
    return identity::AgeBand::thirteen_plus;
  }
  return identity::AgeBand::under13;
}

sdk::Result<void> prepare_headers(SessionView& view) {
  auto make = [&view](identity::AgeBand band) {
    std::vector<std::pair<std::string, std::string>> headers;
    headers.emplace_back("X-Account-Id", view.account_id);
    headers.emplace_back("X-Account-Role", std::string(identity::to_string(view.role)));
    if (view.district_id) headers.emplace_back("X-District-Id", *view.district_id);
    headers.emplace_back("X-Age-Band", std::string(identity::to_string(band)));
    headers.emplace_back("X-Display-Name", view.display_name);
    headers.emplace_back("Cache-Control", "no-store");
    return http::PreparedHeaders::make(headers);
  };
  view.under13_headers = make(identity::AgeBand::under13);
  view.thirteen_plus_headers = make(identity::AgeBand::thirteen_plus);
  if (!view.under13_headers || !view.thirteen_plus_headers) {
    return sdk::Error{sdk::ErrorCode::internal, "session fields cannot be sent as headers"};
  }
  return {};
}

// An immutable open-addressing table: slots hold 1 + the index of an entry, 0 when empty.
struct SessionCache::Table {
  Entries entries;
  std::vector<std::uint32_t> slots;
  std::uint64_t mask = 0;

  explicit Table(Entries items) : entries(std::move(items)) {
    const std::size_t capacity = std::bit_ceil(std::max<std::size_t>(8, entries.size() * 2));
    slots.assign(capacity, 0);
    mask = capacity - 1;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      std::uint64_t at = slot_hash(entries[i].first) & mask;
      while (slots[at] != 0) at = (at + 1) & mask;
      slots[at] = static_cast<std::uint32_t>(i + 1);
    }
  }

  const ViewPtr* find(const crypto::Digest& id_hash) const noexcept {
    for (std::uint64_t at = slot_hash(id_hash) & mask;; at = (at + 1) & mask) {
      const std::uint32_t slot = slots[at];
      if (slot == 0) return nullptr;
      const auto& entry = entries[slot - 1];
      if (entry.first == id_hash) return &entry.second;
    }
  }
};

SessionCache::SessionCache() : shards_(new Shard[kShards]) {}

SessionCache::~SessionCache() {
  for (std::size_t i = 0; i < kShards; ++i) delete shards_[i].table.load();
}

SessionCache::Shard& SessionCache::shard_of(const crypto::Digest& id_hash) const noexcept {
  // Other bytes than the slot hash, so shards and slots spread independently.
  return shards_[id_hash[8] % kShards];
}

std::ptrdiff_t SessionCache::rewrite(Shard& shard, const std::function<void(Entries&)>& edit) {
  std::lock_guard lock(shard.writer);
  const Table* old = shard.table.load(std::memory_order_relaxed);
  Entries entries = old != nullptr ? old->entries : Entries{};
  const std::size_t before = entries.size();
  edit(entries);
  const auto change = static_cast<std::ptrdiff_t>(entries.size()) -
                      static_cast<std::ptrdiff_t>(before);
  shard.table.store(entries.empty() ? nullptr : new Table(std::move(entries)),
                    std::memory_order_seq_cst);
  if (old != nullptr) epochs_.retire(old);
  size_.fetch_add(static_cast<std::size_t>(change), std::memory_order_relaxed);
  return change;
}

void SessionCache::put(const crypto::Digest& id_hash, ViewPtr view) {
  rewrite(shard_of(id_hash), [&](Entries& entries) {
    auto it = std::find_if(entries.begin(), entries.end(),
                           [&](const auto& entry) { return entry.first == id_hash; });
    if (it != entries.end()) {
      it->second = std::move(view);
    } else {
      entries.emplace_back(id_hash, std::move(view));
    }
  });
}

SessionCache::ViewPtr SessionCache::find(const crypto::Digest& id_hash, TimePoint now) const {
  ViewPtr view;
  {
    epoch::Domain::ReadGuard guard(epochs_);
    const Table* table = shard_of(id_hash).table.load(std::memory_order_seq_cst);
    if (table == nullptr) return nullptr;
    const ViewPtr* found = table->find(id_hash);
    if (found == nullptr) return nullptr;
    view = *found;
  }
  return view->live_at(now) ? view : nullptr;
}

bool SessionCache::erase(const crypto::Digest& id_hash) {
  return rewrite(shard_of(id_hash), [&](Entries& entries) {
           std::erase_if(entries, [&](const auto& entry) { return entry.first == id_hash; });
         }) != 0;
}

std::size_t SessionCache::purge(TimePoint now) {
  std::size_t purged = 0;
  for (std::size_t i = 0; i < kShards; ++i) {
    Shard& shard = shards_[i];
    {
      // Most shards have nothing to drop: look first, copy only when needed.
      epoch::Domain::ReadGuard guard(epochs_);
      const Table* table = shard.table.load(std::memory_order_seq_cst);
      if (table == nullptr ||
          std::all_of(table->entries.begin(), table->entries.end(),
                      [now](const auto& entry) { return entry.second->live_at(now); })) {
        continue;
      }
    }
    purged += static_cast<std::size_t>(-rewrite(shard, [now](Entries& entries) {
      std::erase_if(entries, [now](const auto& entry) { return !entry.second->live_at(now); });
    }));
  }
  return purged;
}

}  // namespace lmsgw::session
