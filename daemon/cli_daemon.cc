#include "daemon/cli_daemon.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "daemon/cli_images.h"
#include "daemon/cli_options.h"
#include "daemon/cli_workloads.h"
#include "daemon/cycle.h"
#include "daemon/flags.h"
#include "daemon/git_libgit2.h"
#include "daemon/http_server.h"
#include "daemon/logging.h"
#include "daemon/loop.h"
#include "manifest/real_filesystem.h"
#include "notify/curl_sender.h"
#include "notify/notifier.h"
#include "registry/service.h"

namespace tagflow {
namespace {

using std::chrono::milliseconds;

struct DaemonFlags {
  daemon::GitOptions git;
  std::vector<std::string> paths;
  std::string sync_tag = "flux-sync";
  bool ci_skip = false;
  std::string ci_skip_message = "[ci skip]";
  milliseconds git_poll_interval{std::chrono::minutes(5)};
  milliseconds automation_interval{std::chrono::minutes(5)};
  bool readonly = false;
  registry::RegistryOptions registry;
  notify::NotifierOptions notify;
  milliseconds notify_repeat{std::chrono::hours(1)};
  std::string listen = ":3030";
  std::string webhook_secret;
  bool once = false;
  bool dry_run = false;
  LogFlags log;
};

int Usage(CliContext& ctx, const std::string& message) {
  ctx.err << "error: " << message << "\n";
  return kExitUsage;
}

// Turns SIGTERM/SIGINT into a stop request on a dedicated thread. Signals
// are blocked in every thread started after construction.
class SignalWatcher {
 public:
  explicit SignalWatcher(std::function<void(int)> on_signal) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGUSR2);  // private: wakes the thread on shutdown
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this, on_signal] {
      for (;;) {
        int sig = 0;
        if (sigwait(&set_, &sig) != 0) continue;
        if (sig == SIGUSR2 && done_) return;
        if (sig == SIGUSR2) continue;
        on_signal(sig);
      }
    });
  }
  ~SignalWatcher() {
    done_ = true;
    pthread_kill(thread_.native_handle(), SIGUSR2);
    thread_.join();
  }

 private:
  sigset_t set_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

