#include "digest.h"

#include <cstring>

namespace lmsgw::plugins::oneroster {
namespace {

__extension__ using Wide = unsigned __int128;

constexpr std::uint64_t kMul1 = 0x9E3779B97F4A7C15ULL;
constexpr std::uint64_t kMul2 = 0xC2B2AE3D27D4EB4FULL;
constexpr std::uint64_t kMul3 = 0x165667B19E3779F9ULL;
constexpr double kMaxLoad = 0.85;
constexpr std::size_t kInitialSlots = 1024;

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

std::size_t DigestSet::slot_for(const Digest128& digest) const noexcept {
  // Multiply-shift maps the digest onto any table size without a division.
  return static_cast<std::size_t>(
      (static_cast<Wide>(digest.low) * slots_.size()) >> 64);
}

bool DigestSet::contains(const Digest128& raw) const noexcept {
  if (slots_.empty()) return false;
  const Digest128 digest = stored_form(raw);
  for (std::size_t i = slot_for(digest);; i = (i + 1 == slots_.size() ? 0 : i + 1)) {
    const Digest128& slot = slots_[i];
    if (slot == digest) return true;
    if (slot.high == 0 && slot.low == 0) return false;
  }
}

bool DigestSet::insert(const Digest128& raw) {
  if (static_cast<double>(size_ + 1) > kMaxLoad * static_cast<double>(slots_.size())) grow();
  const Digest128 digest = stored_form(raw);
  for (std::size_t i = slot_for(digest);; i = (i + 1 == slots_.size() ? 0 : i + 1)) {
    Digest128& slot = slots_[i];
    if (slot == digest) return false;
    if (slot.high == 0 && slot.low == 0) {
      slot = digest;
      ++size_;
      return true;
    }
  }
}

void DigestSet::clear() noexcept {
  std::vector<Digest128>().swap(slots_);
  size_ = 0;
}

void DigestSet::grow() {
  // Grows by half, not double: at millions of rows the table is the reader's largest cost.
  std::vector<Digest128> old;
  old.swap(slots_);
  slots_.assign(old.empty() ? kInitialSlots : old.size() + old.size() / 2, Digest128{});
  for (const Digest128& digest : old) {
    if (digest.high == 0 && digest.low == 0) continue;
    for (std::size_t i = slot_for(digest);; i = (i + 1 == slots_.size() ? 0 : i + 1)) {
      if (slots_[i].high == 0 && slots_[i].low == 0) {
        slots_[i] = digest;
        break;
      }
    }
  }
}

}  // namespace lmsgw::plugins::oneroster
