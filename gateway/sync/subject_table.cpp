#include "sync/subject_table.h"

#include <cstring>

#include "common/crypto.h"

namespace lmsgw::sync {
namespace {

constexpr std::size_t kInitialSlots = 1024;

// The splitmix64 finaliser: a bijection whose every output bit depends on every input bit.
std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

std::uint64_t keyed_hash(std::string_view text, std::uint64_t key) noexcept {
  std::uint64_t h = mix(key ^ (text.size() * 0x9e3779b97f4a7c15ULL));
  std::size_t at = 0;
  for (; at + 8 <= text.size(); at += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, text.data() + at, 8);
    h = mix(h ^ mix(word ^ key));
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, text.data() + at, text.size() - at);
  return mix(h ^ mix(tail ^ ~key));
}

std::uint64_t random_key() {
  const std::vector<std::uint8_t> bytes = crypto::random_bytes(8);
  std::uint64_t key = 0;
  std::memcpy(&key, bytes.data(), 8);
  return key;
}

}  // namespace

SubjectTable::SubjectTable(std::size_t max_entries)
    : key_a_(random_key()), key_b_(random_key()), max_entries_(max_entries) {}

SubjectTable::Fingerprint SubjectTable::fingerprint(std::string_view id) const noexcept {
  Fingerprint out{keyed_hash(id, key_a_), keyed_hash(id, key_b_)};
  if (out.a == 0 && out.b == 0) out.b = 1;  // (0, 0) marks an empty slot
  return out;
}

std::optional<std::int64_t> SubjectTable::find(const Fingerprint& print) const {
  if (slots_.empty()) return std::nullopt;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = print.a & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.a == 0 && slot.b == 0) return std::nullopt;
    if (slot.a == print.a && slot.b == print.b) return slot.value;
  }
}

void SubjectTable::put(const Fingerprint& print, std::int64_t value) {
  if (slots_.empty()) slots_.resize(kInitialSlots);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = print.a & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.a == print.a && slot.b == print.b) {
      slot.value = value;
      return;
    }
    if (slot.a == 0 && slot.b == 0) {
      if (size_ >= max_entries_) return;
      slot = Slot{print.a, print.b, value};
      ++size_;
      // At most 70 % full, so probes stay short.
      if (size_ * 10 > slots_.size() * 7) grow();
      return;
    }
  }
}

void SubjectTable::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.a == 0 && slot.b == 0) continue;
    std::size_t i = slot.a & mask;
    while (slots_[i].a != 0 || slots_[i].b != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

}  // namespace lmsgw::sync
