// Benchmark of digest tracking (issue 11): what a warm cycle asks of the
// registry when 100 containers follow mutable tags by digest
// (`tagflow.io/digest: "true"`, `glob:stable`). A local docker-registry with
// 100 repositories (tags 1.0.0, 1.1.0, stable), a bare git repository of 100
// automated Deployments, and the real `tagflow daemon --once` as a child
// process; requests are counted from the registry's access log by method and
// kind. Runs:
//   pin     empty cache: writes `stable@sha256:...` for all 100 (one commit)
//   warm    nothing moved: expected 100 tag lists + 100 HEADs, 0 manifest GETs
//   repush  10 `stable` tags pushed again with new images: 10 changes, one
//           commit, still 100 HEADs and 0 manifest GETs
// The comparison: a GET-based digest strategy (Argo CD Image Updater's
// `digest`) costs 100 manifest GETs per cycle, each a pull on Docker Hub;
// a HEAD is not counted as one.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "base/time.h"
#include "test/support/git_server.h"
#include "test/support/process.h"
#include "test/support/registry_server.h"

namespace {

namespace fs = std::filesystem;
using namespace tagflow;
using namespace tagflow::testing;
using Wall = std::chrono::steady_clock;

constexpr int kImages = 100;

std::string Repo(int i) { return fmt::format("bench/app-{:03}", i); }

std::string Created(int i, int day) {
  return FormatRfc3339(TimePoint(std::chrono::seconds(1'700'000'000 + day * 86400 + i)));
}

std::string Deployment(int i, const std::string& host) {
  return fmt::format(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{0:03}\n  annotations:\n"
      "    fluxcd.io/automated: \"true\"\n    fluxcd.io/tag.app: glob:stable\n"
      "    tagflow.io/digest: \"true\"\n"
      "spec:\n  template:\n    spec:\n      containers:\n      - name: app\n"
      "        image: {1}/{2}:stable\n",
      i, host, Repo(i));
}

// Requests in `log` from `from` on, by "METHOD kind".
std::map<std::string, int> Requests(const std::string& log, size_t from) {
  static const std::regex line(R"re("(GET|HEAD|POST|PUT) (/v2/[^ ?"]*)[^"]*")re");
  std::map<std::string, int> out;
  std::string rest = log.substr(from);
  for (std::sregex_iterator it(rest.begin(), rest.end(), line), end; it != end; ++it) {
    std::string method = (*it)[1], path = (*it)[2];
    std::string kind = path == "/v2/"                                  ? "ping"
                       : path.ends_with("/tags/list")                  ? "tag list"
                       : path.find("/manifests/") != std::string::npos ? "manifest"
                       : path.find("/blobs/") != std::string::npos     ? "blob"
                                                                       : "other";
    ++out[method + " " + kind];
  }
  return out;
}

struct Run {
  int exit_code;
  double seconds;
  std::map<std::string, int> requests;
};

}  // namespace

int main() {
  RegistryServer registry(RegistryServer::Options{.access_log = true});
  std::string host = registry.host();
  TempDir dir;
  auto push_start = Wall::now();
  std::map<std::string, std::string> files;
  for (int i = 0; i < kImages; ++i) {
    registry.PushImage(Repo(i), "1.0.0", {.created = Created(i, 1)});
    registry.PushImage(Repo(i), "1.1.0", {.created = Created(i, 2)});
    registry.PushImage(Repo(i), "stable", {.created = Created(i, 2), .salt = "stable"});
    files[fmt::format("apps/app-{:03}.yaml", i)] = Deployment(i, host);
  }
  fs::path repo = dir.path() / "manifests.git";
  CreateBareRepo(repo, files);
  std::printf("setup: %d repositories x 3 tags pushed, %d digest-tracked Deployments, in %.1f s\n",
              kImages, kImages, std::chrono::duration<double>(Wall::now() - push_start).count());

  auto run = [&](const char* name) {
    size_t seen = registry.Log().size();
    auto start = Wall::now();
    Subprocess proc(
        {.argv = {TAGFLOW_BINARY, "daemon", "--once", "--git-url", "file://" + repo.string(),
                  "--cache-dir", (dir.path() / "cache").string(), "--registry-insecure-host", host,
                  "--registry-rps", "0", "--listen", "127.0.0.1:0"},
         .env = {{"HOME", dir.path().string()}},
         .log_path = dir.path() / fmt::format("{}.log", name)});
    Run r{proc.Wait(std::chrono::seconds(300)),
          std::chrono::duration<double>(Wall::now() - start).count(),
          {}};
    // The access log is written as requests finish: let it settle.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    r.requests = Requests(registry.Log(), seen);
    int total = 0;
    std::string by_kind;
    for (const auto& [kind, n] : r.requests) {
      total += n;
      by_kind += fmt::format("  {}={}", kind, n);
    }
    std::printf("%-7s exit=%d  %.2f s  requests=%d:%s\n", name, r.exit_code, r.seconds, total,
                by_kind.c_str());
    if (r.exit_code != 0) std::printf("%s\n", proc.Output().c_str());
    return r;
  };

  Run pin = run("pin");
  Run warm = run("warm");
  for (int i = 0; i < 10; ++i) {
    registry.PushImage(Repo(i), "stable", {.created = Created(i, 3), .salt = "re-pushed"});
  }
  std::string before = GitRevParse(repo, "master");
  Run repush = run("repush");
  std::string subject;
  RunShell("git --git-dir " + ShellQuote(repo.string()) + " log -1 --format=%s", &subject);
  std::printf("repush commit: %s", subject.c_str());

  int heads = warm.requests["HEAD manifest"];
  int gets = warm.requests["GET manifest"];
  std::printf(
      "warm cycle, %d digest-tracked containers: %d tag lists + %d HEADs, %d manifest GETs "
      "(a GET-based digest check: %d manifest GETs, each a Docker Hub pull)\n",
      kImages, warm.requests["GET tag list"], heads, gets, kImages);
  bool ok = pin.exit_code == 0 && warm.exit_code == 0 && repush.exit_code == 0 &&
            heads == kImages && gets == 0 && repush.requests["HEAD manifest"] == kImages &&
            repush.requests["GET manifest"] == 0 && GitRevParse(repo, "master") != before &&
            subject.starts_with("Auto-release multiple (10) images");
  std::printf("%s\n", ok ? "OK" : "UNEXPECTED");
  return ok ? 0 : 1;
}
