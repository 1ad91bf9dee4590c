#include "git/edit.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace tagflow::git {

EditCommitPushOutcome EditCommitPush(GitRepo& repo, const EditFn& edit,
                                     const EditCommitPushOptions& options) {
  using Step = EditCommitPushOutcome::Step;
  EditCommitPushOutcome out;
  auto fail = [&out](Step step, Error error) {
    out.failed = step;
    out.error = std::move(error);
    return out;
  };
  const std::string branch = options.branch.empty() ? "" : options.branch + " ";
  for (int attempt = 1;; ++attempt) {
    Result<std::string> head = repo.Sync();
    if (!head) return fail(Step::kSync, head.error());
    out.syncs++;
    out.head = *head;
    Result<WorkTreeEdit> edited = edit(repo.WorkTree().string(), *head);
    if (!edited) return fail(Step::kEdit, edited.error());
    if (edited->files.empty()) return out;

    Result<std::string> commit = repo.Commit(edited->files, edited->message);
    if (!commit) return fail(Step::kCommit, commit.error().Wrap("commit"));
    if (options.stop != nullptr && options.stop->load()) {  // nothing pushed yet
      out.stopped = true;
      return out;
    }
    Result<void> pushed = repo.Push();
    if (pushed) {
      out.commit = *commit;
      out.head = *commit;
      return out;
    }
    if (pushed.error().kind != ErrorKind::kConflict) {
      return fail(Step::kPush, pushed.error().Wrap("push"));
    }
    out.conflicts++;
    if (attempt >= options.attempts) {
      return fail(Step::kPush,
                  Error{ErrorKind::kConflict,
                        fmt::format("push: the branch {}kept moving; gave up after {} attempts",
                                    branch, attempt)});
    }
    spdlog::warn("push conflict branch={} attempt={}: fetching and editing again", options.branch,
                 attempt);
  }
}

}  // namespace tagflow::git
