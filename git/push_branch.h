// Pushing to a branch of tagflow's own (--git-push-branch) instead of
// --git-branch, for repositories whose branch is protected: each cycle starts
// from the head of --git-branch, edits, commits, and force-pushes the result
// to the push branch, which then holds exactly one tagflow commit on top of
// the source head. --git-branch itself is never written (only read), so
// conflicts cannot happen there; the push branch belongs to tagflow and may
// be rewritten.
//
//   source head S ── tagflow commit T   (push branch)
//
// A cycle whose commit would be the same as T (same parent S, same tree, same
// message) pushes nothing: an open pull request is not re-pushed every cycle.
// When the plan is empty and T is contained in the source branch (merged
// with a merge commit or fast-forward), the push branch is deleted; a push
// branch whose change landed otherwise (squash, rebase) is left alone unless
// the caller knows better (`merged` below, e.g. from the pull request API).
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "base/error.h"
#include "git/edit.h"
#include "git/repo.h"

namespace tagflow::git {

// Usage check for the flags (exit 2 at start): `push_branch` must be a
// valid branch name and differ from `branch`.
[[nodiscard]] Result<void> ValidatePushBranch(const std::string& branch,
                                              const std::string& push_branch);

struct PushBranchOptions {
  std::string branch;       // --git-branch: read, never written
  std::string push_branch;  // --git-push-branch
  // Delete a push branch whose commit is in --git-branch when the plan is
  // empty; false for dry and read-only runs, which change nothing.
  bool delete_merged = true;
  // Optional: whether the change on the push branch (its head) was merged
  // some other way (squash, rebase); asked only when the plan is empty and
  // the branch is not contained in --git-branch.
  std::function<Result<bool>(const std::string& push_head)> merged;
  // Optional: when it turns true after the commit, nothing is pushed.
  const std::atomic<bool>* stop = nullptr;
};

struct PushBranchOutcome {
  // `head` is the --git-branch head the edit started from (the sync tag
  // follows it); `commit` the commit force-pushed this cycle ("" when none).
  // `conflicts` is always 0: a forced push does not conflict.
  EditCommitPushOutcome result;
  // The commit the push branch holds for this plan: `result.commit` when
  // pushed now, the existing head when it already held the same change, ""
  // when the plan was empty.
  std::string pending;
  std::string message;      // the commit message of `pending`
  bool up_to_date = false;  // the push branch already held this change
  bool deleted = false;     // the push branch was deleted (merged)

  bool ok() const { return result.ok(); }
};

// Runs the flow described above: Sync (--git-branch), `edit`, Commit, and
// the push-branch step. Errors of the push-branch step (fetch, push,
// delete) are reported as EditCommitPushOutcome::Step::kPush, naming the
// push branch.
[[nodiscard]] PushBranchOutcome EditCommitPushBranch(GitRepo& repo, const EditFn& edit,
                                                     const PushBranchOptions& options);

}  // namespace tagflow::git
