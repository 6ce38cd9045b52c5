// roster_read_rate PATH [BATCH]: reads a OneRoster set through the plugin alone (no database)
// and prints its rows per second and peak memory, to tell the plugin's cost from the core's.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <variant>

#include "oneroster_sync.h"

int main(int argc, char** argv) {
  using namespace lmsgw;
  if (argc < 2) {
    std::fprintf(stderr, "usage: roster_read_rate PATH [BATCH]\n");
    return 2;
  }
  plugins::oneroster::OneRosterConfig config;
  config.path = argv[1];
  if (argc > 2) config.batch_size = std::stoul(argv[2]);
  plugins::oneroster::OneRosterSync sync(config);

  std::uint64_t users = 0, sections = 0, enrollments = 0, removals = 0, rejected = 0;
  std::uint64_t batches = 0, discarded = 0;
  std::string cursor;
  bool full = true;  // only the first request asks for a full read; the rest continue the run
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    auto batch = sync.next_batch({cursor, full});
    if (!batch) {
      std::fprintf(stderr, "failed: %s\n", batch.error().detail.c_str());
      return 1;
    }
    full = false;
    ++batches;
    for (const auto& change : batch->changes) {
      users += std::holds_alternative<sdk::RosterUserUpsert>(change) ? 1 : 0;
      sections += std::holds_alternative<sdk::RosterSectionUpsert>(change) ? 1 : 0;
      enrollments += std::holds_alternative<sdk::RosterEnrollmentUpsert>(change) ? 1 : 0;
      removals += std::holds_alternative<sdk::RosterRemoval>(change) ? 1 : 0;
    }
    rejected += batch->rejected.size();
    for (const auto& [name, count] : batch->discarded) discarded += count;
    cursor = batch->next_cursor;
    if (batch->finished) break;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const std::uint64_t rows = users + sections + enrollments + removals + rejected;
  std::printf(
      "plugin read: %llu users, %llu sections, %llu enrollments, %llu removals, %llu rejected, "
      "%llu discarded files, %llu batches in %.2f s (%.0f rows/s), peak RSS %ld MiB\n",
      static_cast<unsigned long long>(users), static_cast<unsigned long long>(sections),
      static_cast<unsigned long long>(enrollments), static_cast<unsigned long long>(removals),
      static_cast<unsigned long long>(rejected), static_cast<unsigned long long>(discarded),
      static_cast<unsigned long long>(batches), seconds, static_cast<double>(rows) / seconds,
      usage.ru_maxrss / 1024);
  return 0;
}
