// Benchmark of cost against input size (issue 11): the time and peak memory
// of rewriting one file whose N containers all change (the daemon's
// best-effort apply, and the CLI's all-or-nothing one), and of scanning a
// 15 MiB file of 30,000 workloads (then rewriting all of them), alone and
// six of them at once. Time per container should stay flat as N grows
// (linear), and the scan's peak, beyond what its result keeps, a small
// multiple of the largest file, not of the sum.
//
// Each measurement runs in a child process, so one's memory does not count
// in the next, and is stopped after --timeout seconds (default 300). Peak
// RSS is VmHWM, reset just before the measured call (/proc/self/clear_refs),
// so building the input does not count.
//
//   bench_rewrite_bench [--timeout SECONDS] [--quick]
#include <fmt/format.h>
#include <malloc.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/real_filesystem.h"
#include "manifest/scan.h"
#include "manifest/update.h"

namespace {

namespace stdfs = std::filesystem;
using tagflow::manifest::ApplyMode;
using tagflow::manifest::FileEdit;
using tagflow::manifest::ImageEdit;

// VmHWM/VmRSS of this process in MiB, or -1.
double StatusMiB(std::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field)) return std::atof(line.c_str() + field.size()) / 1024.0;
  }
  return -1;
}

// Starts a new peak: the VmHWM read later covers only what follows.
void ResetPeak() { std::ofstream("/proc/self/clear_refs") << "5"; }

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Ends a child process that failed, with `message`.
[[noreturn]] void Die(const std::string& message) {
  fmt::print("{}\n", message);
  std::fflush(stdout);
  std::_Exit(1);
}

void WriteFile(const stdfs::path& p, const std::string& text) {
  stdfs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// Runs `body` in a child process stopped after `timeout` seconds; prints
// `label` and what the child printed, or that it did not finish.
void InChild(const std::string& label, int timeout, const std::function<void()>& body) {
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::alarm(static_cast<unsigned>(timeout));
    body();
    std::fflush(stdout);
    std::_Exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
    fmt::print("{}: did not finish in {} s\n", label, timeout);
  } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fmt::print("{}: failed (status {})\n", label, status);
  }
}

// One Deployment whose containers c0..c<n-1> all run registry.example.com/team/c<i>:1.0.0.
std::string ManyContainers(int n) {
  std::string text =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: big\n  namespace: team\n  "
      "annotations:\n    fluxcd.io/automated: \"true\"\nspec:\n  template:\n    spec:\n      "
      "containers:\n";
  for (int i = 0; i < n; ++i) {
    text += fmt::format(
        "      - name: c{}\n        image: registry.example.com/team/c{}:1.0.0  # automated\n", i,
        i);
  }
  return text;
}

// One workload of about 520 bytes, as repositories write them: 30,000 make
// a file of 15 MiB.
std::string Workload(int n) {
  return fmt::format(R"(---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{n}
  namespace: team-{t}
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.main: semver:~1.{m}
spec:
  selector:
    matchLabels: {{app.kubernetes.io/name: app-{n}}}
  template:
    metadata:
      labels: {{app.kubernetes.io/name: app-{n}}}
    spec:
      containers:
      - name: main
        image: registry.example.com/team-{t}/app-{n}:1.{m}.0
        ports:
        - containerPort: 8080
        resources:
          limits: {{cpu: 200m, memory: 256Mi}}
)",
                     fmt::arg("n", n), fmt::arg("t", n % 50), fmt::arg("m", n % 7));
}

std::string Workloads(int first, int count) {
  std::string text;
  for (int i = first; i < first + count; ++i) text += Workload(i);
  return text;
}

void RewriteOneFile(const stdfs::path& base, int n, ApplyMode mode) {
  stdfs::path root = base / fmt::format("rewrite-{}-{}", n, static_cast<int>(mode));
  WriteFile(root / "big.yaml", ManyContainers(n));
  std::vector<FileEdit> edits;
  for (int i = 0; i < n; ++i) {
    auto ref =
        tagflow::image::ImageRef::Parse(fmt::format("registry.example.com/team/c{}:1.0.1", i));
    edits.push_back({"big.yaml", ImageEdit{"team:deployment/big", fmt::format("c{}", i), *ref}});
  }
  tagflow::manifest::RealFilesystem fs;
  double before = StatusMiB("VmRSS:");
  ResetPeak();
  auto t0 = std::chrono::steady_clock::now();
  auto out = tagflow::manifest::ApplyFileEdits(fs, root.string(), edits, mode, false);
  auto t1 = std::chrono::steady_clock::now();
  double peak = StatusMiB("VmHWM:");
  if (!out || out->applied.size() != static_cast<std::size_t>(n)) {
    Die(fmt::format("rewrite of {} containers failed: {}", n,
                    out ? fmt::format("{} applied", out->applied.size()) : out.error().message));
  }
  double s = Seconds(t1 - t0);
  fmt::print(
      "rewrite {:>6} changed containers ({:>5.1f} MiB file, {}): {:>8.3f} s, {:>7.1f} us per "
      "container, peak RSS {:.0f} MiB (from {:.0f})\n",
      n, static_cast<double>(stdfs::file_size(root / "big.yaml")) / (1 << 20),
      mode == ApplyMode::kBestEffort ? "best effort" : "all or nothing", s, s * 1e6 / n, peak,
      before);
}

