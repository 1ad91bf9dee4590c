// Benchmark of one daemon cycle end to end (issue 5): a local docker-registry
// with 100 repositories x 3 tags, a bare git repository of 1,000 automated
// Deployments (500 files of 2 documents) using those 100 images, and the real
// `tagflow daemon --once` run as a child process (wall time, CPU time and
// peak RSS from wait4()).
//
// Every image has the tags 1.0.0, 1.1.0 and main-<sha> (newest). Per image,
// one staging workload follows `glob:main-*` and nine production workloads
// follow `semver:~1`, `glob:1.*`, `semver:^1.0` or `filter.fluxcd.io/app:
// semver:>=1.0.0`; everything starts at its newest tag. Runs, per mode:
//   cold        empty --cache-dir, nothing to change
//   warm        same cache, nothing to change (median of 5)
//   100 changes a new main-<sha> tag pushed to all 100 images: exactly the
//               100 staging containers move, in one commit (checked on the
//               bare repository: one commit, 100 image lines, 50 files)
// Modes (registry politeness): the defaults (--registry-rps 50, --registry-burst
// 10), Flux v1's defaults (200, 125), and no limit (--registry-rps 0), which
// leaves tagflow's own cost.
// Targets: warm under 2 s, 100 changes under 5 s, peak RSS under 50 MB.
//
// Each run is a whole `--once` process: start, fresh clone of the repo,
// scan, registry, plan, rewrite, commit, push. A long-running daemon keeps
// its clone and only fetches, so these are upper bounds for its cycles.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/time.h"
#include "test/support/git_server.h"
#include "test/support/registry_server.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using namespace tagflow;
using Wall = std::chrono::steady_clock;

constexpr int kImages = 100;
constexpr int kRoles = 10;  // workloads per image: 1 staging + 9 production
constexpr int kWorkloads = kImages * kRoles;
constexpr int kWarmRuns = 5;
constexpr double kWarmTarget = 2.0;
constexpr double kChangeTarget = 5.0;
constexpr double kRssTargetMb = 50.0;
constexpr auto kRunTimeout = std::chrono::seconds(180);

