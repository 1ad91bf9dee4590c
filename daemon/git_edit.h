// The CLI's edits against a remote repository: clone, edit, commit, push,
// and on a non-fast-forward push fetch and edit again (bounded), so a
// concurrent writer is never overwritten and nothing is force-pushed.
#pragma once

#include <functional>
#include <string>

#include "daemon/git.h"
#include "manifest/update.h"
#include "registry/error.h"

namespace tagflow::daemon {

struct GitEditResult {
  manifest::ChangeSet changes;  // of the attempt that was pushed (or found nothing to do)
  std::string commit;           // pushed commit id; "" when nothing changed
  int conflicts = 0;            // non-fast-forward pushes retried
};

// Runs `edit` on the work tree of `repo` (a path to the clone's root) after
// a fresh Sync(), commits the files it reports with its commit message, and
// pushes. On kConflict, syncs and runs `edit` again, up to `attempts` times.
// Errors from `edit` and git pass through, wrapped with the step.
[[nodiscard]] Result<GitEditResult> EditCommitPush(
    GitRepo& repo, const std::function<Result<manifest::ChangeSet>(const std::string& root)>& edit,
    int attempts = 3);

}  // namespace tagflow::daemon
