#include "sync/run_report.h"

#include <map>
#include <vector>

#include "common/time.h"

namespace lmsgw::sync {
namespace {

std::string join_districts(const std::vector<std::string>& districts) {
  std::string out;
  for (const std::string& district : districts) out += (out.empty() ? "" : ",") + district;
  return out.empty() ? "-" : out;
}

// "created 3, unchanged 2" per kind, kinds in a fixed order then files by name.
std::map<std::string, std::string> counts_by_kind(const store::RunCounts& counts) {
  std::map<std::string, std::string> out;
  for (const auto& [key, n] : counts) {
    std::string& line = out[key.first];
    line += (line.empty() ? "" : ", ") + key.second + " " + std::to_string(n);
  }
  return out;
}

}  // namespace

std::string describe_run(const store::SyncRunRecord& run) {
  std::string out = "run " + std::to_string(run.id) + "  connection " + run.connection_id +
                    "  districts " + join_districts(run.districts) + "\n";
  out += "  trigger " + std::string(store::to_string(run.trigger)) + "  mode " +
         (run.mode ? std::string(store::to_string(*run.mode)) : std::string("-")) + "  full read " +
         (run.full ? "yes" : "no");
  if (run.resumes_run) out += "  resumes run " + std::to_string(*run.resumes_run);
  out += "\n  started " + time::to_rfc3339_utc(run.started_at) + "  finished " +
         (run.finished_at ? time::to_rfc3339_utc(*run.finished_at) : std::string("-")) +
         "  outcome " + std::string(store::to_string(run.outcome)) + "  batches " +
         std::to_string(run.batches) + "\n";
  const auto by_kind = counts_by_kind(run.counts);
  for (const char* kind : {"users", "sections", "enrollments", "districts"}) {
    if (auto found = by_kind.find(kind); found != by_kind.end()) {
      out += "  " + found->first + ": " + found->second + "\n";
    }
  }
  for (const auto& [kind, line] : by_kind) {
    if (kind == "users" || kind == "sections" || kind == "enrollments" || kind == "districts") {
      continue;
    }
    out += "  " + kind + ": " + line + "\n";
  }
  if (!run.rejections.empty()) {
    out += "  rejections (first " + std::to_string(run.rejections.size()) + " stored):\n";
    for (const auto& rejected : run.rejections) {
      out += "    " + rejected.location + "  " + rejected.reason + "\n";
    }
  }
  if (!run.error.empty()) out += "  error: " + run.error + "\n";
  return out;
}

std::string summarize_run(const store::SyncRunRecord& run) {
  std::string out = std::to_string(run.id) + "  " + run.connection_id + "  " +
                    join_districts(run.districts) + "  " + time::to_rfc3339_utc(run.started_at) +
                    "  " + std::string(store::to_string(run.outcome)) + "  " +
                    (run.mode ? std::string(store::to_string(*run.mode)) : std::string("-")) + "  ";
  std::string counts;
  for (const auto& [key, n] : run.counts) {
    counts += (counts.empty() ? "" : " ") + key.first + "." + key.second + "=" + std::to_string(n);
  }
  out += counts.empty() ? "-" : counts;
  if (!run.error.empty()) out += "  error: " + run.error;
  return out;
}

}  // namespace lmsgw::sync
