#include "daemon/daemon.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/api.h"
#include "daemon/hooks.h"
#include "daemon/plan.h"
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
      e.pull_requests, e.verifier};
}

}  // namespace

Daemon::Daemon(DaemonEdges edges, DaemonConfig config)
    : edges_(edges),
      config_(std::move(config)),
      cycle_(MakeCycleDeps(edges_, metrics_, stopping_), config_.cycle),
      loop_(Loop::Callbacks{[this](const std::vector<std::string>& reasons) { RunCycle(reasons); },
                            [this] { return PollGit(); }},
            edges_.clock,
            Schedule(config_.automation_interval, config_.git_poll_interval,
                     config_.request_batching)) {
  DescribeCycleMetrics(metrics_);
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

CycleReport Daemon::RunCycle(const std::vector<std::string>& reasons) {
  CycleReport report = cycle_.Run(reasons);
  if (report.synced) ready_ = true;
  std::lock_guard lock(state_mu_);
  if (report.synced) workloads_ = report.workloads;
  if (report.synced && !report.unverified) rollbacks_ = report.rollbacks;
  last_head_ = report.head;
  return report;
}

bool Daemon::PollGit() {
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
  h.metrics = [this] { return RenderMetrics(); };
  h.workloads_json = [this]() -> Result<std::string> {
    std::lock_guard lock(state_mu_);
    return WorkloadsJson(workloads_).dump(2) + "\n";
  };
  h.images_json = [this]() -> Result<std::string> {
    std::vector<manifest::Workload> copy;
    std::vector<Rollback> rollbacks;
    {
      std::lock_guard lock(state_mu_);
      copy = workloads_;
      rollbacks = rollbacks_;
    }
    std::vector<WorkloadImages> images = edges_.images.List(copy);
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
  std::vector<PlanProblem> ignored;
  std::vector<AutomatedContainer> automated = FindAutomated(workloads_, &ignored);
  std::vector<std::string> wanted;
  for (const std::string& name : announced) {
    bool used = std::any_of(automated.begin(), automated.end(), [&](const AutomatedContainer& a) {
      return AnnouncedImageMatches(name, a.container->image);
    });
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
