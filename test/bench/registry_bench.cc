// Registry scan benchmark (issue 4): a local docker-registry with R
// repositories x T tags and time-ordered filters.
//   cold cycle     wall time and requests (tag lists, manifests, configs)
//   warm cycle     nothing new: requests must equal R
//   restart        a new process state on the same --cache-dir: no manifest
//                  or blob request
//   skopeo         what a user would script instead: `skopeo list-tags` plus
//                  `skopeo inspect` per tag, on a sample of repositories,
//                  extrapolated to R; printed as a ratio to tagflow
// Usage: bench_registry_bench [--repos R] [--tags T] [--skopeo-repos S]
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/time.h"
#include "registry/service.h"
#include "test/support/registry_server.h"

namespace {

using namespace tagflow;
using namespace tagflow::registry;
using image::ImageRef;
using image::TagFilter;
using image::TagInfo;
using Wall = std::chrono::steady_clock;

double Seconds(Wall::duration d) { return std::chrono::duration<double>(d).count(); }

struct Args {
  int repos = 50;
  int tags = 200;
  int skopeo_repos = 2;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int value = std::atoi(argv[i + 1]);
    if (flag == "--repos") a.repos = value;
    if (flag == "--tags") a.tags = value;
    if (flag == "--skopeo-repos") a.skopeo_repos = value;
  }
  return a;
}

std::string Repo(int r) { return fmt::format("bench/app-{:02}", r); }

