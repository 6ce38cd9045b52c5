#include "digest.h"

#include <cstring>

namespace lmsgw::plugins::oneroster {
namespace {

__extension__ using Wide = unsigned __int128;

constexpr std::uint64_t kMul1 = 0x9E3779B97F4A7C15ULL;
constexpr std::uint64_t kMul2 = 0xC2B2AE3D27D4EB4FULL;
constexpr std::uint64_t kMul3 = 0x165667B19E3779F9ULL;
constexpr double kMaxLoad = 0.8;
constexpr std::size_t kInitialSlots = 64;

std::uint64_t rotl(std::uint64_t x, int bits) noexcept { return (x << bits) | (x >> (64 - bits)); }

// A bijective avalanche of one word.
std::uint64_t avalanche(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDULL;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ULL;
  x ^= x >> 33;
  return x;
}

Digest128 stored_form(Digest128 digest) noexcept {
  if (digest.high == 0 && digest.low == 0) digest.low = 1;
  return digest;
}

}  // namespace

Digest128 digest128(std::string_view text) noexcept {
  std::uint64_t a = 0x243F6A8885A308D3ULL ^ (text.size() * kMul1);
  std::uint64_t b = 0x13198A2E03707344ULL ^ (text.size() * kMul2);
  std::size_t pos = 0;
  while (pos + 8 <= text.size()) {
    std::uint64_t word = 0;
    std::memcpy(&word, text.data() + pos, 8);
    a = rotl(a ^ avalanche(word + kMul1), 27) * kMul2 + kMul3;
    b = rotl(b ^ avalanche(word ^ kMul3), 31) * kMul1 + kMul2;
    pos += 8;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, text.data() + pos, text.size() - pos);
  tail ^= static_cast<std::uint64_t>(text.size() - pos) << 56;
  a = rotl(a ^ avalanche(tail + kMul1), 27) * kMul2 + kMul3;
  b = rotl(b ^ avalanche(tail ^ kMul3), 31) * kMul1 + kMul2;
  a = avalanche(a ^ rotl(b, 17));
  b = avalanche(b ^ rotl(a, 41));
  return {a, b};
}

std::string to_hex(const Digest128& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    const std::uint64_t word = i < 8 ? digest.high : digest.low;
    const int shift = (7 - (i % 8)) * 8;
    const auto byte = static_cast<unsigned>((word >> shift) & 0xFF);
    out[static_cast<std::size_t>(i) * 2] = kHex[byte >> 4];
    out[static_cast<std::size_t>(i) * 2 + 1] = kHex[byte & 0x0F];
  }
  return out;
}

namespace {

std::size_t slot_for(const std::vector<Digest128>& slots, const Digest128& digest) noexcept {
  // Multiply-shift maps the digest onto any table size without a division.
  return static_cast<std::size_t>((static_cast<Wide>(digest.low) * slots.size()) >> 64);
}

bool is_empty(const Digest128& slot) noexcept { return slot.high == 0 && slot.low == 0; }

// Inserts into `slots`, which has a free slot; false when already there.
bool place(std::vector<Digest128>& slots, const Digest128& digest) noexcept {
  for (std::size_t i = slot_for(slots, digest);; i = (i + 1 == slots.size() ? 0 : i + 1)) {
    if (slots[i] == digest) return false;
    if (is_empty(slots[i])) {
      slots[i] = digest;
      return true;
    }
  }
}

}  // namespace

bool DigestSet::contains(const Digest128& raw) const noexcept {
  const Digest128 digest = stored_form(raw);
  const std::vector<Digest128>& slots = parts_[digest.high >> 56].slots;
  if (slots.empty()) return false;
  for (std::size_t i = slot_for(slots, digest);; i = (i + 1 == slots.size() ? 0 : i + 1)) {
    if (slots[i] == digest) return true;
    if (is_empty(slots[i])) return false;
  }
}

bool DigestSet::insert(const Digest128& raw) {
  const Digest128 digest = stored_form(raw);
  Part& part = parts_[digest.high >> 56];
  if (static_cast<double>(part.size + 1) > kMaxLoad * static_cast<double>(part.slots.size())) {
    // Grows by half, not double: at millions of rows the table is the reader's largest cost.
    std::vector<Digest128> grown(
        part.slots.empty() ? kInitialSlots : part.slots.size() + part.slots.size() / 2);
    for (const Digest128& old : part.slots) {
      if (!is_empty(old)) place(grown, old);
    }
    part.slots.swap(grown);
  }
  if (!place(part.slots, digest)) return false;
  ++part.size;
  ++size_;
  return true;
}

void DigestSet::clear() noexcept {
  for (Part& part : parts_) {
    std::vector<Digest128>().swap(part.slots);
    part.size = 0;
  }
  size_ = 0;
}

}  // namespace lmsgw::plugins::oneroster
