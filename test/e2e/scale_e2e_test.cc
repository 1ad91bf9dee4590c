// Many daemons, one Redis (issue 14): the shared cache (one tag list per
// repository per interval, metadata once in all), Redis failures that never
// stop a cycle, and one writer per repository. Real docker-registry (its
// access log is the judge), real redis-server, real git repositories.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <regex>
#include <sstream>

#include "test/e2e/e2e_fixture.h"
#include "test/support/daemon_process.h"
#include "test/support/redis_server.h"

namespace tagflow::testing {
namespace {

using ::testing::HasSubstr;
using Steady = std::chrono::steady_clock;
using std::chrono::seconds;

constexpr int kImages = 20;
constexpr int kRepos = 10;

std::string ImageRepo(int i) { return fmt::format("shared/img-{:02d}", i); }

// Requests of `method` for paths starting with /v2/<repo>/<what> in the
// registry's access log (Apache combined format).
int Requests(const std::string& log, const std::string& method, const std::string& repo,
             const std::string& what) {
  std::string needle = fmt::format("\"{} /v2/{}/{}", method, repo, what);
  int n = 0;
  for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
  return n;
}

using Daemon = DaemonProcess;

class ScaleE2eTest : public E2eTest {
 protected:
  void PushAll(const std::string& tag, int day) {
    for (int i = 0; i < kImages; ++i) {
      registry_.PushImage(ImageRepo(i), tag,
                          {.created = Day(day), .salt = ImageRepo(i) + ":" + tag});
    }
  }
  // A repository of kImages automated Deployments, one per image, at `tag`.
  std::filesystem::path ImagesRepo(const std::string& name, const std::string& tag) {
    std::map<std::string, std::string> files;
    for (int i = 0; i < kImages; ++i) {
      files[fmt::format("apps/svc-{:02d}.yaml", i)] =
          Deployment(fmt::format("svc-{:02d}", i),
                     registry_.host() + "/" + ImageRepo(i) + ":" + tag, kAutomated);
    }
    auto repo = MakeRepo(files, name);
    RunShell("git --git-dir " + ShellQuote(repo.string()) + " config core.logAllRefUpdates always");
    return repo;
  }
  // Image lines changed by all commits after the first (a duplicate commit
  // would count twice).
  int ChangedImageLines(const std::filesystem::path& repo) {
    std::string root = GitOutput(repo, "rev-list --max-parents=0 master");
    root.erase(root.find_last_not_of('\n') + 1);
    std::istringstream log(GitOutput(repo, "log -p --format= " + root + "..master"));
    int n = 0;
    for (std::string line; std::getline(log, line);) n += line.starts_with("+        image:");
    return n;
  }
  bool AllAt(const std::filesystem::path& repo, const std::string& tag) {
    for (int i = 0; i < kImages; ++i) {
      if (Show(repo, fmt::format("apps/svc-{:02d}.yaml", i)).find(":" + tag + "'") ==
          std::string::npos)
        return false;
    }
    return true;
  }
  Daemon Start(const std::filesystem::path& repo, const std::string& cache_url,
               const std::string& name, const std::vector<std::string>& extra = {}) {
    Daemon d;
    d.port = FreePort();
    std::vector<std::string> args = {"daemon",
                                     "--git-url",
                                     "file://" + repo.string(),
                                     "--cache-dir",
                                     (scratch_.path() / ("cache-" + name)).string(),
                                     "--registry-insecure-host",
                                     registry_.host(),
                                     "--listen",
                                     "127.0.0.1:" + std::to_string(d.port),
                                     "--git-poll-interval",
                                     "1h"};
    if (!cache_url.empty()) args.insert(args.end(), {"--cache-url", cache_url});
    args.insert(args.end(), extra.begin(), extra.end());
    d.proc = StartTagflow(args);
    return d;
  }
};

// 10 daemons on 10 repositories that use the same 20 images: each tag list
// once per interval, each manifest and config once in all.
TEST_F(ScaleE2eTest, TenDaemonsShareTagListsAndMetadata) {
  PushAll("v1", 1);
  PushAll("v2", 2);
  RedisServer redis({.password = "e2e-redis-pw"});
  auto password_file = scratch_.path() / "redis-password";
  WriteFile(password_file, "e2e-redis-pw\n");
  std::string before = registry_.Log();
  std::vector<std::filesystem::path> repos;
  std::vector<Daemon> daemons;
  for (int r = 0; r < kRepos; ++r) repos.push_back(ImagesRepo(fmt::format("r{}.git", r), "v1"));
  auto started = Steady::now();
  for (int r = 0; r < kRepos; ++r) {
    daemons.push_back(
        Start(repos[r], redis.Url(/*with_password=*/false), std::to_string(r),
              {"--cache-password-file", password_file.string(), "--automation-interval", "6s"}));
  }
  for (int r = 0; r < kRepos; ++r) {
    ASSERT_TRUE(WaitFor([&] { return AllAt(repos[r], "v2"); }, seconds(60)))
        << daemons[r].proc->Output();
  }
  // Two more intervals, then the whole log.
  std::this_thread::sleep_for(seconds(12) - (Steady::now() - started) % seconds(6));
  double intervals = std::chrono::duration<double>(Steady::now() - started).count() / 6.0;
  std::string log = registry_.Log().substr(before.size());
  if (getenv("SCALE_E2E_DUMP")) {
    WriteFile("/tmp/scale-registry.log", log);
    for (int r = 0; r < kRepos; ++r) {
      WriteFile(fmt::format("/tmp/scale-daemon-{}.log", r), daemons[r].proc->Output());
    }
  }
  for (int i = 0; i < kImages; ++i) {
    std::string repo = ImageRepo(i);
    EXPECT_EQ(
        Requests(log, "GET", repo, "manifests/v1") + Requests(log, "GET", repo, "manifests/v2"), 2)
        << repo << " manifests fetched more than once in all";
    EXPECT_EQ(Requests(log, "GET", repo, "blobs/"), 2) << repo << " configs fetched again";
    int lists = Requests(log, "GET", repo, "tags/list");
    EXPECT_GE(lists, 1);
    EXPECT_LE(lists, static_cast<int>(intervals) + 1)
        << repo << ": " << lists << " tag lists in " << intervals << " intervals";
  }
  for (int r = 0; r < kRepos; ++r) {
    std::string d = daemons[r].proc->Output();
    EXPECT_THAT(d, ::testing::Not(HasSubstr("e2e-redis-pw")));
    EXPECT_EQ(Log(repos[r]).size(), 2u) << "one commit per repository";
  }
  EXPECT_EQ(daemons[0].Metric("tagflow_cache_redis_up"), 1);
  EXPECT_EQ(redis.Keys("tagflow:v1:lease:*").size(), static_cast<size_t>(kRepos));
  for (auto& d : daemons) d.proc->Signal(SIGTERM);
  for (auto& d : daemons) EXPECT_EQ(d.proc->Wait(seconds(10)), 0) << d.proc->Output();
  EXPECT_TRUE(redis.Keys("tagflow:v1:lease:*").empty()) << "leases released on shutdown";
}

// Redis killed mid-run: every daemon still completes its cycles from the
// registry (and pushes while its lease is still valid), then uses Redis again.
TEST_F(ScaleE2eTest, RedisKilledMidRunCyclesGoOnAndRedisIsUsedAgain) {
  PushAll("v1", 1);
  RedisServer redis;
  std::vector<std::filesystem::path> repos;
  std::vector<Daemon> daemons;
  for (int r = 0; r < kRepos; ++r) {
    repos.push_back(ImagesRepo(fmt::format("k{}.git", r), "v1"));
    daemons.push_back(
        Start(repos[r], redis.Url(), std::to_string(r), {"--automation-interval", "2s"}));
  }
  for (auto& d : daemons) {
    ASSERT_TRUE(WaitFor([&] { return d.Metric("tagflow_writer_lease{state=\"holder\"}") == 1; }))
        << d.proc->Output();
  }
  redis.Kill();
  PushAll("v2", 2);
  for (int r = 0; r < kRepos; ++r) {
    ASSERT_TRUE(WaitFor([&] { return AllAt(repos[r], "v2"); }, seconds(10)))
        << daemons[r].proc->Output();
  }
  std::vector<double> ok;
  for (auto& d : daemons) {
    ASSERT_TRUE(WaitFor([&] { return d.Metric("tagflow_cache_redis_up") == 0; }, seconds(10)));
    ok.push_back(d.Metric("tagflow_cycles_total{result=\"ok\"}"));
  }
  for (int r = 0; r < kRepos; ++r) {
    const Daemon& d = daemons[r];
    ASSERT_TRUE(WaitFor([&] { return d.Metric("tagflow_cycles_total{result=\"ok\"}") > ok[r]; },
                        seconds(10)))
        << "cycles go on without Redis\n"
        << d.proc->Output();
  }
  redis.Restart();
  for (auto& d : daemons) {
    EXPECT_TRUE(WaitFor([&] { return d.Metric("tagflow_cache_redis_up") == 1; }, seconds(45)))
        << d.proc->Output();
  }
  EXPECT_TRUE(WaitFor(
      [&] {
        return redis.Keys("tagflow:v1:lease:*").size() == static_cast<size_t>(kRepos) &&
               !redis.Keys("tagflow:v1:tags:*").empty();
      },
      seconds(20)));
  for (int r = 0; r < kRepos; ++r) {
    EXPECT_EQ(ChangedImageLines(repos[r]), kImages) << "each image bumped once";
    // "unavailable" logged once per outage, not per request.
    std::string out = daemons[r].proc->Output();
    int warnings = 0;
    for (size_t at = out.find("shared cache unavailable url="); at != std::string::npos;
         at = out.find("shared cache unavailable url=", at + 1))
      ++warnings;
    EXPECT_EQ(warnings, 1) << out;
  }
}

// A Redis that accepts connections and never answers: a cycle takes at most
// a second longer than without Redis.
TEST_F(ScaleE2eTest, SilentRedisCostsLessThanASecond) {
  PushAll("v1", 1);
  PushAll("v2", 2);
  SilentListener silent;
  auto plain = ImagesRepo("plain.git", "v1");
  auto hung = ImagesRepo("hung.git", "v1");
  auto run = [&](const std::filesystem::path& repo, const std::string& name,
                 const std::vector<std::string>& extra) {
    auto t0 = Steady::now();
    RunResult r =
        Tagflow(std::vector<std::string>{"daemon", "--once", "--git-url", "file://" + repo.string(),
                                         "--cache-dir", (scratch_.path() / name).string(),
                                         "--registry-insecure-host", registry_.host(), "--listen",
                                         "127.0.0.1:0"} +
                extra);
    return std::make_pair(r, Steady::now() - t0);
  };
  auto [base, base_time] = run(plain, "c-plain", {});
  ASSERT_EQ(base.exit_code, 0) << base.output;
  auto [slow, slow_time] =
      run(hung, "c-hung", {"--cache-url", "redis://127.0.0.1:" + std::to_string(silent.port())});
  EXPECT_EQ(slow.exit_code, 0) << slow.output;
  EXPECT_LT(slow_time, base_time + seconds(1))
      << std::chrono::duration<double>(slow_time).count() << " s vs "
      << std::chrono::duration<double>(base_time).count() << " s\n"
      << slow.output;
  EXPECT_GE(silent.accepted(), 1);
  // Without a confirmed lease nothing is pushed; the plan is reported.
  EXPECT_THAT(slow.output, HasSubstr("mode=no-lease"));
  EXPECT_EQ(Log(hung).size(), 1u);
}

// Two daemons on one repository: exactly one pushes; the other takes over
// within 20 s of the first being SIGKILLed; no duplicate commit, no force push.
TEST_F(ScaleE2eTest, TwoDaemonsOneRepoOneWriterAndFailover) {
  PushAll("v1", 1);
  RedisServer redis;
  auto repo = ImagesRepo("one.git", "v1");
  Daemon a = Start(repo, redis.Url(), "a", {"--automation-interval", "2s"});
  ASSERT_TRUE(WaitFor([&] { return a.Get("/readyz").find("holder") != std::string::npos; }))
      << a.proc->Output();
  Daemon b = Start(repo, redis.Url(), "b", {"--automation-interval", "2s"});
  ASSERT_TRUE(WaitFor([&] { return b.Get("/readyz").find("standby") != std::string::npos; }))
      << b.proc->Output();
  EXPECT_EQ(b.Metric("tagflow_writer_lease{state=\"standby\"}"), 1);
  PushAll("v2", 2);
  ASSERT_TRUE(WaitFor([&] { return AllAt(repo, "v2"); }, seconds(20))) << a.proc->Output();
  std::this_thread::sleep_for(seconds(3));  // both see v2 for an interval
  EXPECT_EQ(ChangedImageLines(repo), kImages);
  EXPECT_LE(b.Metric("tagflow_commits_total"), 0) << b.proc->Output();  // absent or 0
  EXPECT_GE(b.Metric("tagflow_cycles_skipped_total{reason=\"standby\"}"), 1);

  a.proc->Signal(SIGKILL);
  auto killed = Steady::now();
  PushAll("v3", 3);
  ASSERT_TRUE(
      WaitFor([&] { return b.Get("/readyz").find("holder") != std::string::npos; }, seconds(20)))
      << b.proc->Output();
  auto takeover = Steady::now() - killed;
  EXPECT_LT(takeover, seconds(20));
  ASSERT_TRUE(WaitFor([&] { return AllAt(repo, "v3"); }, seconds(10))) << b.proc->Output();
  std::this_thread::sleep_for(seconds(3));
  EXPECT_EQ(ChangedImageLines(repo), 2 * kImages) << "each image bumped twice, none again";
  // No force push: every reflog step of the branch moved forward.
  std::istringstream reflog(GitOutput(repo, "reflog show --format=%H refs/heads/master"));
  std::vector<std::string> heads;
  for (std::string line; std::getline(reflog, line);) {
    if (!line.empty()) heads.push_back(line);
  }
  // One reflog entry per commit: nothing rewritten, nothing pushed twice.
  ASSERT_EQ(heads.size() + 1, Log(repo).size());
  heads.push_back(GitOutput(repo, "rev-list --max-parents=0 master"));
  heads.back().erase(heads.back().find_last_not_of('\n') + 1);
  for (size_t i = 0; i + 1 < heads.size(); ++i) {
    EXPECT_EQ(RunShell("git --git-dir " + ShellQuote(repo.string()) + " merge-base --is-ancestor " +
                       heads[i + 1] + " " + heads[i]),
              0)
        << "reflog step " << i << " is not a fast-forward";
  }
  EXPECT_EQ(GitOutput(repo, "rev-list --merges master"), "");
  fmt::print("lease takeover after SIGKILL: {:.1f} s\n",
             std::chrono::duration<double>(takeover).count());
}

}  // namespace
}  // namespace tagflow::testing
