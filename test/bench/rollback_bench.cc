// Benchmark of the rollback check (issue 13, --respect-rollbacks): a
// repository of 5,000 commits over 200 automated workloads in 200 files,
// each commit moving one workload's tag (every tenth by a person, the rest
// by tagflow), the last commit a person's rollback. The check a cycle adds
// (daemon::LastImageChanges over the last 500 first-parent commits +
// FindRollbacks) must stay under 50 ms. Measured on the clone's repository
// as the daemon keeps it (warm: libgit2's object cache from the previous
// cycle) and freshly opened (cold).
#include <fmt/format.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "daemon/plan.h"
#include "daemon/rollback.h"
#include "git/libgit2_history.h"
#include "manifest/real_filesystem.h"
#include "manifest/scan.h"

namespace manifest = tagflow::manifest;

namespace {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kCommits = 5000;
constexpr int kFiles = 200;

std::string File(int f, int version) {
  return fmt::format(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{0}\n"
      "  namespace: team-{1}\n  annotations:\n    fluxcd.io/automated: \"true\"\n"
      "    fluxcd.io/tag.web: semver:>=1.0.0\nspec:\n  replicas: 2\n  template:\n    spec:\n"
      "      containers:\n      - name: web\n        image: registry.example.com/app-{0}:1.{2}.0\n"
      "        ports: [{{containerPort: 8080}}]\n      - name: sidecar\n"
      "        image: registry.example.com/proxy:2.0.0\n",
      f, f % 20, version);
}

// A git fast-import stream of the whole history.
std::string History() {
  std::string out;
  std::vector<int> version(kFiles, 0);
  auto blob = [&](const std::string& path, const std::string& data) {
    out += fmt::format("M 100644 inline {}\ndata {}\n{}\n", path, data.size(), data);
  };
  for (int c = 0; c < kCommits; ++c) {
    bool human = c % 10 == 9 || c == kCommits - 1;
    std::string who = human ? "Jane Ops <jane@example.com>" : "tagflow <tagflow@localhost>";
    std::string message = fmt::format("commit {}", c);
    out += fmt::format("commit refs/heads/master\ncommitter {} {} +0000\ndata {}\n{}\n", who,
                       1'700'000'000 + c, message.size(), message);
    if (c == 0) {
      for (int f = 0; f < kFiles; ++f) blob(fmt::format("apps/f{:03}.yaml", f), File(f, 0));
      continue;
    }
    int f = c % kFiles;
    version[f] += (c == kCommits - 1) ? -1 : 1;  // the last one: a rollback
    blob(fmt::format("apps/f{:03}.yaml", f), File(f, version[f]));
  }
  return out;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// CPU time of this thread, in ms: what the check costs, whatever else the
// (shared) machine runs meanwhile.
double CpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

}  // namespace

int main() {
  std::string tmpl = (stdfs::temp_directory_path() / "tagflow-rollback-bench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return 1;
  stdfs::path root = tmpl;
  std::string stream_path = (root / "stream").string();
  std::ofstream(stream_path, std::ios::binary) << History();
  std::string cmd = fmt::format(
      "cd {0} && git init -q -b master repo && cd repo && git fast-import --quiet < {1} && "
      "git checkout -q master && git gc -q",
      root.string(), stream_path);
  if (std::system(cmd.c_str()) != 0) {
    fmt::print(stderr, "building the repository failed\n");
    return 1;
  }
  stdfs::path repo = root / "repo";
  manifest::RealFilesystem fs;
  auto scan = tagflow::manifest::Scan(fs, repo.string(), {});
  if (!scan) return 1;
  std::vector<tagflow::daemon::AutomatedContainer> automated =
      tagflow::daemon::FindAutomated(scan->workloads, nullptr);
  auto same_times = [](const tagflow::daemon::AutomatedContainer&, const std::string& tag) {
    return std::optional<tagflow::image::TagInfo>(tagflow::image::TagInfo{tag, std::nullopt});
  };

  auto opened = tagflow::git::OpenHistory(repo);
  if (!opened) return 1;
  auto check = [&](tagflow::git::History& history) {
    auto changes = tagflow::daemon::LastImageChanges(history, opened->head, automated);
    if (!changes) {
      fmt::print(stderr, "{}\n", changes.error().message);
      std::exit(1);
    }
    return tagflow::daemon::FindRollbacks(automated, *changes, same_times, "tagflow@localhost");
  };
  // Cold: a freshly opened repository each time.
  std::vector<double> cold;
  size_t held = 0;
  for (int i = 0; i < 5; ++i) {
    auto fresh = tagflow::git::OpenHistory(repo);
    auto t0 = Clock::now();
    held = check(*fresh->history).size();
    cold.push_back(Ms(Clock::now() - t0));
  }
  // Warm: the same repository cycle after cycle, as the daemon's clone.
  check(*opened->history);
  std::vector<double> warm, warm_cpu;
  for (int i = 0; i < 20; ++i) {
    auto t0 = Clock::now();
    double c0 = CpuMs();
    check(*opened->history);
    warm_cpu.push_back(CpuMs() - c0);
    warm.push_back(Ms(Clock::now() - t0));
  }
  std::sort(warm_cpu.begin(), warm_cpu.end());
  // The walk alone (what changed in the 200 files over 501 commits), for the breakdown.
  tagflow::git::LogOptions walk_options;
  walk_options.limit = tagflow::daemon::kRollbackWindow + 1;
  for (int f = 0; f < kFiles; ++f) walk_options.paths.push_back(fmt::format("apps/f{:03}.yaml", f));
  std::vector<double> walk;
  for (int i = 0; i < 20; ++i) {
    double c0 = CpuMs();
    auto log = opened->history->Log(opened->head, walk_options);
    walk.push_back(CpuMs() - c0);
    if (!log) return 1;
  }
  std::sort(walk.begin(), walk.end());
  std::sort(cold.begin(), cold.end());
  std::sort(warm.begin(), warm.end());
  fmt::print(
      "rollback check: {} commits, {} automated containers in {} files, window {} commits, "
      "{} held\n",
      kCommits, automated.size(), kFiles, tagflow::daemon::kRollbackWindow, held);
  fmt::print(
      "  warm (daemon's clone): CPU median {:.1f} ms, max {:.1f} ms; wall median {:.1f} ms\n",
      warm_cpu[warm_cpu.size() / 2], warm_cpu.back(), warm[warm.size() / 2]);
  fmt::print("  cold (freshly opened): median {:.1f} ms, max {:.1f} ms\n", cold[cold.size() / 2],
             cold.back());
  fmt::print("  of which the walk (warm): CPU median {:.1f} ms\n", walk[walk.size() / 2]);
  fmt::print("  target: under 50 ms (warm CPU median) -> {}\n",
             warm_cpu[warm_cpu.size() / 2] < 50 ? "met" : "MISSED");
  stdfs::remove_all(root);
  return held == 1 ? 0 : 1;
}