std::string Repo(int image) { return fmt::format("bench/svc-{:02}", image); }
std::string MainTag(int image, int build) {
  return fmt::format("main-{:07x}", (image * 7919 + build * 104729) & 0xfffffff);
}
std::string Created(int image, int step) {
  return FormatRfc3339(TimePoint(std::chrono::seconds(1'700'000'000 + step * 3600 + image)));
}

// One finished `tagflow` process.
struct Run {
  int exit_code = -1;
  double wall_s = 0;
  double cpu_s = 0;  // user + system
  double rss_mb = 0;
  std::string output;  // stdout + stderr
};

// Runs `binary args...` with stdout+stderr to `log`; waits with wait4() so the
// rusage is the child's own.
Run RunProcess(const std::string& binary, const std::vector<std::string>& args,
               const fs::path& log) {
  std::vector<std::string> argv_s = {binary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  Run run;
  pid_t pid = -1;
  auto t0 = Wall::now();
  int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error(fmt::format("cannot start {}: {}", binary, rc));
  // A hung run is killed after kRunTimeout (exit 137) instead of stalling the
  // benchmark.
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread watchdog([&] {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, kRunTimeout, [&] { return done; })) kill(pid, SIGKILL);
  });
  int status = 0;
  struct rusage usage {};
  pid_t waited = wait4(pid, &status, 0, &usage);
  {
    std::lock_guard lock(mu);
    done = true;
  }
  cv.notify_one();
  watchdog.join();
  if (waited != pid) throw std::runtime_error("wait4 failed");
  run.wall_s = std::chrono::duration<double>(Wall::now() - t0).count();
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.cpu_s = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
              usage.ru_stime.tv_usec / 1e6;
  run.rss_mb = usage.ru_maxrss / 1024.0;  // KiB on Linux
  run.output = testing::ReadFile(log);
  return run;
}

// The filter and namespace of each role; role 0 is staging.
struct Role {
  std::string ns;
  std::string annotation;  // the filter annotation line, indented
};

Role RoleOf(int role) {
  if (role == 0) return {"staging", "fluxcd.io/tag.app: glob:main-*"};
  std::string ns = fmt::format("prod-{}", role);
  switch (role % 4) {
    case 0:
      return {ns, "fluxcd.io/tag.app: semver:~1"};
    case 1:
      return {ns, "fluxcd.io/tag.app: glob:1.*"};
    case 2:
      return {ns, "fluxcd.io/tag.app: \"semver:^1.0\""};
    default:
      return {ns, "filter.fluxcd.io/app: semver:>=1.0.0"};
  }
}

// One Deployment document, as a person would write it.
std::string Workload(const std::string& host, int w) {
  int image = w % kImages;
  int role = w / kImages;
  Role r = RoleOf(role);
  std::string tag = role == 0 ? MainTag(image, 0) : "1.1.0";
  std::string ref = fmt::format("{}/{}:{}", host, Repo(image), tag);
  std::string image_line = w % 3 == 0 ? fmt::format("\"{}\"", ref) : ref;
  return fmt::format(
      R"(# svc-{img:02} in {ns}: owned by team-{team}.
# The image tag below is bumped by tagflow; do not pin it by hand.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-{img:02}
  namespace: {ns}
  labels:
    app.kubernetes.io/name: svc-{img:02}
    app.kubernetes.io/part-of: shop   # used by the dashboards
  annotations:
    fluxcd.io/automated: "true"
    {filter}
spec:
  replicas: {replicas}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: svc-{img:02}
  strategy:
    type: RollingUpdate
    rollingUpdate: {{maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: svc-{img:02}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9090"
    spec:
      serviceAccountName: svc-{img:02}
      containers:
        - name: app
          image: {image}  # release channel: {ns}
          imagePullPolicy: IfNotPresent
          args: ["--port=8080", "--metrics-port=9090"]
          ports:
            - name: http
              containerPort: 8080
            - name: metrics
              containerPort: 9090
          env:
            - name: LOG_LEVEL
              value: "info"
            - name: REGION
              value: {ns}
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
          readinessProbe:
            httpGet: {{path: /healthz, port: http}}
            periodSeconds: 10
)",
      fmt::arg("img", image), fmt::arg("ns", r.ns), fmt::arg("team", image % 12),
      fmt::arg("filter", r.annotation), fmt::arg("replicas", 2 + role % 3),
      fmt::arg("image", image_line));
}

// 500 files of 2 documents: workloads 2k and 2k+1 share a file.
std::map<std::string, std::string> RepoFiles(const std::string& host) {
  std::map<std::string, std::string> files;
  for (int w = 0; w < kWorkloads; w += 2) {
    std::string path = fmt::format("apps/{}/svc-{:02}-{:02}.yaml", RoleOf(w / kImages).ns,
                                   w % kImages, (w + 1) % kImages);
    files[path] = Workload(host, w) + "---\n" + Workload(host, w + 1);
  }
  files["README.md"] = "Manifests of the shop, kept up to date by tagflow.\n";
  return files;
}

void PushImages(testing::RegistryServer& server, int build) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      auto pusher = server.NewPusher();
      for (int i = next++; i < kImages; i = next++) {
        auto push = [&](const std::string& tag, int step) {
          testing::SyntheticImage image;
          image.created = Created(i, step);
          image.salt = tag;
          pusher->PushImage(Repo(i), tag, image);
        };
        if (build == 0) {
          push("1.0.0", 0);
          push("1.1.0", 1);
        }
        push(MainTag(i, build), 2 + build);
      }
    });
  }
  for (auto& t : threads) t.join();
}

