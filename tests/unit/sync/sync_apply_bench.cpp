// Micro-benchmark of the sync engine's apply path, without a file format: a synthetic plugin
// hands over N users, N/25 sections and 4N enrollments (OneRoster's proportions) in batches of
// 5,000 changes, and the engine minimizes, resolves and writes them to a real SQLite file.
// Prints wall and CPU time and rows per second; asserts nothing.
//
//   sync_apply_bench [USERS] [BATCH]     (default 100000 5000)
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/unit/sync/sync_test_support.h"

namespace {

using namespace lmsgw;  // NOLINT(google-build-using-namespace)

// Users first, then sections, then enrollments, like a OneRoster bulk set.
class SyntheticDistrict final : public sdk::SyncPlugin {
 public:
  SyntheticDistrict(std::size_t users, std::size_t batch) : users_(users), batch_(batch) {}

  sdk::Result<sdk::SyncBatch> next_batch(const sdk::SyncRequest& request) noexcept override {
    std::size_t at = request.cursor.empty() ? 0 : std::stoul(request.cursor);
    const std::size_t sections = users_ / 25;
    const std::size_t total = users_ + sections + 4 * users_;
    sdk::SyncBatch out;
    out.snapshot = true;
    for (; at < total && out.changes.size() < batch_; ++at) {
      if (at < users_) {
        sdk::ExternalIdentity person;
        person.subject = "stu-" + std::to_string(at);
        person.role = at % 20 == 0 ? sdk::Role::teacher : sdk::Role::student;
        person.given_name = "Given" + std::to_string(at % 1000);
        person.family_name = "Family" + std::to_string(at);
        person.email = "user" + std::to_string(at) + "@example.org";
        person.birthdate = sdk::CivilDate{2012 + static_cast<int>(at % 6), 3, 1};
        person.extra["grades"] = "05";
        out.changes.emplace_back(std::in_place_type<sdk::RosterUserUpsert>, std::move(person));
      } else if (at < users_ + sections) {
        out.changes.emplace_back(std::in_place_type<sdk::RosterSectionUpsert>,
                                 "cls-" + std::to_string(at - users_), std::nullopt);
      } else {
        const std::size_t e = at - users_ - sections;
        const std::size_t user = (e / 4 * 7919 + e % 4) % users_;
        out.changes.emplace_back(std::in_place_type<sdk::RosterEnrollmentUpsert>,
                                 "cls-" + std::to_string((user / 25 + e % 4 * 97) % sections),
                                 "stu-" + std::to_string(user), sdk::Role::student);
      }
    }
    out.next_cursor = std::to_string(at);
    out.finished = at >= total;
    return out;
  }

 private:
  std::size_t users_;
  std::size_t batch_;
};

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t users = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100'000;
  const std::size_t batch = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 5'000;
  sync::testing::SyncHarness h;
  SyntheticDistrict plugin(users, batch);
  sync::RunRequest request;
  const auto started = std::chrono::steady_clock::now();
  const double cpu_before = cpu_seconds();
  auto run = h.engine->run(h.connection, plugin, request);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double cpu = cpu_seconds() - cpu_before;
  if (!run || run->outcome != store::SyncOutcome::succeeded) {
    std::fprintf(stderr, "run failed: %s\n", run ? run->error.c_str() : run.error().detail.c_str());
    return 1;
  }
  std::uint64_t rows = 0;
  for (const auto& [key, n] : run->counts) rows += n;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "sync apply: %zu users, %zu sections, %zu enrollments = %llu rows in %.2f s wall, %.2f s "
      "CPU: %.0f rows/s wall, %.0f rows/s CPU; peak RSS %ld MiB (batches of %zu)\n",
      users, users / 25, 4 * users, static_cast<unsigned long long>(rows), wall, cpu,
      static_cast<double>(rows) / wall, static_cast<double>(rows) / cpu, usage.ru_maxrss / 1024,
      batch);
  return 0;
}
