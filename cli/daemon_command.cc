#include "cli/daemon_command.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "base/http.h"
#include "base/logging.h"
#include "base/time.h"
#include "base/url.h"
#include "cli/flags.h"
#include "cli/options.h"
#include "cli/signing_flags.h"
#include "daemon/daemon.h"
#include "daemon/image_source.h"
#include "daemon/memory.h"
#include "git/libgit2_repo.h"
#include "git/pull_request.h"
#include "git/push_branch.h"
#include "manifest/real_filesystem.h"
#include "notify/http_sender.h"
#include "notify/notifier.h"
#include "registry/service.h"

namespace tagflow::cli {
namespace {

using std::chrono::milliseconds;

struct DaemonFlags {
  git::GitOptions git;
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
  std::string health_listen;
  std::string webhook_secret;
  bool once = false;
  bool dry_run = false;
  LogFlags log;
  // --git-push-branch and --git-pr* (git/push_branch.h, git/pull_request.h).
  std::string push_branch;
  std::string pr_provider;
  std::string pr_api_url;
  std::string pr_token_file;
  std::vector<std::string> pr_labels;
  // Derived by CheckFlags: where the pull requests go, and the token.
  std::optional<git::PrTarget> pr_target;
  std::string pr_token;
  SigningFlags signing;
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

// Raises the soft open-file limit to the hard one: the HTTP listeners size
// their connection caps from it (a quarter), so git, the registry clients
// and the cache keep the rest. Returns the soft limit in effect.
rlim_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return raised.rlim_cur;
  }
  return limit.rlim_cur;
}

// --git-push-branch and --git-pr*: usage errors, or the PR target and token.
std::optional<std::string> CheckPushBranchFlags(DaemonFlags& f) {
  if (!f.push_branch.empty()) {
    if (Result<void> r = git::ValidatePushBranch(f.git.branch, f.push_branch); !r) {
      return r.error().message;
    }
  }
  if (f.pr_provider.empty()) {
    if (!f.pr_api_url.empty() || !f.pr_token_file.empty() || !f.pr_labels.empty()) {
      return "--git-pr-api-url, --git-pr-token-file and --git-pr-label need --git-pr";
    }
    return std::nullopt;
  }
  Result<git::PrProvider> provider = git::ParsePrProvider(f.pr_provider);
  if (!provider) return provider.error().message;
  if (f.push_branch.empty()) {
    return "--git-pr needs --git-push-branch: pull requests come from tagflow's own branch";
  }
  Result<git::PrTarget> target = git::PrTargetFor(*provider, f.git.url, f.pr_api_url);
  if (!target) return target.error().message;
  Result<std::string> token =
      git::ReadPrToken(f.pr_token_file, std::getenv("TAGFLOW_GIT_PR_TOKEN"));
  if (!token) return token.error().message;
  f.pr_target = std::move(*target);
  f.pr_token = std::move(*token);
  return std::nullopt;
}

// Usage errors (exit 2) before anything starts; also fills derived options.
std::optional<std::string> CheckFlags(DaemonFlags& f) {
  if (Result<void> r = SetupLogging(f.log.format, f.log.level); !r) return r.error().message;
  if (f.git.url.empty()) return "--git-url is required";
  if (Result<void> r = registry::Validate(f.registry); !r) return r.error().message;
  if (f.automation_interval.count() <= 0) return "--automation-interval must be positive";
  f.registry.shared_tags_ttl = f.automation_interval / 2;  // --cache-url: tag lists' TTL
  f.notify.repeat_interval = std::chrono::duration_cast<std::chrono::seconds>(f.notify_repeat);
  // --slack-token names a file; TAGFLOW_SLACK_TOKEN holds the token itself.
  Result<std::string> token =
      notify::SlackTokenFromFlag(f.notify.slack_token, std::getenv("TAGFLOW_SLACK_TOKEN"));
  if (!token) return token.error().message;
  f.notify.slack_token = std::move(*token);
  return CheckPushBranchFlags(f);
}

daemon::DaemonConfig ConfigOf(const DaemonFlags& f) {
  daemon::DaemonConfig c;
  c.cycle.paths = f.paths;
  c.cycle.branch = f.git.branch;
  c.cycle.repo_url = RedactUrl(f.git.url);
  c.cycle.sync_tag = f.sync_tag;
  c.cycle.ci_skip = f.ci_skip;
  c.cycle.ci_skip_message = f.ci_skip_message;
  c.cycle.dry_run = f.dry_run;
  c.cycle.readonly = f.readonly;
  c.cycle.push_branch = f.push_branch;
  c.cycle.pr_labels = f.pr_labels;
  c.cycle.cosign_keys = !f.registry.cosign_keys.empty();
  c.automation_interval = f.automation_interval;
  c.git_poll_interval = f.git_poll_interval;
  c.listen = f.listen;
  c.health_listen = f.health_listen;
  c.webhook_secret = f.webhook_secret;
  c.cycle.respect_rollbacks = f.signing.respect_rollbacks;
  c.cycle.git_email = f.git.email;
  return c;
}

// The real edges of the daemon, owned here and lent to daemon::Daemon.
struct RealEdges {
  SystemClock clock;
  manifest::RealFilesystem fs;
  std::unique_ptr<registry::RegistryService> registry;
  std::unique_ptr<daemon::ScannerImageSource> scanned;
  std::unique_ptr<daemon::ListingCache> images;  // reads cost one listing per interval
  Signing signing;                               // outlives the repo, which signs with it
  std::unique_ptr<git::GitRepo> repo;
  std::unique_ptr<HttpClient> http;  // the notifier's
  std::unique_ptr<notify::HttpSender> sender;
  std::unique_ptr<notify::Notifier> notifier;
  std::unique_ptr<git::PullRequestClient> pull_requests;  // with --git-pr
  // --cache-url: one writer per repository (daemon/lease.h). Asks the daemon
  // for a cycle when it takes the lease over.
  std::unique_ptr<daemon::RedisWriterLease> lease;
  std::atomic<daemon::Daemon*> lease_daemon{nullptr};

