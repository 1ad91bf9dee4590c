#include "daemon/git_edit.h"

#include <fmt/format.h>

namespace tagflow::daemon {

Result<GitEditResult> EditCommitPush(
    GitRepo& repo, const std::function<Result<manifest::ChangeSet>(const std::string& root)>& edit,
    int attempts) {
  GitEditResult result;
  for (int attempt = 1;; ++attempt) {
    Result<std::string> head = repo.Sync();
    if (!head) return Fail(head.error());
    Result<manifest::ChangeSet> changes = edit(repo.WorkTree().string());
    if (!changes) return Fail(changes.error());
    result.changes = std::move(*changes);
    if (result.changes.files.empty()) return result;

    Result<std::string> commit = repo.Commit(result.changes.files, result.changes.commit_message);
    if (!commit) return Fail(commit.error().Wrap("commit"));
    Result<void> pushed = repo.Push();
    if (pushed) {
      result.commit = *commit;
      return result;
    }
    if (pushed.error().kind != ErrorKind::kConflict) return Fail(pushed.error().Wrap("push"));
    result.conflicts++;
    if (attempt >= attempts) {
      return Fail(ErrorKind::kConflict,
                  fmt::format("push: the branch kept moving; gave up after {} attempts", attempt));
    }
  }
}

}  // namespace tagflow::daemon