int RunDaemon(DaemonFlags& f, CliContext& ctx) {
  if (Result<void> r = SetupLogging(f.log.format, f.log.level); !r)
    return Usage(ctx, r.error().message);
  if (f.git.url.empty()) return Usage(ctx, "--git-url is required");
  if (Result<void> r = registry::Validate(f.registry); !r) return Usage(ctx, r.error().message);
  if (f.automation_interval.count() <= 0)
    return Usage(ctx, "--automation-interval must be positive");
  f.notify.repeat_interval = std::chrono::duration_cast<std::chrono::seconds>(f.notify_repeat);

  std::atomic<bool> stopping{false};
  std::unique_ptr<daemon::Loop> loop;  // set below when not --once
  std::mutex loop_mu;
  SignalWatcher signals([&](int sig) {
    if (stopping.exchange(true)) {
      spdlog::warn("signal={} again: exiting now", sig);
      std::_Exit(kExitFailed);
    }
    spdlog::info("signal={} stopping after the step in flight", sig);
    std::lock_guard lock(loop_mu);
    if (loop) loop->Stop();
  });

  registry::SystemClock clock;
  Result<std::unique_ptr<registry::RegistryService>> service =
      registry::RegistryService::Create(f.registry, clock);
  if (!service) return Usage(ctx, service.error().message);
  (*service)->limiter().set_cancel(&stopping);  // SIGTERM ends a scan within a request
  Result<std::unique_ptr<daemon::GitRepo>> repo = daemon::OpenGitRepo(f.git);
  if (!repo) return Usage(ctx, repo.error().message);
  notify::CurlSender sender;
  Result<std::unique_ptr<notify::Notifier>> notifier =
      notify::Notifier::Create(f.notify, sender, clock);
  if (!notifier) return Usage(ctx, notifier.error().message);
  if (f.webhook_secret.empty() && !f.once)
    spdlog::warn("--webhook-secret is not set: anyone who can reach {} may trigger syncs",
                 f.listen);

  Metrics metrics;
  daemon::DescribeCycleMetrics(metrics);
  manifest::RealFilesystem fs;
  std::mutex registry_mu;  // the cycle and /api/v1/images share the scanner
  registry::Scanner& scanner = (*service)->scanner();

  daemon::CycleOptions options;
  options.paths = f.paths;
  options.branch = f.git.branch;
  options.repo_url = daemon::RedactUrl(f.git.url);
  options.sync_tag = f.sync_tag;
  options.ci_skip = f.ci_skip;
  options.ci_skip_message = f.ci_skip_message;
  options.dry_run = f.dry_run;
  options.readonly = f.readonly;
  daemon::CycleDeps deps{
      **repo,
      fs,
      [&](const std::vector<registry::ScanTarget>& targets) {
        std::lock_guard lock(registry_mu);
        return scanner.Scan(targets);
      },
      [&](const registry::ImageRef& image, const std::string& tag) -> Result<std::string> {
        std::lock_guard lock(registry_mu);
        return DigestOf(scanner, image, tag);
      },
      clock,
      &metrics,
      notifier->get(),
      &stopping};
  daemon::Cycle cycle(deps, options);

  // State the HTTP threads read, refreshed after every cycle.
  std::mutex state_mu;
  std::atomic<bool> ready{false};
  std::vector<manifest::Workload> workloads;
  std::string last_head;
  auto run_cycle = [&](const std::vector<std::string>& reasons) {
    daemon::CycleReport report = cycle.Run(reasons);
    if (report.synced) ready = true;
    std::lock_guard lock(state_mu);
    if (report.synced) workloads = report.workloads;
    last_head = report.head;
    return report;
  };

  if (f.once) {
    daemon::CycleReport report = run_cycle({"--once"});
    for (const daemon::PlannedChange& c : f.dry_run ? report.planned : report.applied) {
      ctx.out << fmt::format("{} {}: {} -> {}\n", c.workload, c.container, c.from.String(),
                             c.to.String());
    }
    if (!report.commit.empty()) ctx.out << "commit " << report.commit << "\n";
    (*notifier)->Stop(clock.Now() + std::chrono::seconds(10));
    return report.ok() && !report.stopped ? kExitOk : kExitFailed;
  }

  HttpHandlers handlers;
  handlers.ready = [&] { return ready.load(); };
  handlers.metrics = [&] {
    notify::NotifierStats s = (*notifier)->stats();
    return metrics.Render() + (*service)->metrics().Prometheus() +
           fmt::format(
               "# TYPE tagflow_notifications_sent_total counter\n"
               "tagflow_notifications_sent_total {}\n"
               "# TYPE tagflow_notifications_failed_total counter\n"
               "tagflow_notifications_failed_total {}\n"
               "# TYPE tagflow_notifications_dropped_total counter\n"
               "tagflow_notifications_dropped_total {}\n",
               s.sent, s.failed, s.dropped);
  };
  handlers.workloads_json = [&]() -> Result<std::string> {
    std::lock_guard lock(state_mu);
    return WorkloadsJson(workloads).dump(2) + "\n";
  };
  handlers.images_json = [&]() -> Result<std::string> {
    std::vector<manifest::Workload> copy;
    {
      std::lock_guard lock(state_mu);
      copy = workloads;
    }
    std::lock_guard lock(registry_mu);
    return ImagesJson(ListImagesFor(scanner, copy)).dump(2) + "\n";
  };

  {
    std::lock_guard lock(loop_mu);
    daemon::Loop::Callbacks callbacks;
    callbacks.cycle = [&](const std::vector<std::string>& reasons) { run_cycle(reasons); };
    callbacks.git_poll = [&] {
      Result<std::string> head = (*repo)->Sync();
      if (!head) {
        spdlog::warn("git poll failed: {}", head.error().message);
        return false;
      }
      std::lock_guard state(state_mu);
      return *head != last_head;
    };
    loop = std::make_unique<daemon::Loop>(
        callbacks, clock, daemon::Schedule(f.automation_interval, f.git_poll_interval));
    if (stopping) loop->Stop();
  }
  handlers.request_sync = [&](const std::string& reason, const std::vector<std::string>& repos) {
    std::string why = reason;
    for (const std::string& r : repos) why += " " + r;
    loop->RequestCycle(why);
  };
  HttpServer server(handlers, f.webhook_secret);
  Result<int> port = server.Start(f.listen);
  if (!port) return Usage(ctx, port.error().message);
  spdlog::info("daemon started listen={} port={} git_url={} branch={} interval={}", f.listen,
               *port, daemon::RedactUrl(f.git.url), f.git.branch,
               FormatDuration(f.automation_interval));

  loop->Run();
  server.Stop();
  size_t dropped = (*notifier)->Stop(clock.Now() + std::chrono::seconds(5));
  spdlog::info("daemon stopped notifications_dropped={}", dropped);
  return kExitOk;
}

}  // namespace

