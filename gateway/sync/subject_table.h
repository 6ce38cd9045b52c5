// A run's memory of which account (or section) a provider id resolved to, so that the millions
// of enrollments of a bulk read do not each pay a keyed hash and a database lookup.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace lmsgw::sync {

// Open addressing over 128-bit fingerprints of the ids (two 64-bit hashes under keys drawn at
// random per run): 24 bytes an entry, no copy of the id kept. Two ids share a fingerprint
// with probability about n^2 / 2^129 (1e-26 for a million ids), and the keys are secret, so a
// roster source cannot craft a collision. Bounded: past `max_entries`, put() is a no-op and
// callers fall back to the database.
class SubjectTable {
 public:
  struct Fingerprint {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
  };

  explicit SubjectTable(std::size_t max_entries);

  // Reads only the keys fixed at construction, so another thread may fingerprint ids ahead of
  // the thread that finds and puts them (a sync run's reading thread does).
  Fingerprint fingerprint(std::string_view id) const noexcept;

  std::optional<std::int64_t> find(const Fingerprint& print) const;
  void put(const Fingerprint& print, std::int64_t value);
  std::optional<std::int64_t> find(std::string_view id) const { return find(fingerprint(id)); }
  void put(std::string_view id, std::int64_t value) { put(fingerprint(id), value); }
  std::size_t size() const noexcept { return size_; }

 private:
  struct Slot {
    std::uint64_t a = 0;
    std::uint64_t b = 0;  // 0 in both: empty
    std::int64_t value = 0;
  };

  void grow();

  std::uint64_t key_a_;
  std::uint64_t key_b_;
  std::size_t max_entries_;
  std::size_t size_ = 0;
  std::vector<Slot> slots_;
};

}  // namespace lmsgw::sync
