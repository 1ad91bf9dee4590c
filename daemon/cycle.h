// One automation cycle (DESIGN.md §1): sync the clone, scan the manifests,
// ask the registries, plan, rewrite, commit, push (re-planning on a
// non-fast-forward), move the sync tag, notify.
//
// Every edge is borrowed through `CycleDeps`, so the cycle runs against a
// git::FakeGitRepo, an in-memory image source and a fake clock in unit tests, and
// against libgit2, the registry client and the real filesystem in the daemon.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/metrics.h"
#include "daemon/plan.h"
#include "daemon/rollback.h"
#include "git/edit.h"
#include "git/pull_request.h"
#include "git/repo.h"
#include "git/verify.h"
#include "manifest/filesystem.h"
#include "notify/event.h"
#include "registry/scanner.h"

namespace tagflow::notify {
class Notifier;
}

namespace tagflow::daemon {

struct CycleOptions {
  std::vector<std::string> paths;      // --git-path, relative to the repo root ([] = all)
  std::string branch = "master";       // for messages
  std::string repo_url;                // redacted, for messages
  std::string sync_tag = "flux-sync";  // --git-sync-tag ("" = none)
  bool ci_skip = false;                // --git-ci-skip
  std::string ci_skip_message = "[ci skip]";
  bool dry_run = false;       // plan and report, change nothing
  bool readonly = false;      // --git-readonly: report only, never push
  int max_push_attempts = 3;  // pushes tried before giving up on conflicts
  // --git-push-branch: commit on top of `branch` and force-push here instead
  // ("" = push to `branch`); see git/push_branch.h.
  std::string push_branch;
  std::vector<std::string> pr_labels;  // --git-pr-label, for new pull requests
  bool cosign_keys = false;            // --cosign-key is set (tagflow.io/verify: cosign)
  // --git-verify-signatures(-mode): the commits since the sync tag must be
  // signed by a key of CycleDeps::verifier, or the cycle does nothing but
  // fail (git/verify.h).
  git::VerifyMode verify_signatures = git::VerifyMode::kNone;
  // --respect-rollbacks: hold containers a person rolled back
  // (daemon/rollback.h); `git_email` (--git-email) tells tagflow's commits.
  bool respect_rollbacks = true;
  std::string git_email = "tagflow@localhost";
};

// Scans image repositories; the daemon passes registry::Scanner::Scan.
using ImageScan = std::function<std::map<std::string, registry::RepositoryScan>(
    const std::vector<registry::ScanTarget>&)>;

struct CycleDeps {
  git::GitRepo& git;
  manifest::Filesystem& fs;  // reads and writes inside git.WorkTree()
  ImageScan scan_images;
  DigestLookup digest_of;
  Clock& clock;
  Metrics* metrics = nullptr;                   // optional
  notify::Notifier* notifier = nullptr;         // optional
  const std::atomic<bool>* stopping = nullptr;  // optional: SIGTERM asks to stop early
  // Optional, with options.push_branch: keeps one open pull request from the
  // push branch to the branch (--git-pr).
  git::PullRequestClient* pull_requests = nullptr;
  // Judges commit signatures when CycleOptions::verify_signatures is on
  // (null then: every commit fails as "unknown key").
  git::SignatureVerifier* verifier = nullptr;
  // Optional: false when this daemon may not push now (the writer lease of
  // --cache-url is not confirmed, daemon/lease.h): the cycle then plans and
  // reports as --git-readonly does.
  std::function<bool()> may_push;
};

struct CycleReport {
  bool synced = false;                 // the git sync succeeded
  std::string head;                    // branch head the cycle ended on
  std::vector<PlannedChange> planned;  // the last plan's changes
  std::vector<PlannedChange> applied;  // changes committed (and pushed unless readonly/dry-run)
  std::string commit;                  // pushed commit id, "" when none
  bool pushed = false;
  bool tag_moved = false;
  int push_conflicts = 0;
  bool stopped = false;             // stopped early on request; the remote is untouched
  std::vector<std::string> errors;  // each names file/workload/container/host
  // The same errors with their stage and parts (errors[i] is
  // error_details[i].message): what the notifier groups by stage.
  std::vector<notify::EventError> error_details;
  std::vector<std::string> notices;  // logged, not failures
  // Tags held back by a release gate (tagflow.io/verify) in the last plan;
  // each (container, tag, digest, reason) is logged and notified once per
  // Cycle object, however many cycles see it again.
  std::vector<GateSkip> skips;
  // Workload id -> its tagflow.io/notify-channel, for the workloads of the
  // last scan that set one. The scan itself is not kept (memory, issue 14).
  std::map<std::string, std::string> channels;
  // One reference per image repository the automated containers use (what
  // registry hooks are matched against).
  std::vector<image::ImageRef> automated_images;
  // With a push branch: the commit it holds for this plan ("" when none),
  // whether it already held it, whether it was deleted (merged), and the
  // pull request kept for it (--git-pr).
  std::string push_branch_commit;
  bool push_branch_up_to_date = false;
  bool push_branch_deleted = false;
  std::string pull_request_url;
  std::string pull_request_action;  // "created", "updated", "unchanged", "left closed" or ""
  std::vector<Rollback> rollbacks;  // containers held after a rollback
  bool unverified = false;          // the head failed --git-verify-signatures

