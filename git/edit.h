// The one edit-commit-push loop, shared by the automation cycle and the
// CLI's editing commands: sync, edit the work tree, commit what the edit
// reports, push; on a non-fast-forward push sync again and edit again from
// the new head (bounded), so a concurrent writer is never overwritten,
// nothing is committed twice and nothing is force-pushed.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "git/repo.h"

namespace tagflow::git {

// What one edit of the work tree produced.
struct WorkTreeEdit {
  std::vector<std::string> files;  // changed paths, relative to the root; [] = nothing to commit
  std::string message;             // the commit message
};

// Edits `root` (the clone's work tree, freshly synced at `head`).
using EditFn =
    std::function<Result<WorkTreeEdit>(const std::string& root, const std::string& head)>;

struct EditCommitPushOptions {
  int attempts = 3;    // pushes tried before giving up on conflicts
  std::string branch;  // for messages and logs
  // Optional: when it turns true after the commit, the push is skipped and
  // the remote stays untouched (SIGTERM mid-cycle).
  const std::atomic<bool>* stop = nullptr;
};

struct EditCommitPushOutcome {
  // The branch head the loop ended on: the pushed commit, else the last head
  // synced ("" when no sync succeeded).
  std::string head;
  std::string commit;    // pushed commit id; "" when nothing was pushed
  int syncs = 0;         // successful syncs (0: the first one failed)
  int conflicts = 0;     // non-fast-forward pushes, each followed by a re-edit
  bool stopped = false;  // `stop` turned true before the push
  enum class Step { kNone, kSync, kEdit, kCommit, kPush };
  Step failed = Step::kNone;
  // The error of the step that failed, its message prefixed with "commit: "
  // or "push: " (sync and edit errors pass through as they are).
  std::optional<Error> error;

  bool ok() const { return !error.has_value(); }
};

// Runs the loop described above with `edit` at most `attempts` times. The
// outcome always says where the branch stands, even on failure, so a caller
// can still move a sync tag to `head`.
[[nodiscard]] EditCommitPushOutcome EditCommitPush(GitRepo& repo, const EditFn& edit,
                                                   const EditCommitPushOptions& options = {});

}  // namespace tagflow::git