  // Opens everything; errors are configuration errors (exit 2).
  Result<void> Open(const DaemonFlags& f) {
    auto service = registry::RegistryService::Create(f.registry, clock);
    if (!service) return Fail(service.error());
    registry = std::move(*service);
    scanned = std::make_unique<daemon::ScannerImageSource>(registry->scanner());
    images = std::make_unique<daemon::ListingCache>(*scanned, clock, f.automation_interval);
    auto signing_opened = OpenSigning(f.signing, f.git.timeout);
    if (!signing_opened) return Fail(signing_opened.error());
    signing = std::move(*signing_opened);
    git::GitOptions git_options = f.git;
    git_options.signer = signing.signer;
    auto opened = git::OpenGitRepo(git_options);
    if (!opened) return Fail(opened.error());
    repo = std::move(*opened);
    http = std::make_unique<CurlHttpClient>(CurlHttpClient::Options{});
    if (f.pr_target) pull_requests = git::NewPullRequestClient(*f.pr_target, f.pr_token, *http);
    sender = std::make_unique<notify::HttpSender>(*http);
    notify::NotifierOptions notify_options = f.notify;
    notify_options.git_url = f.git.url;  // for commit links only (notify/links.h)
    auto created = notify::Notifier::Create(std::move(notify_options), *sender, clock);
    if (!created) return Fail(created.error());
    notifier = std::move(*created);
    if (registry->redis() != nullptr && !f.readonly && !f.dry_run) {
      lease = std::make_unique<daemon::RedisWriterLease>(
          *registry->redis(), clock, RedactUrl(f.git.url) + "#" + f.git.branch,
          daemon::LeaseOptions{}, [this] {
            if (daemon::Daemon* d = lease_daemon.load()) d->RequestCycle("writer lease acquired");
          });
    }
    return {};
  }

