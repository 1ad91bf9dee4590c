#include "git/push_branch.h"

#include <fmt/format.h>
#include <git2.h>
#include <spdlog/spdlog.h>

#include "git/deadline.h"

namespace tagflow::git {
namespace {

using Step = EditCommitPushOutcome::Step;

Error PushBranchError(const std::string& push_branch, const Error& error) {
  return error.Wrap(fmt::format("push branch {}", push_branch));
}

// With an empty plan: deletes the push branch when its change is in
// --git-branch already.
void CleanUp(GitRepo& repo, const PushBranchOptions& options, PushBranchOutcome& out) {
  Result<std::string> pushed = repo.FetchBranch(options.push_branch);
  if (!pushed) {
    out.result.failed = Step::kPush;
    out.result.error = PushBranchError(options.push_branch, pushed.error());
    return;
  }
  if (pushed->empty()) return;
  Result<bool> contained = repo.IsAncestor(*pushed, out.result.head);
  if (!contained) {
    out.result.failed = Step::kPush;
    out.result.error = PushBranchError(options.push_branch, contained.error());
    return;
  }
  bool merged = *contained;
  if (!merged && options.merged) {
    Result<bool> elsewhere = options.merged(*pushed);
    if (!elsewhere) {  // the branch stays; say why we could not tell
      out.result.failed = Step::kPush;
      out.result.error = PushBranchError(options.push_branch, elsewhere.error());
      return;
    }
    merged = *elsewhere;
  }
  if (!merged) return;  // not ours to judge: left alone
  if (Result<void> deleted = repo.DeleteBranch(options.push_branch); !deleted) {
    out.result.failed = Step::kPush;
    out.result.error = PushBranchError(options.push_branch, deleted.error());
    return;
  }
  out.deleted = true;
  spdlog::info("push branch {} deleted: its change {} is merged into {}", options.push_branch,
               pushed->substr(0, 12), options.branch);
}

// True when `existing` (the push branch head) is the same change as
// `commit`: one commit on the same parent, same tree, same message.
Result<bool> SameChange(GitRepo& repo, const std::string& existing, const std::string& commit) {
  if (existing.empty()) return false;
  Result<CommitSummary> old = repo.ReadCommit(existing);
  if (!old) return Fail(old.error());
  Result<CommitSummary> now = repo.ReadCommit(commit);
  if (!now) return Fail(now.error());
  return old->parents == now->parents && old->tree == now->tree && old->message == now->message;
}

}  // namespace

Result<void> ValidatePushBranch(const std::string& branch, const std::string& push_branch) {
  if (auto init = InitLibgit2(); !init) return Fail(init.error());
  int valid = 0;
  if (push_branch.empty() ||
      git_reference_name_is_valid(&valid, ("refs/heads/" + push_branch).c_str()) < 0 || !valid) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("invalid --git-push-branch \"{}\": not a branch name", push_branch));
  }
  if (push_branch == branch) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("--git-push-branch \"{}\" is --git-branch itself: tagflow force-pushes "
                            "its push branch, so it must be a branch of its own (e.g. "
                            "tagflow/{})",
                            push_branch, branch));
  }
  return {};
}

PushBranchOutcome EditCommitPushBranch(GitRepo& repo, const EditFn& edit,
                                       const PushBranchOptions& options) {
  PushBranchOutcome out;
  EditCommitPushOutcome& r = out.result;
  auto fail = [&out](Step step, Error error) {
    out.result.failed = step;
    out.result.error = std::move(error);
    return out;
  };
  Result<std::string> head = repo.Sync();
  if (!head) return fail(Step::kSync, head.error());
  r.syncs = 1;
  r.head = *head;
  Result<WorkTreeEdit> edited = edit(repo.WorkTree().string(), *head);
  if (!edited) return fail(Step::kEdit, edited.error());
  if (edited->files.empty()) {
    bool stopping = options.stop != nullptr && options.stop->load();
    if (options.delete_merged && !stopping) CleanUp(repo, options, out);
    return out;
  }
  Result<std::string> commit = repo.Commit(edited->files, edited->message);
  if (!commit) return fail(Step::kCommit, commit.error().Wrap("commit"));
  if (options.stop != nullptr && options.stop->load()) {
    r.stopped = true;
    return out;
  }
  Result<std::string> existing = repo.FetchBranch(options.push_branch);
  if (!existing) return fail(Step::kPush, PushBranchError(options.push_branch, existing.error()));
  Result<bool> same = SameChange(repo, *existing, *commit);
  if (!same) return fail(Step::kPush, PushBranchError(options.push_branch, same.error()));
  out.message = edited->message;
  if (*same) {
    out.pending = *existing;
    out.up_to_date = true;
    return out;
  }
  if (Result<void> pushed = repo.ForcePushBranch(options.push_branch); !pushed) {
    return fail(Step::kPush, PushBranchError(options.push_branch, pushed.error()));
  }
  r.commit = *commit;
  out.pending = *commit;
  return out;
}

}  // namespace tagflow::git
