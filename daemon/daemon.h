// The daemon runtime (DESIGN.md §1, §7): the automation cycle on the loop's
// thread, the HTTP endpoints on the server's threads, and the state they
// share. Every edge is borrowed through `DaemonEdges`, so a unit test runs
// the whole daemon against a fake git remote, a fake image source and a
// FakeClock; `tagflow daemon` (cli/) builds the real edges from flags.
//
// Threads: Run() is the loop's thread (cycles and git polls, one at a time);
// the server's workers read the last scan and the metrics, and queue cycle
// requests; Stop() may come from any thread (the signal watcher).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "base/metrics.h"
#include "daemon/cycle.h"
#include "daemon/http_server.h"
#include "daemon/image_source.h"
#include "daemon/lease.h"
#include "daemon/loop.h"
#include "git/repo.h"
#include "manifest/filesystem.h"
#include "manifest/workload.h"

namespace tagflow::registry {
class RegistryStats;
}
namespace tagflow::notify {
class Notifier;
}

namespace tagflow::daemon {

// How long the daemon waits for hooks and /api/v1/sync to stop arriving
// before it runs the one cycle they asked for (a registry sends one hook per
// tag or per platform of a push; CI pushes several images at once).
inline constexpr std::chrono::milliseconds kHookDebounce{2'000};
// A steady stream of requests still runs at most one cycle this often.
inline constexpr std::chrono::milliseconds kHookMaxDelay{10'000};

struct DaemonConfig {
  CycleOptions cycle;
  std::chrono::milliseconds automation_interval{std::chrono::minutes(5)};
  std::chrono::milliseconds git_poll_interval{std::chrono::minutes(5)};  // 0: never
  std::string listen = ":3030";
  std::string health_listen;   // "" = the probes only on `listen`
  std::string webhook_secret;  // "" = hooks and /api/v1/sync are open
  // Hooks and /api/v1/sync arriving within kHookDebounce of each other run
  // one cycle; a steady stream of them runs at most one every kHookMaxDelay.
  RequestBatching request_batching{kHookDebounce, kHookMaxDelay};
};

struct DaemonEdges {
  git::GitRepo& git;
  manifest::Filesystem& fs;
  ImageSource& images;
  Clock& clock;
  notify::Notifier* notifier = nullptr;                     // optional
  const registry::RegistryStats* registry_stats = nullptr;  // optional, for /metrics
  git::PullRequestClient* pull_requests = nullptr;          // optional: --git-pr
  git::SignatureVerifier* verifier = nullptr;               // optional: --git-verify-signatures
  // Optional (--cache-url): the writer lease; a standby runs no cycles and a
  // daemon without a confirmed lease does not push (daemon/lease.h).
  WriterLease* lease = nullptr;
  // Optional: more counters copied into /metrics at each scrape.
  std::function<void(Metrics&)> export_metrics;
};

class Daemon {
 public:
  Daemon(DaemonEdges edges, DaemonConfig config);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs one cycle on the calling thread (--once) and records its outcome
  // for the endpoints. Not concurrently with Run().
  CycleReport RunCycle(const std::vector<std::string>& reasons);

  // Binds `listen` (and `health_listen` when set) and serves the endpoints
  // on background threads. Returns the bound port of `listen`. kInvalidInput
  // for a malformed address; kTransient when an address cannot be bound (in
  // use, not permitted): a runtime failure.
  [[nodiscard]] Result<int> Serve();
  // The bound port of `health_listen` after Serve(); 0 when not set.
  int health_port() const { return health_port_; }

  // Runs the loop on the calling thread until Stop(), then stops serving.
  void Run();

  // Makes Run() return after the step in flight, and tells the cycle and the
  // registry scans in flight to stop early (nothing half-pushed). Thread-safe;
  // may come before Run().
  void Stop();

  // The flag Stop() sets, for edges that can cancel their own work (the
  // registry rate limiter).
  const std::atomic<bool>& stopping() const { return stopping_; }

  // Queues a cycle as a hook would (Loop::RequestCycle: batched, bounded).
  // Thread-safe, never blocks.
  void RequestCycle(std::string_view reason);

  // True after the first successful git sync (GET /readyz).
  bool ready() const { return ready_.load(); }
  // The daemon's Prometheus registry (cycle metrics).
  Metrics& metrics() { return metrics_; }
  // GET /metrics: the registry above plus registry and notifier counters.
  std::string RenderMetrics();

 private:
  bool PollGit();
  // After a cycle or an idle git poll: the git caches and free heap go
  // back (daemon/memory.h).
  void ReleaseCaches();
  // A standby's cycle: no scan, no push; a git sync keeps /readyz honest.
  CycleReport StandBy();
  HttpHandlers Handlers();
  // Of the images a hook named, those an automated container of the last
  // scan uses (all of them before the first scan).
  std::vector<std::string> WantedImages(const std::vector<std::string>& announced);

  DaemonEdges edges_;
  DaemonConfig config_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> ready_{false};
  Metrics metrics_;
  Cycle cycle_;
  Loop loop_;
  std::unique_ptr<HttpServer> server_;
  int health_port_ = 0;

  // The work tree's workloads for the API, scanned on request rather than
  // kept between cycles (a repository of 10,000 workloads holds ~15 MiB of
  // them); kTransient while a cycle holds the tree longer than 3 s.
  Result<std::vector<manifest::Workload>> ScanWorkTree();

  // Held by cycles and git polls (they change the work tree) and by the API's
  // scans of it.
  std::timed_mutex tree_mu_;
  mutable std::mutex state_mu_;
  std::string last_head_;            // guarded by state_mu_
  std::vector<Rollback> rollbacks_;  // guarded by state_mu_: the last cycle's holds
  // guarded by state_mu_: the images of the last cycle's automated containers
  std::vector<image::ImageRef> automated_images_;
};

}  // namespace tagflow::daemon
