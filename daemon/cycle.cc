#include "daemon/cycle.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "manifest/rewrite.h"
#include "manifest/scan.h"
#include "notify/notifier.h"

namespace tagflow::daemon {
namespace {

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

Result<Cycle::Planned> Cycle::ScanAndPlan(std::map<std::string, registry::RepositoryScan>& scans) {
  const std::string root = deps_.git.WorkTree().string();
  Result<manifest::ScanResult> scan = manifest::Scan(deps_.fs, root, options_.paths);
  if (!scan) return Fail(scan.error().Wrap("--git-path"));

  Planned out;
  for (const manifest::Problem& p : scan->problems) {
    if (p.severity == manifest::Severity::kError) {
      out.errors.push_back(p.ToString());
    } else {
      out.notices.push_back(p.ToString());
    }
  }
  std::vector<PlanProblem> filter_problems;
  std::vector<AutomatedContainer> automated = FindAutomated(scan->workloads, &filter_problems);

  std::vector<registry::ScanTarget> missing;
  for (registry::ScanTarget& t : ScanTargets(automated)) {
    if (!scans.contains(t.image.CanonicalName())) missing.push_back(std::move(t));
  }
  if (!missing.empty()) scans.merge(deps_.scan_images(missing));

  out.plan = MakePlan(automated, scans, deps_.digest_of);
  out.workloads = std::move(scan->workloads);  // `automated` points into it: last use
  out.plan.problems.insert(out.plan.problems.begin(), filter_problems.begin(),
                           filter_problems.end());
  for (const PlanProblem& p : out.plan.problems) {
    (p.notice ? out.notices : out.errors).push_back(p.message);
  }
  return out;
}

std::vector<PlannedChange> Cycle::Apply(const std::vector<PlannedChange>& changes,
                                        std::vector<std::string>& files,
                                        std::vector<std::string>& errors) {
  const std::string root = deps_.git.WorkTree().string();
  std::map<std::string, std::vector<const PlannedChange*>> by_file;
  for (const PlannedChange& c : changes) by_file[c.file].push_back(&c);

  std::vector<PlannedChange> applied;
  for (const auto& [file, file_changes] : by_file) {
    std::string path = manifest::JoinPath(root, file);
    Result<std::string> content = deps_.fs.ReadFile(path);
    if (!content) {
      errors.push_back(fmt::format("{}: {}", file, content.error().message));
      continue;
    }
    // One edit at a time, so a value that cannot be edited in place refuses
    // only its own change.
    std::string text = *content;
    std::vector<PlannedChange> done;
    for (const PlannedChange* c : file_changes) {
      manifest::Edit edit = manifest::ImageEdit{c->workload, c->container, c->to};
      Result<std::string> next = manifest::RewriteManifest(file, text, std::span(&edit, 1));
      if (!next) {
        errors.push_back(fmt::format("workload {} container {}: {}", c->workload, c->container,
                                     next.error().message));
        continue;
      }
      text = std::move(*next);
      done.push_back(*c);
    }
    if (done.empty() || text == *content) continue;
    Result<void> written = deps_.fs.ReplaceFile(path, text);
    if (!written) {
      errors.push_back(fmt::format("{}: {}", file, written.error().message));
      continue;
    }
    files.push_back(file);
    applied.insert(applied.end(), done.begin(), done.end());
  }
  return applied;
}

CycleReport Cycle::Run(const std::vector<std::string>& reasons) {
  auto started = deps_.clock.Now();
  CycleReport report;
  std::string why;
  for (const std::string& r : reasons) why += (why.empty() ? "" : ",") + r;
  spdlog::info("cycle start reason=\"{}\"", why);

  auto finish = [&] {
    double seconds = std::chrono::duration<double>(deps_.clock.Now() - started).count();
    Finish(report, seconds);
    return report;
  };

  Result<std::string> head = deps_.git.Sync();
  if (!head) {
    report.errors.push_back(head.error().message);
    return finish();
  }
  report.synced = true;
  report.head = *head;

  std::map<std::string, registry::RepositoryScan> scans;
  for (int attempt = 1;; ++attempt) {
    Result<Planned> planned = ScanAndPlan(scans);
    if (!planned) {
      report.errors.push_back(planned.error().message);
      return finish();
    }
    report.planned = planned->plan.changes;
    report.workloads = std::move(planned->workloads);
    // A retry re-plans from scratch: keep only this attempt's findings.
    std::vector<std::string> errors = std::move(planned->errors);
    report.notices = std::move(planned->notices);

    if (Stopping()) {
      report.stopped = true;
      report.errors = std::move(errors);
      return finish();
    }
    if (options_.dry_run || options_.readonly) {
      for (const PlannedChange& c : report.planned) {
        spdlog::info("plan {} mode={}", ChangeText(c), options_.dry_run ? "dry-run" : "readonly");
      }
      report.errors = std::move(errors);
      return finish();
    }

    std::vector<std::string> files;
    std::vector<PlannedChange> applied = Apply(report.planned, files, errors);
    report.errors = std::move(errors);
    if (applied.empty()) break;

    std::string message = CommitMessage(applied, options_.ci_skip, options_.ci_skip_message);
    Result<std::string> commit = deps_.git.Commit(files, message);
    if (!commit) {
      report.errors.push_back(commit.error().Wrap("commit").message);
      break;
    }
    if (Stopping()) {  // nothing pushed yet: leave the remote untouched
      report.stopped = true;
      return finish();
    }
    Result<void> pushed = deps_.git.Push();
    if (pushed) {
      report.applied = std::move(applied);
      report.commit = *commit;
      report.pushed = true;
      report.head = *commit;
      for (const PlannedChange& c : report.applied) spdlog::info("updated {}", ChangeText(c));
      break;
    }
    if (pushed.error().kind != ErrorKind::kConflict) {
      report.errors.push_back(pushed.error().Wrap("push").message);
      break;
    }
    report.push_conflicts++;
    if (attempt >= options_.max_push_attempts) {
      report.errors.push_back(fmt::format(
          "push: the branch {} kept moving; gave up after {} attempts, next cycle retries",
          options_.branch, attempt));
      break;
    }
    spdlog::warn("push conflict branch={} attempt={}: fetching and re-planning", options_.branch,
                 attempt);
    head = deps_.git.Sync();
    if (!head) {
      report.errors.push_back(head.error().message);
      return finish();
    }
    report.head = *head;
  }

  if (!options_.sync_tag.empty() && !report.head.empty() && !Stopping()) {
    Result<bool> moved = deps_.git.MoveTag(options_.sync_tag, report.head);
    if (moved) {
      report.tag_moved = *moved;
    } else {
      report.errors.push_back(moved.error().Wrap("sync tag " + options_.sync_tag).message);
    }
  }
  return finish();
}

void Cycle::Finish(CycleReport& report, double seconds) {
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

  if (notify::Notifier* n = deps_.notifier; n && !options_.dry_run) {
    notify::Event base;
    base.branch = options_.branch;
    base.repo_url = options_.repo_url;
    base.time = deps_.clock.Now();
    if (report.pushed) {
      notify::Event success = base;
      success.kind = notify::EventKind::kSuccess;
      success.commit = report.commit;
      for (const PlannedChange& c : report.applied) {
        success.changes.push_back({c.workload, c.container, c.from.String(), c.to.String()});
      }
      n->Notify(success);
    }
    if (!report.ok()) {
      notify::Event failure = base;
      failure.kind = notify::EventKind::kFailure;
      failure.errors = report.errors;
      n->Notify(failure);
    } else if (!report.pushed) {
      n->CycleOk();
    }
  }
}

}  // namespace tagflow::daemon