// `files` files of `workloads` workloads each; scans them and, with
// `rewrite`, then changes every image of the first file in that mode.
void ScanFiles(const stdfs::path& base, int files, int workloads,
               std::optional<ApplyMode> rewrite) {
  stdfs::path root = base / fmt::format("scan-{}x{}-{}", files, workloads,
                                        rewrite ? static_cast<int>(*rewrite) : -1);
  std::uintmax_t largest = 0;
  for (int f = 0; f < files; ++f) {
    stdfs::path p = root / fmt::format("f{}.yaml", f);
    WriteFile(p, Workloads(f * workloads, workloads));
    largest = std::max(largest, stdfs::file_size(p));
  }
  tagflow::manifest::RealFilesystem fs;
  double before = StatusMiB("VmRSS:");
  ResetPeak();
  auto t0 = std::chrono::steady_clock::now();
  auto scan = tagflow::manifest::Scan(fs, root.string(), {});
  auto t1 = std::chrono::steady_clock::now();
  double peak = StatusMiB("VmHWM:");
  ::malloc_trim(0);
  double after = StatusMiB("VmRSS:");
  if (!scan || scan->workloads.size() != static_cast<std::size_t>(files * workloads)) {
    Die(fmt::format("scan failed: {}",
                    scan ? fmt::format("{} workloads, {} problems: {}", scan->workloads.size(),
                                       scan->problems.size(),
                                       scan->problems.empty() ? "" : scan->problems[0].ToString())
                         : scan.error().message));
  }
  double mib = static_cast<double>(largest) / (1 << 20);
  fmt::print(
      "scan {} file(s) of {} workloads ({:.1f} MiB each): {:.3f} s, peak RSS {:.0f} MiB from "
      "{:.0f}: the result ({} workloads) keeps {:.0f} MiB, the rest of the peak is {:.0f} MiB "
      "({:.1f}x the largest file)\n",
      files, workloads, mib, Seconds(t1 - t0), peak, before, scan->workloads.size(), after - before,
      peak - after, (peak - after) / mib);
  std::fflush(stdout);
  if (!rewrite) return;
  std::vector<FileEdit> edits;
  for (const auto& w : scan->workloads) {
    if (w.file != "f0.yaml") continue;
    auto ref = w.containers[0].image.WithTag("2.0.0", "");
    edits.push_back({w.file, ImageEdit{w.id, "main", ref}});
  }
  before = StatusMiB("VmRSS:");
  ResetPeak();
  auto t2 = std::chrono::steady_clock::now();
  auto out = tagflow::manifest::ApplyFileEdits(fs, root.string(), edits, *rewrite, true);
  auto t3 = std::chrono::steady_clock::now();
  peak = StatusMiB("VmHWM:");
  if (!out || out->applied.size() != edits.size()) Die("rewrite failed");
  fmt::print(
      "rewrite of that {:.1f} MiB file, {} workloads changed ({}): {:.3f} s, peak RSS {:.0f} "
      "MiB (from {:.0f})\n",
      mib, edits.size(), *rewrite == ApplyMode::kBestEffort ? "best effort" : "all or nothing",
      Seconds(t3 - t2), peak, before);
}

}  // namespace

int main(int argc, char** argv) {
  int timeout = 300;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--timeout" && i + 1 < argc) timeout = std::atoi(argv[++i]);
    if (arg == "--quick") quick = true;
  }
  std::string tmpl = (stdfs::temp_directory_path() / "tagflow-rewrite-bench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return 1;
  stdfs::path base = tmpl;

  std::vector<int> sizes =
      quick ? std::vector<int>{250, 1000} : std::vector<int>{1000, 4000, 20000};
  for (ApplyMode mode : {ApplyMode::kBestEffort, ApplyMode::kAllOrNothing}) {
    for (int n : sizes) {
      InChild(fmt::format("rewrite {} containers", n), timeout,
              [&] { RewriteOneFile(base, n, mode); });
    }
  }
  int workloads = quick ? 3000 : 30000;
  for (ApplyMode mode : {ApplyMode::kBestEffort, ApplyMode::kAllOrNothing}) {
    InChild("scan and rewrite one file", timeout, [&] { ScanFiles(base, 1, workloads, mode); });
  }
  InChild("scan six files", timeout, [&] { ScanFiles(base, 6, workloads, std::nullopt); });
  stdfs::remove_all(base);
  return 0;
}