std::string Created(int r, int t) {
  // Distinct, increasing per tag; repositories interleaved.
  return FormatRfc3339(TimePoint(std::chrono::seconds(1'700'000'000 + t * 3600 + r)));
}

}  // namespace

int main(int argc, char** argv) {
  Args args = Parse(argc, argv);
  spdlog::set_level(spdlog::level::warn);
  // The registry's storage (100k small files) on tmpfs when there is one:
  // pushing and deleting them on a slow disk would dominate the run. The
  // tagflow cache stays on the ordinary $TMPDIR.
  const char* tmpdir = std::getenv("TMPDIR");
  std::string saved_tmpdir = tmpdir ? tmpdir : "";
  if (std::filesystem::is_directory("/dev/shm")) setenv("TMPDIR", "/dev/shm", 1);
  testing::RegistryServer server;
  if (tmpdir) {
    setenv("TMPDIR", saved_tmpdir.c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
  std::string host = server.host();

  // Push R x T images: one shared layer, a config and a manifest per tag.
  auto push_start = Wall::now();
  {
    std::atomic<int> next{0};
    std::vector<std::thread> pushers;
    for (int w = 0; w < 4; ++w) {
      pushers.emplace_back([&] {
        auto pusher = server.NewPusher();
        for (int r = next++; r < args.repos; r = next++) {
          for (int t = 0; t < args.tags; ++t) {
            testing::SyntheticImage image;
            image.created = Created(r, t);
            image.oci = t % 2 == 1;
            pusher->PushImage(Repo(r), fmt::format("build-{}", t), image);
          }
        }
      });
    }
    for (auto& p : pushers) p.join();
  }
  double push_s = Seconds(Wall::now() - push_start);
  fmt::print("setup: pushed {} images ({} repositories x {} tags) in {:.1f} s\n",
             args.repos * args.tags, args.repos, args.tags, push_s);
  std::fflush(stdout);

  testing::TempDir cache_dir;
  RegistryOptions options;
  options.insecure_hosts = {host};
  options.rps = 0;  // loopback: measure tagflow, not the politeness limit
  options.cache_dir = cache_dir.path().string();
  SystemClock clock;
  std::vector<ScanTarget> targets;
  for (int r = 0; r < args.repos; ++r) {
    targets.push_back(
        {*ImageRef::Parse(host + "/" + Repo(r)), {*TagFilter::Parse("glob:build-*")}, {}});
  }
  auto check = [&](const std::map<std::string, RepositoryScan>& scans) {
    int ok = 0;
    for (const auto& [name, scan] : scans) {
      if (!scan.tags) {
        fmt::print(stderr, "scan failed: {}: {}\n", name, scan.tags.error().message);
        continue;
      }
      std::vector<TagInfo> infos;
      for (const auto& t : *scan.tags) infos.push_back(t.Info());
      auto picked = TagFilter::Parse("glob:build-*")->Select(infos);
      if (!picked.empty() && picked.front().tag == fmt::format("build-{}", args.tags - 1)) ++ok;
    }
    return ok == args.repos;
  };

  auto service = RegistryService::Create(options, clock);
  if (!service) {
    fmt::print(stderr, "{}\n", service.error().message);
    return 1;
  }
  auto t0 = Wall::now();
  auto cold = (*service)->scanner().Scan(targets);
  double cold_s = Seconds(Wall::now() - t0);
  auto m_cold = (*service)->metrics().Read();
  bool cold_ok = check(cold);

  t0 = Wall::now();
  auto warm = (*service)->scanner().Scan(targets);
  double warm_s = Seconds(Wall::now() - t0);
  auto m_warm = (*service)->metrics().Read();
  uint64_t warm_requests = m_warm.Total() - m_cold.Total();
  bool warm_ok = check(warm) && warm_requests == static_cast<uint64_t>(args.repos);
  service->reset();

  auto restarted = RegistryService::Create(options, clock);
  t0 = Wall::now();
  auto again = (*restarted)->scanner().Scan(targets);
  double restart_s = Seconds(Wall::now() - t0);
  auto m_restart = (*restarted)->metrics().Read();
  uint64_t restart_metadata =
      m_restart.Count(RequestKind::kManifest) + m_restart.Count(RequestKind::kBlob);
  bool restart_ok = check(again) && restart_metadata == 0;

  // What a user would script: list the tags, inspect every tag.
  int sample = std::min(args.skopeo_repos, args.repos);
  double skopeo_s = 0;
  int skopeo_calls = 0;
  if (sample > 0) {
    t0 = Wall::now();
    for (int r = 0; r < sample; ++r) {
      std::string repo = fmt::format("docker://{}/{}", host, Repo(r));
      std::string cmd = fmt::format("skopeo list-tags --tls-verify=false {} >/dev/null", repo);
      for (int t = 0; t < args.tags; ++t) {
        cmd += fmt::format(" && skopeo inspect --no-tags --tls-verify=false {}:build-{} >/dev/null",
                           repo, t);
      }
      std::string out;
      if (testing::RunShell(cmd, &out, std::chrono::seconds(3600)) != 0) {
        fmt::print(stderr, "skopeo failed: {}\n", out);
        return 1;
      }
      skopeo_calls += 1 + args.tags;
    }
    skopeo_s = Seconds(Wall::now() - t0) * args.repos / sample;
  }

  fmt::print(
      "cold cycle:    {:8.3f} s  {:6} requests ({} tag lists, {} manifests, {} blobs, {} pings)  "
      "{}\n",
      cold_s, m_cold.Total(), m_cold.Count(RequestKind::kTags),
      m_cold.Count(RequestKind::kManifest), m_cold.Count(RequestKind::kBlob),
      m_cold.Count(RequestKind::kPing), cold_ok ? "ok" : "WRONG PICKS");
  fmt::print("warm cycle:    {:8.3f} s  {:6} requests (must be {})  {}\n", warm_s, warm_requests,
             args.repos, warm_ok ? "ok" : "FAIL");
  fmt::print("restart:       {:8.3f} s  {:6} requests, {} manifest/blob  {}\n", restart_s,
             m_restart.Total(), restart_metadata, restart_ok ? "ok" : "FAIL");
  if (sample > 0) {
    fmt::print("skopeo script: {:8.3f} s  ({} calls on {} of {} repositories, extrapolated)\n",
               skopeo_s, skopeo_calls, sample, args.repos);
    fmt::print("ratio skopeo / tagflow: cold {:.1f}x, warm {:.0f}x (target >= 20x on warm)  {}\n",
               skopeo_s / cold_s, skopeo_s / warm_s,
               skopeo_s / warm_s >= 20 ? "ok" : "BELOW TARGET");
  }
  return cold_ok && warm_ok && restart_ok ? 0 : 1;
}