int CountLines(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

// Checks the change commit on the bare repository; "" when it is right.
std::string CheckChangeCommit(const fs::path& bare, const std::string& base) {
  std::string head = testing::GitRevParse(bare, "master");
  if (head == base) return "no commit landed";
  std::string count = testing::GitOutput(bare, "rev-list --count " + base + "..master");
  if (std::stoi(count) != 1) return fmt::format("{} commits landed, want 1", std::stoi(count));
  int added = 0, deleted = 0, files = 0;
  std::istringstream numstat(testing::GitOutput(bare, "diff --numstat " + base + " master"));
  for (int a, d; numstat >> a >> d;) {
    std::string path;
    numstat >> path;
    added += a;
    deleted += d;
    ++files;
  }
  std::string diff = testing::GitOutput(bare, "diff -U0 " + base + " master");
  int image_plus = CountLines(diff, "+          image: ");
  int new_tags = 0;
  for (int i = 0; i < kImages; ++i) new_tags += CountLines(diff, Repo(i) + ":" + MainTag(i, 1));
  if (added != kImages || deleted != kImages || image_plus != kImages || new_tags != kImages ||
      files != kImages / 2) {
    return fmt::format("diff: +{} -{} lines in {} files, {} image lines, {} new tags", added,
                       deleted, files, image_plus, new_tags);
  }
  return "";
}

struct Mode {
  std::string name;
  std::vector<std::string> flags;
  testing::TempDir cache;
  Run cold;
  std::vector<Run> warm;
  Run change;
  std::string change_check;
  double Median() const {
    std::vector<double> w;
    for (const Run& r : warm) w.push_back(r.wall_s);
    std::sort(w.begin(), w.end());
    return w.empty() ? 0 : w[w.size() / 2];
  }
  double WarmRss() const {
    double m = 0;
    for (const Run& r : warm) m = std::max(m, r.rss_mb);
    return m;
  }
  double PeakRss() const { return std::max({cold.rss_mb, WarmRss(), change.rss_mb}); }
  bool Ok() const {
    bool ok = cold.exit_code == 0 && change.exit_code == 0 && change_check.empty();
    for (const Run& r : warm) ok = ok && r.exit_code == 0;
    return ok;
  }
};

std::string PassMiss(double value, double target) { return value < target ? "PASS" : "MISS"; }

void PrintRun(const char* what, const Run& r, const std::string& note) {
  fmt::print("  {:<28} {:7.3f} s  cpu {:6.3f} s  peak RSS {:6.1f} MB  exit {}  {}\n", what,
             r.wall_s, r.cpu_s, r.rss_mb, r.exit_code, note);
  if (r.exit_code != 0)
    fmt::print("---- tagflow output ----\n{}------------------------\n", r.output);
  std::fflush(stdout);
}

}  // namespace

