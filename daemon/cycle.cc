#include "daemon/cycle.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "base/strings.h"
#include "git/edit.h"
#include "manifest/rewrite.h"
#include "manifest/scan.h"
#include "manifest/update.h"
#include "notify/notifier.h"

namespace tagflow::daemon {
namespace {

using notify::EventError;
using notify::Stage;

EventError StageError(Stage stage, std::string message, std::string file = "",
                      std::string workload = "", std::string container = "",
                      std::string host = "") {
  EventError e(stage, std::move(message));
  e.file = std::move(file);
  e.workload = std::move(workload);
  e.container = std::move(container);
  e.host = std::move(host);
  return e;
}

// The stage of a failed step of git::EditCommitPush.
Stage StageOf(git::EditCommitPushOutcome::Step step) {
  using Step = git::EditCommitPushOutcome::Step;
  switch (step) {
    case Step::kSync:
      return Stage::kGitSync;
    case Step::kEdit:
      return Stage::kScan;
    case Step::kCommit:
    case Step::kPush:
      return Stage::kPush;
    case Step::kNone:
      break;
  }
  return Stage::kOther;
}

// Workload id -> its tagflow.io/notify-channel (only workloads that set one).
std::map<std::string, std::string> NotifyChannels(
    const std::vector<manifest::Workload>& workloads) {
  std::map<std::string, std::string> out;
  for (const manifest::Workload& w : workloads) {
    for (const auto& [key, value] : w.annotations) {
      std::string_view channel = Trim(value);
      if (key == kNotifyChannel && !channel.empty()) out[w.id] = std::string(channel);
    }
  }
  return out;
}

// The errors with the channel of the workload each names.
std::vector<EventError> WithChannels(std::vector<EventError> errors,
                                     const std::map<std::string, std::string>& channels) {
  for (EventError& e : errors) {
    if (auto it = channels.find(e.workload); it != channels.end()) e.channel = it->second;
  }
  return errors;
}

std::string ChangeText(const PlannedChange& c) {
  return fmt::format("workload={} container={} from={} to={}", c.workload, c.container,
                     c.from.String(), c.to.String());
}

}  // namespace

void DescribeCycleMetrics(Metrics& m) {
  m.Describe("tagflow_cycles_total", Metrics::Type::kCounter, "Automation cycles run, by result.");
  m.Describe("tagflow_cycle_duration_seconds", Metrics::Type::kSummary,
             "Wall time of automation cycles.");
  m.Describe("tagflow_commits_total", Metrics::Type::kCounter, "Commits pushed.");
  m.Describe("tagflow_image_updates_total", Metrics::Type::kCounter,
             "Image references changed by pushed commits.");
  m.Describe("tagflow_push_conflicts_total", Metrics::Type::kCounter,
             "Pushes rejected as non-fast-forward (then re-planned).");
  m.Describe("tagflow_last_success_timestamp_seconds", Metrics::Type::kGauge,
             "Unix time of the last cycle that ended without errors.");
}

Cycle::Cycle(CycleDeps deps, CycleOptions options)
    : deps_(std::move(deps)), options_(std::move(options)) {}

Result<Cycle::Planned> Cycle::ScanAndPlan(const std::string& head,
                                          std::map<std::string, registry::RepositoryScan>& scans) {
  const std::string root = deps_.git.WorkTree().string();
  // What the checkout left in libgit2's caches (delta bases: up to 16 MiB)
  // is not needed by the scan, which reads the work tree (memory, issue 14).
  deps_.git.ReleaseCaches();
  // Only what planning reads is kept of each workload.
  Result<manifest::ScanResult> scan =
      manifest::Scan(deps_.fs, root, options_.paths, {.trim = TrimForPlanning});
  if (!scan) return Fail(scan.error().Wrap("--git-path"));

  Planned out;
  for (const manifest::Problem& p : scan->problems) {
    if (p.severity == manifest::Severity::kError) {
      out.errors.push_back(StageError(Stage::kScan, p.ToString(), p.file));
    } else {
      out.notices.push_back(p.ToString());
    }
  }
  std::vector<PlanProblem> filter_problems;
  std::vector<AutomatedContainer> automated = FindAutomated(scan->workloads, &filter_problems);
  // The file and registry host of each container with a problem, for the
  // errors below (only those: a big repository has 10,000s of containers).
  using Where = std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>>;
  Where where;
  for (const PlanProblem& p : filter_problems) where[{p.workload, p.container}];
  for (const manifest::Workload& w : scan->workloads) {
    if (where.empty()) break;
    for (const manifest::Container& c : w.containers) {
      // A Flux marker's container lives in its own file.
      auto it = where.find({w.id, c.name});
      if (it != where.end()) {
        it->second = {c.file.empty() ? w.file : c.file, c.image.CanonicalDomain()};
      }
    }
  }
  out.channels = NotifyChannels(scan->workloads);
  // The scan's last use: what follows reads `automated`, its own copy, so the
  // registry scan, the history walk and the plan do not stack on it.
  std::vector<manifest::Workload>().swap(scan->workloads);  // `= {}` would keep the capacity

  std::vector<registry::ScanTarget> missing;
  for (registry::ScanTarget& t : ScanTargets(automated)) {
    out.images.push_back(t.image);
    if (!scans.contains(t.image.CanonicalName())) missing.push_back(std::move(t));
  }
  if (!missing.empty()) scans.merge(deps_.scan_images(missing));

  DigestLookup digest_of = [this](const image::ImageRef& image, const std::string& tag) {
    std::string key = fmt::format("{}:{}", image.CanonicalName(), tag);
    auto it = digests_.find(key);
    if (it == digests_.end()) it = digests_.emplace(key, deps_.digest_of(image, tag)).first;
    return it->second;
  };
  out.rollbacks = DetectRollbacks(head, automated, scans, out.notices);
  deps_.git.ReleaseCaches();  // the old versions the walk read
  Holds holds = HoldsOf(out.rollbacks);
  out.plan = MakePlan(automated, scans, digest_of,
                      PlanContext{deps_.clock.Now(), options_.cosign_keys}, &holds);
  if (!out.plan.problems.empty()) {
    std::set<std::pair<std::string, std::string>> wanted;
    for (const PlanProblem& p : out.plan.problems) wanted.insert({p.workload, p.container});
    for (const AutomatedContainer& ac : automated) {
      if (wanted.contains({ac.workload, ac.container})) {
        where[{ac.workload, ac.container}] = {ac.file, ac.image.CanonicalDomain()};
      }
    }
  }
  auto add = [&](const PlanProblem& p, Stage stage) {
    if (p.notice) {
      out.notices.push_back(p.message);
      return;
    }
    auto [file, host] = where[{p.workload, p.container}];
    out.errors.push_back(StageError(stage, p.message, file, p.workload, p.container,
                                    stage == Stage::kRegistry ? host : ""));
  };
  for (const PlanProblem& p : filter_problems) add(p, Stage::kScan);  // invalid filters
  for (const PlanProblem& p : out.plan.problems) add(p, Stage::kRegistry);
  out.plan.problems.insert(out.plan.problems.begin(), filter_problems.begin(),
                           filter_problems.end());
  return out;
}

std::vector<PlannedChange> Cycle::Apply(const std::vector<PlannedChange>& changes,
                                        std::vector<std::string>& files,
                                        std::vector<EventError>& errors) {
  std::vector<manifest::FileEdit> edits;
  for (const PlannedChange& c : changes) {
    edits.push_back({c.file, manifest::ImageEdit{c.workload, c.container, c.to}});
  }
  Result<manifest::ApplyOutcome> outcome =
      manifest::ApplyFileEdits(deps_.fs, deps_.git.WorkTree().string(), edits,
                               manifest::ApplyMode::kBestEffort, /*dry_run=*/false);
  if (!outcome) {  // kBestEffort reports per edit; this is a bug
    errors.push_back(StageError(Stage::kRewrite, outcome.error().message));
    return {};
  }
  for (const manifest::Refusal& r : outcome->refused) {
    const PlannedChange& c = changes[r.index];
    errors.push_back(StageError(
        Stage::kRewrite,
        r.whole_file
            ? fmt::format("{}: {}", c.file, r.error.message)
            : fmt::format("workload {} container {}: {}", c.workload, c.container, r.error.message),
        c.file, c.workload, c.container));
  }
  files = std::move(outcome->files);
  std::vector<PlannedChange> applied;
  for (size_t i : outcome->applied) applied.push_back(changes[i]);
  return applied;
}

CycleReport Cycle::Run(const std::vector<std::string>& reasons) {
  auto started = deps_.clock.Now();
  CycleReport report;
  std::string why;
  for (const std::string& r : reasons) why += (why.empty() ? "" : ",") + r;
  spdlog::info("cycle start reason=\"{}\"", why);

  // Each attempt (the first, and one more after every push conflict) scans
  // and plans the freshly synced tree; image scans carry over between
  // attempts. Findings are per attempt: a retry starts from scratch.
  std::map<std::string, registry::RepositoryScan> scans;
  std::vector<PlannedChange> applied;
  digests_.clear();
  auto edit = [&](const std::string&, const std::string& head) -> Result<git::WorkTreeEdit> {
    report.unverified = false;
    if (std::vector<EventError> unverified = VerifyHead(head); !unverified.empty()) {
      report.unverified = true;  // act on nothing: no scan, no commit, no tag
      report.error_details = std::move(unverified);
      return git::WorkTreeEdit{};
    }
    Result<Planned> planned = ScanAndPlan(head, scans);
    if (!planned) return Fail(planned.error());
    report.rollbacks = std::move(planned->rollbacks);
    report.planned = planned->plan.changes;
    report.channels = std::move(planned->channels);
    report.automated_images = std::move(planned->images);
    report.error_details = std::move(planned->errors);
    report.notices = std::move(planned->notices);
    report.skips = planned->plan.skips;
    applied.clear();
    if (Stopping()) {
      report.stopped = true;
      return git::WorkTreeEdit{};
    }
    if (options_.dry_run || options_.readonly || !MayPush()) {
      for (const PlannedChange& c : report.planned) {
        spdlog::info("plan {} mode={}", ChangeText(c),
                     options_.dry_run ? "dry-run" : (options_.readonly ? "readonly" : "no-lease"));
      }
      return git::WorkTreeEdit{};
    }
    git::WorkTreeEdit out;
    applied = Apply(report.planned, out.files, report.error_details);
    if (!applied.empty()) {
      out.message = CommitMessage(applied, options_.ci_skip, options_.ci_skip_message);
    }
    return out;
  };
  git::EditCommitPushOutcome pushed =
      options_.push_branch.empty()
          ? git::EditCommitPush(deps_.git, edit,
                                {options_.max_push_attempts, options_.branch, deps_.stopping})
          : PushToBranch(edit, applied, report);

  using Step = git::EditCommitPushOutcome::Step;
  report.synced = pushed.syncs > 0;
  report.head = pushed.head;
  report.push_conflicts = pushed.conflicts;
  if (pushed.stopped) report.stopped = true;
  if (pushed.error) {
    report.error_details.push_back(StageError(StageOf(pushed.failed), pushed.error->message));
  }
  if (!pushed.commit.empty()) {
    report.applied = std::move(applied);
    report.commit = pushed.commit;
    report.pushed = true;
    for (const PlannedChange& c : report.applied) spdlog::info("updated {}", ChangeText(c));
  }
  // The sync tag follows a branch head that this cycle saw whole: not after a
  // failed sync or scan, a stop request, or a dry/readonly run.
  bool tag = pushed.failed != Step::kSync && pushed.failed != Step::kEdit && !report.stopped &&
             !report.unverified && !options_.dry_run && !options_.readonly && MayPush();
  if (tag && !options_.sync_tag.empty() && !report.head.empty() && !Stopping()) {
    Result<bool> moved = deps_.git.MoveTag(options_.sync_tag, report.head);
    if (moved) {
      report.tag_moved = *moved;
    } else {
      report.error_details.push_back(
          StageError(Stage::kSyncTag, moved.error().Wrap("sync tag " + options_.sync_tag).message));
    }
  }
  for (const EventError& e : report.error_details) report.errors.push_back(e.message);
  if (!options_.dry_run) AnnounceRollbacks(report.rollbacks, report.channels);
  double seconds = std::chrono::duration<double>(deps_.clock.Now() - started).count();
  Finish(report, seconds);
  return report;
}

std::vector<Rollback> Cycle::DetectRollbacks(
    const std::string& head, const std::vector<AutomatedContainer>& automated,
    const std::map<std::string, registry::RepositoryScan>& scans,
    std::vector<std::string>& notices) {
  git::History* history = deps_.git.history();
  if (!options_.respect_rollbacks || history == nullptr || automated.empty()) return {};
  auto started = std::chrono::steady_clock::now();
  Result<std::map<ContainerKey, ImageChange>> changes = LastImageChanges(*history, head, automated);
  if (!changes) {
    notices.push_back("rollback check skipped, nothing held: " + changes.error().message);
    return {};
  }
  std::vector<Rollback> rollbacks =
      FindRollbacks(automated, *changes, TagsFromScans(scans), options_.git_email);
  spdlog::debug(
      "rollback check containers={} changes={} held={} duration_ms={:.1f}", automated.size(),
      changes->size(), rollbacks.size(),
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
          .count());
  return rollbacks;
}

std::vector<EventError> Cycle::VerifyHead(const std::string& head) {
  if (options_.verify_signatures == git::VerifyMode::kNone) return {};
  auto fail = [&](std::string why) {
    return std::vector<EventError>{StageError(
        Stage::kGitSync, fmt::format("branch {} not acted on: {}", options_.branch, why))};
  };
  git::History* history = deps_.git.history();
  if (history == nullptr) return fail("this repository cannot check signatures");
  git::AnySignatureVerifier none(nullptr, nullptr);
  git::SignatureVerifier& verifier = deps_.verifier ? *deps_.verifier : none;
  std::string since;
  if (!options_.sync_tag.empty()) {
    Result<std::string> tagged = history->TagCommit(options_.sync_tag);
    if (!tagged)
      return fail("cannot read the sync tag " + options_.sync_tag + ": " + tagged.error().message);
    since = *tagged;
  }
  Result<std::vector<git::UnverifiedCommit>> bad =
      git::FindUnverified(*history, verifier, head, since, options_.verify_signatures);
  if (!bad) return fail("signatures not checked: " + bad.error().message);
  std::vector<EventError> out;
  for (const git::UnverifiedCommit& c : *bad) {
    out.push_back(StageError(Stage::kGitSync,
                             fmt::format("branch {} not acted on (--git-verify-signatures): {}",
                                         options_.branch, git::Describe(c))));
  }
  return out;
}

void Cycle::AnnounceRollbacks(const std::vector<Rollback>& rollbacks,
                              const std::map<std::string, std::string>& channels) {
  std::vector<EventError> fresh;
  for (const Rollback& r : rollbacks) {
    std::string key = r.workload + " " + r.container + " " + r.commit;
    if (!announced_.insert(key).second) continue;
    spdlog::warn("rollback workload={} container={} from={} to={} commit={} author=\"{}\": holding",
                 r.workload, r.container, r.from_tag, r.to_tag, r.commit.substr(0, 12), r.author);
    EventError line(Stage::kOther, r.Message());
    line.workload = r.workload;
    line.container = r.container;
    if (auto it = channels.find(r.workload); it != channels.end()) line.channel = it->second;
    fresh.push_back(std::move(line));
  }
  if (fresh.empty() || deps_.notifier == nullptr) return;
  notify::Event notice;
  notice.kind = notify::EventKind::kNotice;
  notice.errors = std::move(fresh);
  notice.branch = options_.branch;
  notice.repo_url = options_.repo_url;
  notice.time = deps_.clock.Now();
  deps_.notifier->Notify(notice);
}

void Cycle::Finish(CycleReport& report, double seconds) {
  if (report.stopped) {
    // A stop (SIGTERM: a rollout, a node drain) cancels the registry and git
    // requests under way: what failed because of it is no finding. One line,
    // no notification, no failed-cycle count; the remote is untouched.
    spdlog::info(
        "cycle stopped on request before acting: changes=0 findings_not_reported={} "
        "duration_ms={}",
        report.errors.size() + report.notices.size(), static_cast<long long>(seconds * 1000));
    if (Metrics* m = deps_.metrics) m->Add("tagflow_cycles_total", {{"result", "stopped"}});
    return;
  }
  for (const std::string& n : report.notices) spdlog::info("notice {}", n);
  for (const std::string& e : report.errors) spdlog::error("cycle error: {}", e);
  spdlog::info(
      "cycle done result={} changes={} commit={} pushed={} tag_moved={} conflicts={} errors={} "
      "duration_ms={}",
      report.ok() ? "ok" : "error", report.applied.size(),
      report.commit.empty() ? "-" : report.commit.substr(0, 12), report.pushed, report.tag_moved,
      report.push_conflicts, report.errors.size(), static_cast<long long>(seconds * 1000));

  if (Metrics* m = deps_.metrics) {
    m->Add("tagflow_cycles_total", {{"result", report.ok() ? "ok" : "error"}});
    m->Observe("tagflow_cycle_duration_seconds", {}, seconds);
    if (report.pushed) {
      m->Add("tagflow_commits_total");
      m->Add("tagflow_image_updates_total", {}, static_cast<double>(report.applied.size()));
    }
    if (report.push_conflicts) {
      m->Add("tagflow_push_conflicts_total", {}, report.push_conflicts);
    }
    if (report.ok()) {
      auto now = std::chrono::duration<double>(deps_.clock.Now().time_since_epoch()).count();
      m->Set("tagflow_last_success_timestamp_seconds", {}, now);
    }
  }

  Notify(report, seconds);
}

std::vector<GateSkip> Cycle::NewSkips(const CycleReport& report) {
  std::vector<GateSkip> out;
  for (const GateSkip& s : report.skips) {
    std::string key = fmt::format("{}\n{}\n{}:{}@{}\n{}", s.workload, s.container, s.image, s.tag,
                                  s.digest, s.reason);
    if (reported_skips_.size() >= 10'000) reported_skips_.clear();  // bounded; may repeat
    if (!reported_skips_.insert(std::move(key)).second) continue;
    spdlog::warn(
        "release gate skipped workload={} container={} image={} tag={} digest={} "
        "reason=\"{}\"",
        s.workload, s.container, s.image, s.tag, s.digest.empty() ? "-" : s.digest, s.reason);
    out.push_back(s);
  }
  return out;
}

void Cycle::Notify(const CycleReport& report, double seconds) {
  std::vector<GateSkip> skips = NewSkips(report);
  notify::Notifier* n = deps_.notifier;
  if (n == nullptr || options_.dry_run) return;
  if (!skips.empty()) {
    const std::map<std::string, std::string>& channels = report.channels;
    notify::Event skipped;
    skipped.kind = notify::EventKind::kSkipped;
    skipped.branch = options_.branch;
    skipped.repo_url = options_.repo_url;
    skipped.time = deps_.clock.Now();
    for (const GateSkip& s : skips) {
      EventError e = StageError(Stage::kRegistry, s.message, "", s.workload, s.container);
      if (auto it = channels.find(s.workload); it != channels.end()) e.channel = it->second;
      skipped.errors.push_back(std::move(e));
    }
    n->Notify(skipped);
  }
  notify::Event base;
  base.branch = options_.branch;
  base.repo_url = options_.repo_url;
  base.time = deps_.clock.Now();
  base.duration = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  // Each change and error carries its workload's channel (notify/channels.h).
  std::map<std::string, std::string> channels = report.channels;
  std::vector<EventError> errors = WithChannels(report.error_details, channels);
  if (report.pushed) {
    notify::Event success = base;
    success.kind = notify::EventKind::kSuccess;
    success.commit = report.commit;
    success.errors = errors;  // a success with errors is no recovery
    for (const PlannedChange& c : report.applied) {
      success.changes.push_back({.workload = c.workload,
                                 .container = c.container,
                                 .old_ref = c.from.String(),
                                 .new_ref = c.to.String(),
                                 .image = c.from.Name(),
                                 .old_tag = c.from.tag(),
                                 .new_tag = c.to.tag(),
                                 .channel = channels[c.workload]});
    }
    n->Notify(success);
  }
  if (!report.ok()) {
    notify::Event failure = base;
    failure.kind = notify::EventKind::kFailure;
    failure.errors = std::move(errors);
    n->Notify(failure);
  } else if (!report.pushed) {
    n->CycleOk();
  }
}

}  // namespace tagflow::daemon
