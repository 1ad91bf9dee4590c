// Benchmark of many daemons on one Redis and of one daemon on a big
// repository (issue 14). Real docker-registry (its access log counts the
// requests), real redis-server, real `tagflow daemon` processes.
//
//   1. registry requests per interval for N = 1, 10, 50 daemons, each on
//      its own repository of 20 Deployments using the same 20 images, all
//      with --cache-url on one Redis (and N = 10 without it, for contrast):
//      steady state over 3 intervals after the first update has landed.
//   2. writer lease takeover: two daemons on one repository, the holder
//      SIGKILLed; seconds until the other one holds the lease.
//   3. memory: one daemon on a repository of 10,000 workloads (5,000 files
//      of 2 Deployments, 100 images, 201 commits); VmHWM (peak) after 4 cycles and VmRSS
//      between cycles, from /proc/<pid>/status.
// Targets: requests per interval flat in N; takeover < 20 s; peak RSS
// < 30 MB; steady state < 20 MB.
#include <fmt/format.h>
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test/support/daemon_process.h"
#include "test/support/git_server.h"
#include "test/support/process.h"
#include "test/support/redis_server.h"
#include "test/support/registry_server.h"

namespace {

namespace fs = std::filesystem;
using namespace tagflow::testing;
using Steady = std::chrono::steady_clock;
using std::chrono::seconds;

constexpr int kImages = 20;
constexpr auto kInterval = seconds(10);
constexpr int kHistory = 200;  // commits of the big repository after its first

std::string Day(int day) { return fmt::format("2026-01-{:02d}T10:00:00Z", day); }
std::string ImageRepo(int i) { return fmt::format("bench/img-{:02d}", i); }

std::string Deployment(const std::string& name, const std::string& ns, const std::string& image,
                       const std::string& filter) {
  return fmt::format(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: {0}
  namespace: {1}
  labels:
    app.kubernetes.io/name: {0}
  annotations:
    fluxcd.io/automated: "true"
    {3}
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: {0}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {0}
    spec:
      containers:
        - name: app
          image: {2}
          ports:
            - containerPort: 8080
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
)",
                     name, ns, image, filter);
}

using Daemon = DaemonProcess;

class Bench {
 public:
  Bench() : registry_(RegistryServer::Options{.access_log = true}) {
    for (int i = 0; i < kImages; ++i) {
      registry_.PushImage(ImageRepo(i), "v1", {.created = Day(1), .salt = ImageRepo(i) + ":v1"});
      registry_.PushImage(ImageRepo(i), "v2", {.created = Day(2), .salt = ImageRepo(i) + ":v2"});
    }
  }

  fs::path SmallRepo(const std::string& name) {
    std::map<std::string, std::string> files;
    for (int i = 0; i < kImages; ++i) {
      files[fmt::format("apps/svc-{:02d}.yaml", i)] =
          Deployment(fmt::format("svc-{:02d}", i), "default",
                     registry_.host() + "/" + ImageRepo(i) + ":v1", "fluxcd.io/tag.app: v*");
    }
    fs::path repo = dir_.path() / name;
    CreateBareRepo(repo, files);
    return repo;
  }

  Daemon Start(const fs::path& repo, const std::string& cache_url, const std::string& name,
               std::chrono::seconds interval, const std::string& log_level = "warn") {
    Daemon d;
    d.port = FreePort();
    std::vector<std::string> argv = {TAGFLOW_BINARY,
                                     "daemon",
                                     "--git-url",
                                     "file://" + repo.string(),
                                     "--cache-dir",
                                     (dir_.path() / ("cache-" + name)).string(),
                                     "--registry-insecure-host",
                                     registry_.host(),
                                     "--listen",
                                     "127.0.0.1:" + std::to_string(d.port),
                                     "--automation-interval",
                                     fmt::format("{}s", interval.count()),
                                     "--git-poll-interval",
                                     "1h",
                                     "--log-level",
                                     log_level};
    if (!cache_url.empty()) argv.insert(argv.end(), {"--cache-url", cache_url});
    d.proc = std::make_unique<Subprocess>(
        Subprocess::Options{.argv = argv, .log_path = dir_.path() / ("daemon-" + name + ".log")});
    return d;
  }

