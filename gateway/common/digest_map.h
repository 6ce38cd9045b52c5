// A map from SHA-256 digests to shared immutable values, read without locks: the keys are split
// over shards, each an immutable open-addressing table that writers replace copy-on-write and
// readers follow under an epoch guard (epoch.h). Reads cost a hash, a probe and one reference
// count increment; writes copy one shard, which suits read-mostly data such as live sessions
// and verified tokens. Keys are digests of random secrets, so any of their bytes hash evenly.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "common/crypto.h"
#include "common/epoch.h"

namespace lmsgw {

template <class Value>
class DigestMap {
 public:
  using ValuePtr = std::shared_ptr<const Value>;

  DigestMap() : shards_(new Shard[kShards]) {}
  ~DigestMap() {
    for (std::size_t i = 0; i < kShards; ++i) delete shards_[i].table.load();
  }
  DigestMap(const DigestMap&) = delete;
  DigestMap& operator=(const DigestMap&) = delete;

  void put(const crypto::Digest& key, ValuePtr value) {
    rewrite(shard_of(key), [&](Entries& entries) {
      auto it = std::find_if(entries.begin(), entries.end(),
                             [&](const auto& entry) { return entry.first == key; });
      if (it != entries.end()) {
        it->second = std::move(value);
      } else {
        entries.emplace_back(key, std::move(value));
      }
    });
  }

  // Lock-free. nullptr when absent.
  ValuePtr find(const crypto::Digest& key) const {
    epoch::Domain::ReadGuard guard(epochs_);
    const Table* table = shard_of(key).table.load(std::memory_order_seq_cst);
    if (table == nullptr) return nullptr;
    const ValuePtr* found = table->find(key);
    return found != nullptr ? *found : nullptr;
  }

  bool erase(const crypto::Digest& key) {
    return rewrite(shard_of(key), [&](Entries& entries) {
             std::erase_if(entries, [&](const auto& entry) { return entry.first == key; });
           }) != 0;
  }

  // Removes every value `drop(value)` is true for; returns how many.
  template <class Predicate>
  std::size_t erase_if(Predicate drop) {
    std::size_t erased = 0;
    for (std::size_t i = 0; i < kShards; ++i) {
      Shard& shard = shards_[i];
      {
        // Most shards have nothing to drop: look first, copy only when needed.
        epoch::Domain::ReadGuard guard(epochs_);
        const Table* table = shard.table.load(std::memory_order_seq_cst);
        if (table == nullptr ||
            std::none_of(table->entries.begin(), table->entries.end(),
                         [&](const auto& entry) { return drop(*entry.second); })) {
          continue;
        }
      }
      erased += static_cast<std::size_t>(-rewrite(shard, [&](Entries& entries) {
        std::erase_if(entries, [&](const auto& entry) { return drop(*entry.second); });
      }));
    }
    return erased;
  }

  std::size_t size() const noexcept { return size_.load(std::memory_order_relaxed); }

 private:
  using Entries = std::vector<std::pair<crypto::Digest, ValuePtr>>;
  static constexpr std::size_t kShards = 256;

  static std::uint64_t slot_hash(const crypto::Digest& key) noexcept {
    std::uint64_t value = 0;
    std::memcpy(&value, key.data(), sizeof value);
    return value;
  }

  // Slots hold 1 + the index of an entry, 0 when empty.
  struct Table {
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

    const ValuePtr* find(const crypto::Digest& key) const noexcept {
      for (std::uint64_t at = slot_hash(key) & mask;; at = (at + 1) & mask) {
        const std::uint32_t slot = slots[at];
        if (slot == 0) return nullptr;
        const auto& entry = entries[slot - 1];
        if (entry.first == key) return &entry.second;
      }
    }
  };

  struct alignas(64) Shard {
    std::atomic<const Table*> table{nullptr};
    std::mutex writer;
  };

  // Other bytes than the slot hash, so shards and slots spread independently.
  Shard& shard_of(const crypto::Digest& key) const noexcept { return shards_[key[8] % kShards]; }

  // Replaces the shard's table with `edit` applied to a copy of its entries; returns the change
  // in size.
  template <class Edit>
  std::ptrdiff_t rewrite(Shard& shard, Edit edit) {
    std::lock_guard lock(shard.writer);
    const Table* old = shard.table.load(std::memory_order_relaxed);
    Entries entries = old != nullptr ? old->entries : Entries{};
    const std::size_t before = entries.size();
    edit(entries);
    const auto change =
        static_cast<std::ptrdiff_t>(entries.size()) - static_cast<std::ptrdiff_t>(before);
    shard.table.store(entries.empty() ? nullptr : new Table(std::move(entries)),
                      std::memory_order_seq_cst);
    if (old != nullptr) epochs_.retire(old);
    size_.fetch_add(static_cast<std::size_t>(change), std::memory_order_relaxed);
    return change;
  }

  mutable epoch::Domain epochs_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace lmsgw