void AddDaemonCommand(CLI::App& app, CliContext& ctx) {
  auto f = std::make_shared<DaemonFlags>();
  CLI::App* cmd = app.add_subcommand("daemon", "Run the automation loop (or one cycle with --once)");
  AddGitFlags(*cmd, f->git);
  cmd->add_option("--git-path", f->paths, "Subdirectory of the repo to scan (repeatable)")
      ->delimiter(',');
  cmd->add_option("--git-sync-tag", f->sync_tag, "Tag moved to the last synced commit (\"\": off)")
      ->capture_default_str();
  cmd->add_flag("--git-ci-skip", f->ci_skip, "Append --git-ci-skip-message to commit messages");
  cmd->add_option("--git-ci-skip-message", f->ci_skip_message, "Text appended by --git-ci-skip")
      ->capture_default_str();
  AddDurationOption(*cmd, "--git-poll-interval", &f->git_poll_interval,
                    "How often to fetch the repo for policy changes (0: never)");
  cmd->add_flag("--git-readonly", f->readonly, "Report what would change; never push");
  AddDurationOption(*cmd, "--automation-interval", &f->automation_interval,
                    "How often to run an automation cycle");
  AddRegistryFlags(*cmd, f->registry);
  cmd->add_option("--slack-url", f->notify.slack_url, "Slack incoming-webhook URL (a secret)");
  cmd->add_option("--slack-channel", f->notify.slack_channel, "Slack channel override");
  cmd->add_option("--slack-username", f->notify.slack_username, "Slack user name override");
  cmd->add_option("--slack-icon-url", f->notify.slack_icon_url, "Slack icon URL");
  cmd->add_option("--slack-template-success", f->notify.slack_template_success,
                  "Message template for pushed updates");
  cmd->add_option("--slack-template-failure", f->notify.slack_template_failure,
                  "Message template for failed cycles");
  cmd->add_option("--notify-webhook", f->notify.webhook_url, "Generic webhook URL (JSON events)");
  cmd->add_option("--notify-webhook-secret", f->notify.webhook_secret,
                  "HMAC-SHA256 key signing --notify-webhook bodies");
  AddDurationOption(*cmd, "--notify-repeat-interval", &f->notify_repeat,
                    "Minimum time between two notifications of the same failure");
  cmd->add_option("--listen", f->listen, "Address of the HTTP endpoints")->capture_default_str();
  cmd->add_option("--webhook-secret", f->webhook_secret,
                  "Secret the mutating and hook endpoints require (bearer or HMAC)");
  cmd->add_flag("--once", f->once, "Run one cycle and exit (0 ok, 1 errors, 2 bad usage)");
  cmd->add_flag("--dry-run", f->dry_run, "Print the plan; change nothing");
  AddLogFlags(*cmd, f->log);
  cmd->add_option("--config", "YAML file with flag values (keys are flag names)");
  cmd->callback([f, &ctx] { ctx.exit_code = RunDaemon(*f, ctx); });
}

}  // namespace tagflow
