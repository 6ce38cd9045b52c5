// 128-bit digests of identifiers and a compact set of them, so that a file of millions of rows
// can be checked for duplicate sourcedIds in bounded memory (16 bytes a row, no strings kept).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lmsgw::plugins::oneroster {

struct Digest128 {
  std::uint64_t high = 0;
  std::uint64_t low = 0;

  friend bool operator==(const Digest128&, const Digest128&) = default;
};

// A fast non-cryptographic digest: it tells identifiers apart, it does not resist an attacker
// who wants two rows of their own file to collide (which would only get their own row refused).
Digest128 digest128(std::string_view text) noexcept;

// 32 lowercase hex digits.
std::string to_hex(const Digest128& digest);

class DigestSet {
 public:
  // False when the digest was already in the set.
  bool insert(const Digest128& digest);
  bool contains(const Digest128& digest) const noexcept;
  std::size_t size() const noexcept { return size_; }
  void clear() noexcept;

 private:
  static constexpr std::size_t kParts = 256;
  struct Part {
    std::vector<Digest128> slots;
    std::size_t size = 0;
  };

  // Open addressing with linear probing, split into parts by the digest's top byte so that a
  // part grows alone: growing never holds two copies of the whole set. The all-zero digest
  // marks an empty slot, so a real all-zero digest is stored as {0, 1}.
  std::array<Part, kParts> parts_;
  std::size_t size_ = 0;
};

}  // namespace lmsgw::plugins::oneroster