  daemon::DaemonEdges Edges() {
    daemon::DaemonEdges e{*repo,          fs, *images, clock, notifier.get(), &registry->metrics(),
                          pull_requests.get(), signing.verifier.get()};
    e.lease = lease.get();
    e.export_metrics = [this](Metrics& m) {
      if (registry::RedisClient* redis = registry->redis()) redis->ExportTo(m);
      if (lease) lease->ExportTo(m);
    };
    return e;
  }

  // Takes (or learns the holder of) the writer lease before the first cycle,
  // then keeps it on a thread unless `once`.
  void StartLease(daemon::Daemon& d, bool once) {
    if (!lease) return;
    lease->Step();
    if (!once) {
      lease_daemon = &d;
      lease->Start();
    }
  }
  void StopLease() {
    lease_daemon = nullptr;
    if (lease) lease->Stop();
  }
};

// The daemon the signal watcher stops; set while one exists.
class StopTarget {
 public:
  void Set(daemon::Daemon* d) {
    std::lock_guard lock(mu_);
    daemon_ = d;
    if (d != nullptr && requested_) d->Stop();
  }
  // Returns false when a stop was already requested (a second signal).
  bool Request() {
    std::lock_guard lock(mu_);
    bool first = !requested_;
    requested_ = true;
    if (daemon_ != nullptr) daemon_->Stop();
    return first;
  }

 private:
  std::mutex mu_;
  daemon::Daemon* daemon_ = nullptr;  // guarded by mu_
  bool requested_ = false;            // guarded by mu_
};

int RunOnce(daemon::Daemon& d, const DaemonFlags& f, RealEdges& edges, CliContext& ctx) {
  daemon::CycleReport report = d.RunCycle({"--once"});
  for (const daemon::PlannedChange& c : f.dry_run ? report.planned : report.applied) {
    ctx.out << fmt::format("{} {}: {} -> {}\n", c.workload, c.container, c.from.String(),
                           c.to.String());
  }
  if (!report.commit.empty()) ctx.out << "commit " << report.commit << "\n";
  if (!report.pull_request_url.empty()) {
    ctx.out << "pull request " << report.pull_request_url << " (" << report.pull_request_action
            << ")\n";
  }
  edges.notifier->Stop(edges.clock.Now() + std::chrono::seconds(10));
  return report.ok() && !report.stopped ? kExitOk : kExitFailed;
}

int RunDaemon(DaemonFlags& f, CliContext& ctx) {
  if (std::optional<std::string> bad = CheckFlags(f)) return Usage(ctx, *bad);
  StopTarget stop;
  SignalWatcher signals([&stop](int sig) {
    if (!stop.Request()) {
      spdlog::warn("signal={} again: exiting now", sig);
      std::_Exit(kExitFailed);
    }
    spdlog::info("signal={} stopping after the step in flight", sig);
  });

  daemon::LimitMallocArenas();  // before any thread (daemon/memory.h)
  rlim_t open_files = RaiseOpenFileLimit();
  RealEdges edges;
  if (Result<void> opened = edges.Open(f); !opened) return Usage(ctx, opened.error().message);
  daemon::DaemonConfig config = ConfigOf(f);
  config.cycle.verify_signatures = edges.signing.verify_mode;
  daemon::Daemon d(edges.Edges(), config);
  edges.registry->limiter().set_cancel(&d.stopping());  // SIGTERM ends a scan within a request
  stop.Set(&d);
  edges.StartLease(d, f.once);
  int code = kExitOk;
  if (f.once) {
    code = RunOnce(d, f, edges, ctx);
  } else if (Result<int> port = d.Serve(); !port) {
    ctx.err << "error: " << port.error().message << "\n";
    code = port.error().kind == ErrorKind::kInvalidInput ? kExitUsage : kExitFailed;
  } else {
    spdlog::info(
        "daemon started listen={} port={} health_port={} git_url={} branch={} interval={} "
        "open_files={}",
        f.listen, *port, d.health_port(), RedactUrl(f.git.url), f.git.branch,
        FormatDuration(f.automation_interval), static_cast<uint64_t>(open_files));
    d.Run();
    size_t dropped = edges.notifier->Stop(edges.clock.Now() + std::chrono::seconds(5));
    spdlog::info("daemon stopped notifications_dropped={}", dropped);
  }
  edges.StopLease();  // releases the lease: a standby takes over at once
  stop.Set(nullptr);
  return code;
}

}  // namespace