  // Registry API requests (tag lists, manifests, blobs) in `log`.
  static std::map<std::string, int> Count(const std::string& log) {
    std::map<std::string, int> n;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);) {
      if (line.find("\"GET /v2/bench/") == std::string::npos) continue;
      if (line.find("/tags/list") != std::string::npos) ++n["tags"];
      if (line.find("/manifests/") != std::string::npos) ++n["manifests"];
      if (line.find("/blobs/") != std::string::npos) ++n["blobs"];
    }
    return n;
  }

  bool AllAt(const fs::path& repo, const std::string& tag) {
    std::string out = GitOutput(repo, "show master:apps/svc-19.yaml");
    return out.find(":" + tag + "\n") != std::string::npos;
  }

  // N daemons on N repositories; returns {cold requests, requests per interval}.
  void RequestsPerInterval(int n, bool redis_on) {
    std::unique_ptr<RedisServer> redis;
    if (redis_on) redis = std::make_unique<RedisServer>();
    std::string before = registry_.Log();
    std::vector<fs::path> repos;
    std::vector<Daemon> daemons;
    for (int r = 0; r < n; ++r)
      repos.push_back(SmallRepo(fmt::format("n{}-{}-{}.git", n, redis_on, r)));
    auto t0 = Steady::now();
    for (int r = 0; r < n; ++r) {
      daemons.push_back(Start(repos[r], redis ? redis->Url() : "",
                              fmt::format("n{}-{}-{}", n, redis_on, r), kInterval));
    }
    bool ok = WaitFor(
        [&] {
          return std::all_of(repos.begin(), repos.end(), [&](auto& r) { return AllAt(r, "v2"); });
        },
        seconds(120));
    double first_s = std::chrono::duration<double>(Steady::now() - t0).count();
    std::this_thread::sleep_for(seconds(2));
    std::string mid = registry_.Log();
    auto cold = Count(mid.substr(before.size()));
    std::this_thread::sleep_for(3 * kInterval);
    auto steady = Count(registry_.Log().substr(mid.size()));
    fmt::print(
        "  N={:<3} {:<12} first update everywhere after {:5.1f} s{}; first interval: {:4} tag "
        "lists, {:4} manifests, {:4} blobs; steady state per interval: {:6.1f} tag lists, {:4.1f} "
        "manifests, {:4.1f} blobs ({} images)\n",
        n, redis_on ? "shared Redis" : "no Redis", first_s, ok ? "" : " (NOT ALL UPDATED)",
        cold["tags"], cold["manifests"], cold["blobs"], steady["tags"] / 3.0,
        steady["manifests"] / 3.0, steady["blobs"] / 3.0, kImages);
    std::fflush(stdout);
    for (auto& d : daemons) d.proc->Signal(SIGTERM);
    for (auto& d : daemons) d.proc->Wait(seconds(10));
  }

  double Takeover() {
    RedisServer redis;
    fs::path repo = SmallRepo("takeover.git");
    Daemon a = Start(repo, redis.Url(), "take-a", seconds(30));
    WaitFor([&] { return a.Get("/readyz").find("holder") != std::string::npos; });
    Daemon b = Start(repo, redis.Url(), "take-b", seconds(30));
    WaitFor([&] { return b.Get("/readyz").find("standby") != std::string::npos; });
    a.proc->Signal(SIGKILL);
    auto killed = Steady::now();
    bool ok =
        WaitFor([&] { return b.Get("/readyz").find("holder") != std::string::npos; }, seconds(40));
    double s = std::chrono::duration<double>(Steady::now() - killed).count();
    return ok ? s : -1;
  }

  // 10,000 workloads in 5,000 files over 100 images (the 20 above x 5 names
  // each... here: 100 repositories of 2 tags), 1% of them one tag behind.
  void Memory() {
    for (int i = kImages; i < 100; ++i) {
      registry_.PushImage(fmt::format("bench/big-{:03d}", i), "v1",
                          {.created = Day(1), .salt = fmt::format("big-{}:v1", i)});
      registry_.PushImage(fmt::format("bench/big-{:03d}", i), "v2",
                          {.created = Day(2), .salt = fmt::format("big-{}:v2", i)});
    }
    auto image = [&](int w) {
      int i = w % 100;
      std::string repo = i < kImages ? ImageRepo(i) : fmt::format("bench/big-{:03d}", i);
      return registry_.host() + "/" + repo + (w % 100 == w / 100 ? ":v1" : ":v2");
    };
    const char* filters[] = {"fluxcd.io/tag.app: glob:v*", "fluxcd.io/tag.app: semver:~1",
                             "fluxcd.io/tag.app: regex:^v[0-9]+$", "note: default"};
    std::map<std::string, std::string> files;
    for (int w = 0; w < 10'000; w += 2) {
      std::string text;
      for (int k = w; k < w + 2; ++k) {
        if (k > w) text += "---\n";
        text += Deployment(fmt::format("svc-{:05d}", k), fmt::format("team-{:02d}", k % 50),
                           image(k), filters[(k / 100) % 4 == 1 ? 0 : (k / 100) % 4]);
      }
      files[fmt::format("apps/team-{:02d}/svc-{:05d}.yaml", w % 50, w)] = text;
    }
    fs::path repo = dir_.path() / "big.git";
    fs::path tree = dir_.path() / "big-tree";
    for (const auto& [path, text] : files) WriteFile(tree / path, text);
    std::string out;
    // A history, as a real repository has: 200 commits after the first, each
    // scaling 25 Deployments (no image change), for the rollback check's
    // 500-commit walk over the 5,000 files.
    int rc = RunShell(
        fmt::format("git init -q --bare -b master {0} && cd {1} && git init -q -b master && "
                    "git add -A && git -c user.name=Seeder -c user.email=seeder@example.com "
                    "commit -q -m 'Initial commit' && for c in $(seq 1 {2}); do "
                    "for f in $(ls apps/team-*/*.yaml | awk -v c=$c 'NR > (c - 1) * 25 && NR <= c "
                    "* 25'); do "
                    "sed -i \"s/replicas: .*/replicas: $((c + 2))/\" $f; done && "
                    "git -c user.name=Seeder -c user.email=seeder@example.com commit -q -am "
                    "\"scale $c\"; done && git push -q {0} master",
                    ShellQuote(repo.string()), ShellQuote(tree.string()), kHistory),
        &out, seconds(600));
    if (rc != 0) throw std::runtime_error("creating the big repository failed: " + out);
    Daemon d = Start(repo, "", "big", seconds(8), "info");
    std::vector<double> between;
    double first_hwm = 0, hwm = 0, anon = 0, file = 0;
    for (int cycle = 1; cycle <= 4; ++cycle) {
      WaitFor(
          [&] {
            return d.Metric("tagflow_cycles_total{result=\"ok\"}") +
                       std::max(0.0, d.Metric("tagflow_cycles_total{result=\"error\"}")) >=
                   cycle;
          },
          seconds(60));
      std::this_thread::sleep_for(seconds(3));  // idle, between cycles
      auto status = ReadFile(fs::path("/proc") / std::to_string(d.proc->pid()) / "status");
      auto kib = [&](const std::string& key) {
        size_t at = status.find(key);
        return at == std::string::npos ? -1.0 : std::stod(status.substr(at + key.size())) / 1024.0;
      };
      between.push_back(kib("VmRSS:"));
      if (cycle == 1) {
        // The first cycle clones the whole repository (libgit2 indexes the
        // pack); the later ones are what the pod lives with. Resetting VmHWM
        // (proc(5): clear_refs "5") splits the two peaks.
        first_hwm = kib("VmHWM:");
        WriteFile(fs::path("/proc") / std::to_string(d.proc->pid()) / "clear_refs", "5");
      }
      hwm = kib("VmHWM:");
      anon = kib("RssAnon:");
      file = kib("RssFile:");
    }
    // Where the file-backed pages are: resident KiB per mapped file, top 6.
    std::map<std::string, double> by_file;
    {
      std::istringstream smaps(
          ReadFile(fs::path("/proc") / std::to_string(d.proc->pid()) / "smaps"));
      std::string mapping;
      for (std::string line; std::getline(smaps, line);) {
        if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) &&
            line.find('-') < 16) {
          size_t slash = line.find('/');
          mapping = slash == std::string::npos ? "" : line.substr(slash);
        } else if (line.starts_with("Rss:") && !mapping.empty()) {
          by_file[fs::path(mapping).filename().string()] += std::stod(line.substr(4)) / 1024.0;
        }
      }
    }
    std::vector<std::pair<double, std::string>> top;
    for (const auto& [f, mib] : by_file) top.emplace_back(mib, f);
    std::sort(top.rbegin(), top.rend());
    std::string files_text;
    for (size_t i = 0; i < top.size() && i < 6; ++i) {
      files_text += fmt::format("{}{} {:.1f}", i ? ", " : "", top[i].second, top[i].first);
    }
    std::string log = GitOutput(repo, "log --oneline master");
    int commits = static_cast<int>(std::count(log.begin(), log.end(), '\n'));
    fmt::print(
        "  10,000 workloads, 5,000 files, 100 images, {} commits: peak RSS (VmHWM) {:.1f} MiB in "
        "the first cycle (clone, 100 updates), {:.1f} MiB in cycles 2-4 (target < 30); "
        "RSS between cycles {:.1f} / {:.1f} / {:.1f} / {:.1f} MiB (target < 20; the last: {:.1f} "
        "anonymous, {:.1f} file-backed); {} commits\n",
        kHistory + 1, first_hwm, hwm, between[0], between[1], between[2], between[3], anon, file,
        commits);
    fmt::print("  file-backed resident MiB by file (top 6): {}\n", files_text);
    d.proc->Signal(SIGTERM);
    d.proc->Wait(seconds(10));
  }

 private:
  TempDir dir_;
  RegistryServer registry_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string only = argc > 1 ? argv[1] : "";
  Bench bench;
  if (only.empty() || only == "requests") {
    fmt::print(
        "registry requests per {} s interval, daemons on their own repositories of {} "
        "Deployments using the same {} images:\n",
        kInterval.count(), kImages, kImages);
    bench.RequestsPerInterval(10, false);
    for (int n : {1, 10, 50}) bench.RequestsPerInterval(n, true);
  }
  if (only.empty() || only == "lease") {
    double s = bench.Takeover();
    fmt::print("writer lease takeover after SIGKILL of the holder: {:.1f} s (target < 20 s)\n", s);
  }
  if (only.empty() || only == "memory") {
    fmt::print("memory of one daemon (no Redis):\n");
    bench.Memory();
  }
  return 0;
}