int main() {
  const std::string binary = TAGFLOW_BINARY;
  testing::RegistryServer server;
  const std::string host = server.host();
  auto t0 = Wall::now();
  PushImages(server, 0);
  double push_s = std::chrono::duration<double>(Wall::now() - t0).count();

  testing::TempDir work;
  const fs::path bare = work.path() / "manifests.git";
  t0 = Wall::now();
  std::map<std::string, std::string> files = RepoFiles(host);
  size_t bytes = 0;
  for (const auto& [path, text] : files) bytes += text.size();
  const std::string base = testing::CreateBareRepo(bare, files);
  double repo_s = std::chrono::duration<double>(Wall::now() - t0).count();
  fmt::print(
      "setup: registry {}: {} images ({} repositories x 3 tags) pushed in {:.1f} s; repo of {} "
      "workloads in {} files ({} KB) in {:.1f} s\n",
      host, kImages * 3, kImages, push_s, kWorkloads, files.size() - 1, bytes / 1024, repo_s);
  std::fflush(stdout);

  std::vector<Mode> modes(3);
  modes[0].name = "default rps 50, burst 10";
  modes[1].name = "rps 200, burst 125 (Flux v1)";
  modes[1].flags = {"--registry-rps", "200", "--registry-burst", "125"};
  modes[2].name = "rps 0 (no limit)";
  modes[2].flags = {"--registry-rps", "0"};
  auto args = [&](const Mode& m) {
    std::vector<std::string> a = {"daemon",
                                  "--once",
                                  "--git-url",
                                  "file://" + bare.string(),
                                  "--git-branch",
                                  "master",
                                  "--registry-insecure-host",
                                  host,
                                  "--cache-dir",
                                  m.cache.path().string(),
                                  "--listen",
                                  "127.0.0.1:0",
                                  "--log-level",
                                  "warn"};
    a.insert(a.end(), m.flags.begin(), m.flags.end());
    return a;
  };
  const fs::path log = work.path() / "tagflow.log";
  auto no_commit = [&](const Run& r) {
    return testing::GitRevParse(bare, "master") == base && CountLines(r.output, " -> ") == 0
               ? "ok (no commit)"
               : "WRONG: something changed";
  };

  // Nothing to change: cold, then warm.
  for (Mode& m : modes) {
    fmt::print("{}\n", m.name);
    m.cold = RunProcess(binary, args(m), log);
    PrintRun("cold (empty cache)", m.cold, no_commit(m.cold));
    std::string times;
    for (int i = 0; i < kWarmRuns; ++i) {
      m.warm.push_back(RunProcess(binary, args(m), log));
      times += fmt::format("{}{:.3f}", i ? " " : "", m.warm.back().wall_s);
      if (m.warm.back().exit_code != 0 || testing::GitRevParse(bare, "master") != base)
        PrintRun("warm", m.warm.back(), no_commit(m.warm.back()));
    }
    double cpu = 0;
    for (const Run& r : m.warm) cpu += r.cpu_s / kWarmRuns;
    fmt::print("  {:<28} {:7.3f} s  cpu {:6.3f} s  peak RSS {:6.1f} MB  (median of {}: {} s)\n",
               "warm, nothing to change", m.Median(), cpu, m.WarmRss(), kWarmRuns, times);
    std::fflush(stdout);
  }

  // 100 changes: a new newest main-* tag on every image moves the 100
  // staging containers. Each mode starts from the same commit and sync tag.
  std::string sync_tag = testing::GitOutput(bare, "rev-parse -q --verify refs/tags/flux-sync");
  while (!sync_tag.empty() && std::isspace(static_cast<unsigned char>(sync_tag.back())))
    sync_tag.pop_back();
  PushImages(server, 1);
  for (Mode& m : modes) {
    testing::GitOutput(bare, "update-ref refs/heads/master " + base);
    if (!sync_tag.empty()) testing::GitOutput(bare, "update-ref refs/tags/flux-sync " + sync_tag);
    m.change = RunProcess(binary, args(m), log);
    m.change_check = CheckChangeCommit(bare, base);
    int printed = CountLines(m.change.output, " -> ");
    if (m.change_check.empty() && printed != kImages)
      m.change_check = fmt::format("tagflow printed {} changes", printed);
    fmt::print("{}\n", m.name);
    PrintRun("100 changes, one commit", m.change,
             m.change_check.empty() ? "ok (1 commit, 100 image lines in 50 files)"
                                    : "WRONG: " + m.change_check);
  }

  fmt::print("\nsummary ({} workloads, {} images, whole `tagflow daemon --once` runs)\n",
             kWorkloads, kImages);
  fmt::print("  {:<32} {:>8}", "", "target");
  for (const Mode& m : modes) fmt::print("  {:>28}", m.name);
  fmt::print("\n");
  auto row = [&](const char* what, double target, const char* unit, auto value) {
    fmt::print("  {:<32} {:>5} {:<2}", what, target > 0 ? fmt::format("< {}", target) : "-", unit);
    for (const Mode& m : modes) {
      double v = value(m);
      fmt::print("  {:>20.3f} {:<2} {:<4}", v, unit, target > 0 ? PassMiss(v, target) : "");
    }
    fmt::print("\n");
  };
  row("cold cycle (empty cache)", 0, "s", [](const Mode& m) { return m.cold.wall_s; });
  row("warm, nothing to change", kWarmTarget, "s", [](const Mode& m) { return m.Median(); });
  row("100 changes, one commit", kChangeTarget, "s", [](const Mode& m) { return m.change.wall_s; });
  row("peak RSS (all runs)", kRssTargetMb, "MB", [](const Mode& m) { return m.PeakRss(); });
  bool ok = true;
  for (const Mode& m : modes) ok = ok && m.Ok();
  fmt::print("correctness: {}\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
