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
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/metrics.h"
#include "daemon/plan.h"
#include "git/repo.h"
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
  std::vector<std::string> notices;           // logged, not failures
  std::vector<manifest::Workload> workloads;  // the last scan, for the API

  bool ok() const { return errors.empty(); }
};

class Cycle {
 public:
  Cycle(CycleDeps deps, CycleOptions options);

  // Runs one cycle; never throws. `reasons` only go to the log.
  CycleReport Run(const std::vector<std::string>& reasons = {});

 private:
  struct Planned {
    std::vector<manifest::Workload> workloads;
    Plan plan;
    std::vector<notify::EventError> errors;
    std::vector<std::string> notices;
  };
  // Scans the work tree and plans against `scans`, scanning images that are
  // not in it yet (first pass: all of them).
  Result<Planned> ScanAndPlan(std::map<std::string, registry::RepositoryScan>& scans);
  // Rewrites the files of `changes`; returns what was applied and the paths
  // written, adding a rewrite error to `errors` for each change refused.
  std::vector<PlannedChange> Apply(const std::vector<PlannedChange>& changes,
                                   std::vector<std::string>& files,
                                   std::vector<notify::EventError>& errors);
  bool Stopping() const { return deps_.stopping && deps_.stopping->load(); }
  bool MayPush() const { return !deps_.may_push || deps_.may_push(); }
  void Finish(CycleReport& report, double seconds);
  // Tells the notifier about the cycle (DESIGN.md §1.8): a success when it
  // pushed (carrying the cycle's errors, if any, so that it never counts as
  // a recovery), a failure when it had errors, CycleOk otherwise.
  void Notify(const CycleReport& report, double seconds);

  CycleDeps deps_;
  CycleOptions options_;
};

// Declares the cycle's metric families on `metrics`.
void DescribeCycleMetrics(Metrics& metrics);

}  // namespace tagflow::daemon