void AddDaemonCommand(CLI::App& app, CliContext& ctx) {
  auto f = std::make_shared<DaemonFlags>();
  CLI::App* cmd =
      app.add_subcommand("daemon", "Run the automation loop (or one cycle with --once)");
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
  cmd->add_option("--cosign-key", f->registry.cosign_keys,
                  "PEM public key (ECDSA P-256) that tagflow.io/verify: cosign checks "
                  "signatures against (repeatable)");
  cmd->add_option("--slack-url", f->notify.slack_url, "Slack incoming-webhook URL (a secret)");
  cmd->add_option("--slack-token", f->notify.slack_token,
                  "File holding a Slack bot token: Web API, failures in threads "
                  "(TAGFLOW_SLACK_TOKEN holds the token itself)");
  cmd->add_option("--slack-api-url", f->notify.slack_api_url,
                  "Slack Web API base URL (for proxies and tests)")
      ->capture_default_str();
  cmd->add_option("--slack-channel", f->notify.slack_channel,
                  "Slack channel override (the default channel with --slack-token)");
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
  cmd->add_option("--teams-url", f->notify.teams_url,
                  "Microsoft Teams Workflows webhook URL (a secret)");
  cmd->add_option("--discord-url", f->notify.discord_url, "Discord webhook URL (a secret)");
  cmd->add_option("--googlechat-url", f->notify.googlechat_url,
                  "Google Chat incoming-webhook URL (a secret)");
  cmd->add_option("--git-web-url", f->notify.git_web_url,
                  "Web page of the repository, for commit links (default: from --git-url)");
  cmd->add_option("--git-push-branch", f->push_branch,
                  "Push to this branch of tagflow's own (force-pushed, one commit on top of "
                  "--git-branch) instead of --git-branch");
  cmd->add_option("--git-pr", f->pr_provider,
                  "Keep a pull request from --git-push-branch to --git-branch open: github, "
                  "gitlab or gitea");
  cmd->add_option("--git-pr-api-url", f->pr_api_url,
                  "API base URL of --git-pr (default: from the host of --git-url)");
  cmd->add_option("--git-pr-token-file", f->pr_token_file,
                  "File holding the API token of --git-pr (TAGFLOW_GIT_PR_TOKEN holds the token "
                  "itself)");
  cmd->add_option("--git-pr-label", f->pr_labels, "Label of new pull requests (repeatable)")
      ->delimiter(',');
  cmd->add_option("--listen", f->listen, "Address of the HTTP endpoints")->capture_default_str();
  cmd->add_option("--health-listen", f->health_listen,
                  "Second address serving only /healthz and /readyz, for probes (default: none)");
  cmd->add_option("--webhook-secret", f->webhook_secret,
                  "Secret the mutating and hook endpoints require (bearer or HMAC)");
  cmd->add_flag("--once", f->once, "Run one cycle and exit (0 ok, 1 errors, 2 bad usage)");
  cmd->add_flag("--dry-run", f->dry_run, "Print the plan; change nothing");
  AddLogFlags(*cmd, f->log);
  AddSigningFlags(*cmd, f->signing);
  cmd->add_option("--config", "YAML file with flag values (keys are flag names)");
  cmd->callback([f, &ctx] { ctx.exit_code = RunDaemon(*f, ctx); });
}

}  // namespace tagflow::cli
