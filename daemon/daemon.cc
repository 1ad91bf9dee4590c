#include "daemon/daemon.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/api.h"
#include "daemon/hooks.h"
#include "daemon/memory.h"
#include "daemon/plan.h"
#include "manifest/scan.h"
#include "notify/notifier.h"
#include "registry/stats.h"

namespace tagflow::daemon {
namespace {

CycleDeps MakeCycleDeps(const DaemonEdges& e, Metrics& metrics, const std::atomic<bool>& stop) {
  ImageSource& images = e.images;
  return CycleDeps{
      e.git,
      e.fs,
      [&images](const std::vector<registry::ScanTarget>& targets) { return images.Scan(targets); },
      [&images](const image::ImageRef& image, const std::string& tag) {
        return images.Digest(image, tag);
      },
      e.clock,
      &metrics,
      e.notifier,
      &stop,
      e.pull_requests,
      e.verifier,
      [lease = e.lease] { return lease == nullptr || lease->state() == LeaseState::kHolder; }};
}

}  // namespace

Daemon::Daemon(DaemonEdges edges, DaemonConfig config)
    : edges_(edges),
      config_(std::move(config)),
      cycle_(MakeCycleDeps(edges_, metrics_, stopping_), config_.cycle),
      loop_(Loop::Callbacks{[this](const std::vector<std::string>& reasons) {
                              RunCycle(reasons);
                              ReleaseCaches();  // the cycle's peak goes back (memory.h)
                            },
                            [this] {
                              bool changed = PollGit();
                              if (!changed) ReleaseCaches();  // else a cycle follows
                              return changed;
                            }},
            edges_.clock,
            Schedule(config_.automation_interval, config_.git_poll_interval,
                     config_.request_batching)) {
  DescribeCycleMetrics(metrics_);
  metrics_.Describe("tagflow_cycles_skipped_total", Metrics::Type::kCounter,
                    "Cycles not run, by reason (standby: another daemon holds the writer lease).");
  metrics_.Describe("tagflow_notifications_sent_total", Metrics::Type::kCounter,
                    "Notifications delivered.");
  metrics_.Describe("tagflow_notifications_failed_total", Metrics::Type::kCounter,
                    "Notifications given up after retries.");
  metrics_.Describe("tagflow_notifications_dropped_total", Metrics::Type::kCounter,
                    "Notifications dropped (queue full or shutting down).");
}

Daemon::~Daemon() {
  if (server_) server_->Stop();
}

CycleReport Daemon::StandBy() {
  metrics_.Add("tagflow_cycles_skipped_total", {{"reason", "standby"}});
  spdlog::info("cycle skipped: {}", edges_.lease->Describe());
  CycleReport report;
  Result<std::string> head = edges_.git.Sync();
  if (head) {
    report.synced = true;
    report.head = *head;
    ready_ = true;
  }
  return report;
}

CycleReport Daemon::RunCycle(const std::vector<std::string>& reasons) {
  std::lock_guard tree(tree_mu_);
  if (edges_.lease != nullptr && edges_.lease->state() == LeaseState::kStandby) return StandBy();
  CycleReport report = cycle_.Run(reasons);
  if (report.synced) ready_ = true;
  std::lock_guard lock(state_mu_);
  if (report.synced && !report.unverified) rollbacks_ = report.rollbacks;
  if (report.synced) {
    // What registry hooks are matched against (WantedImages): one reference
    // per repository the automated containers use, not the whole scan
    // (memory, issue 14).
    automated_images_ = report.automated_images;
  }
  last_head_ = report.head;
  return report;
}

Result<std::vector<manifest::Workload>> Daemon::ScanWorkTree() {
  std::unique_lock tree(tree_mu_, std::chrono::seconds(3));
  if (!tree.owns_lock()) {
    return Fail(ErrorKind::kTransient, "a cycle is running; try again in a moment");
  }
  if (!ready_) return std::vector<manifest::Workload>{};
  Result<manifest::ScanResult> scan =
      manifest::Scan(edges_.fs, edges_.git.WorkTree().string(), config_.cycle.paths);
  if (!scan) return Fail(scan.error());
  return std::move(scan->workloads);
}

void Daemon::ReleaseCaches() {
  {
    std::lock_guard tree(tree_mu_);
    edges_.git.ReleaseCaches();
  }
  ReleaseFreeMemory();
}

bool Daemon::PollGit() {
  std::lock_guard tree(tree_mu_);
  Result<std::string> head = edges_.git.Sync();
  if (!head) {
    spdlog::warn("git poll failed: {}", head.error().message);
    return false;
  }
  std::lock_guard lock(state_mu_);
  return *head != last_head_;
}

std::string Daemon::RenderMetrics() {
  if (edges_.registry_stats != nullptr) edges_.registry_stats->ExportTo(metrics_);
  if (edges_.export_metrics) edges_.export_metrics(metrics_);
  if (edges_.notifier != nullptr) {
    notify::NotifierStats s = edges_.notifier->stats();
    metrics_.Set("tagflow_notifications_sent_total", {}, static_cast<double>(s.sent));
    metrics_.Set("tagflow_notifications_failed_total", {}, static_cast<double>(s.failed));
    metrics_.Set("tagflow_notifications_dropped_total", {}, static_cast<double>(s.dropped));
  }
  return metrics_.Render();
}

HttpHandlers Daemon::Handlers() {
  HttpHandlers h;
  h.ready = [this] { return ready(); };
  if (edges_.lease != nullptr) h.ready_details = [this] { return edges_.lease->Describe(); };
  h.metrics = [this] { return RenderMetrics(); };
  h.workloads_json = [this]() -> Result<std::string> {
    Result<std::vector<manifest::Workload>> workloads = ScanWorkTree();
    if (!workloads) return Fail(workloads.error());
    return WorkloadsJson(*workloads).dump(2) + "\n";
  };
  h.images_json = [this]() -> Result<std::string> {
    Result<std::vector<manifest::Workload>> workloads = ScanWorkTree();
    if (!workloads) return Fail(workloads.error());
    std::vector<Rollback> rollbacks;
    {
      std::lock_guard lock(state_mu_);
      rollbacks = rollbacks_;
    }
    std::vector<WorkloadImages> images = edges_.images.List(*workloads);
    AttachRollbacks(images, rollbacks);
    return ImagesJson(images).dump(2) + "\n";
  };
  // One reason per repository ("hook registry host/team/web"), so identical
  // hooks collapse into one reason; the loop bounds how many are kept. A
  // hook naming only images no automated container uses runs nothing.
  h.request_sync = [this](const std::string& source, const std::vector<std::string>& repos) {
    if (source == "sync") {
      RequestCycle(source);
      return true;
    }
    std::vector<std::string> wanted = WantedImages(repos);
    if (wanted.empty()) {
      spdlog::info("hook ignored source=\"{}\" images={}: no automated container uses them", source,
                   repos.size());
      return false;
    }
    for (const std::string& repo : wanted) RequestCycle(source + " " + repo);
    return true;
  };
  return h;
}

std::vector<std::string> Daemon::WantedImages(const std::vector<std::string>& announced) {
  if (!ready_) return announced;
  std::lock_guard lock(state_mu_);
  std::vector<std::string> wanted;
  for (const std::string& name : announced) {
    bool used = std::any_of(
        automated_images_.begin(), automated_images_.end(),
        [&](const image::ImageRef& image) { return AnnouncedImageMatches(name, image); });
    if (used) wanted.push_back(name);
  }
  return wanted;
}

Result<int> Daemon::Serve() {
  if (server_) return Fail(ErrorKind::kInternal, "the daemon is already serving");
  if (config_.webhook_secret.empty()) {
    spdlog::warn("--webhook-secret is not set: anyone who can reach {} may trigger syncs",
                 config_.listen);
  }
  auto server = std::make_unique<HttpServer>(Handlers(), config_.webhook_secret);
  Result<int> port = server->Start(config_.listen);
  if (!port) return Fail(port.error());
  if (!config_.health_listen.empty()) {
    Result<int> health = server->StartHealth(config_.health_listen);
    if (!health) return Fail(health.error());
    health_port_ = *health;
  }
  server_ = std::move(server);
  return port;
}

void Daemon::Run() {
  if (stopping_) loop_.Stop();
  loop_.Run();
  if (server_) server_->Stop();
}

void Daemon::Stop() {
  stopping_ = true;
  loop_.Stop();
}

void Daemon::RequestCycle(std::string_view reason) { loop_.RequestCycle(reason); }

}  // namespace tagflow::daemon