  bool ok() const { return errors.empty(); }
};

class Cycle {
 public:
  Cycle(CycleDeps deps, CycleOptions options);

  // Runs one cycle; never throws. `reasons` only go to the log.
  CycleReport Run(const std::vector<std::string>& reasons = {});

 private:
  struct Planned {
    std::map<std::string, std::string> channels;  // workload id -> notify channel
    std::vector<image::ImageRef> images;          // one per repository automated containers use
    Plan plan;
    std::vector<notify::EventError> errors;
    std::vector<std::string> notices;
    std::vector<Rollback> rollbacks;
  };
  // Scans the work tree (synced at `head`) and plans against `scans`,
  // scanning images that are not in it yet (first pass: all of them).
  Result<Planned> ScanAndPlan(const std::string& head,
                              std::map<std::string, registry::RepositoryScan>& scans);
  // The rollbacks of `automated` at `head` (daemon/rollback.h); a history
  // that cannot be read is a notice, and nothing is held.
  std::vector<Rollback> DetectRollbacks(
      const std::string& head, const std::vector<AutomatedContainer>& automated,
      const std::map<std::string, registry::RepositoryScan>& scans,
      std::vector<std::string>& notices);
  // The --git-verify-signatures check of `head`: one error per failing
  // commit (or why the check could not run); [] when it passes.
  std::vector<notify::EventError> VerifyHead(const std::string& head);
  // Tells of rollbacks not told before by this process.
  void AnnounceRollbacks(const std::vector<Rollback>& rollbacks,
                         const std::map<std::string, std::string>& channels);
  // Rewrites the files of `changes`; returns what was applied and the paths
  // written, adding a rewrite error to `errors` for each change refused.
  std::vector<PlannedChange> Apply(const std::vector<PlannedChange>& changes,
                                   std::vector<std::string>& files,
                                   std::vector<notify::EventError>& errors);
  bool Stopping() const { return deps_.stopping && deps_.stopping->load(); }
  // Runs the edit with options_.push_branch (git::EditCommitPushBranch) and,
  // after a push or when the branch is up to date, the pull request step;
  // fills the push-branch fields of `report` (cycle_push_branch.cc).
  git::EditCommitPushOutcome PushToBranch(const git::EditFn& edit,
                                          const std::vector<PlannedChange>& applied,
                                          CycleReport& report);
  void EnsurePullRequest(const std::string& message, const std::vector<PlannedChange>& applied,
                         CycleReport& report);
  bool MayPush() const { return !deps_.may_push || deps_.may_push(); }
  void Finish(CycleReport& report, double seconds);
  // Tells the notifier about the cycle (DESIGN.md §1.8): a success when it
  // pushed (carrying the cycle's errors, if any, so that it never counts as
  // a recovery), a failure when it had errors, CycleOk otherwise.
  void Notify(const CycleReport& report, double seconds);
  // The skips of `report` not reported before, remembered as reported.
  std::vector<GateSkip> NewSkips(const CycleReport& report);

  CycleDeps deps_;
  CycleOptions options_;
  // image:tag -> digest, asked once per Run (re-plans after a push conflict
  // reuse it): one HEAD per tracked tag per cycle.
  std::map<std::string, Result<std::string>> digests_;
  std::set<std::string> reported_skips_;  // GateSkip keys already logged and notified
  // Rollbacks already told ("workload container commit"): once per process.
  std::set<std::string> announced_;
};

// The body of the pull request for `changes` (--git-pr): one Markdown line
// per change, `workload` container `c`: `old ref` -> `new ref`.
std::string PullRequestBody(const std::vector<PlannedChange>& changes);

// Declares the cycle's metric families on `metrics`.
void DescribeCycleMetrics(Metrics& metrics);

}  // namespace tagflow::daemon
