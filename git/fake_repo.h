// An in-memory git remote and clones of it, for unit tests of the cycle and
// the CLI: the remote's history lives in memory, each clone's work tree is a
// real directory (the scanner reads files).
//
//   FakeGitRemote remote({{"app.yaml", "..."}});
//   FakeGitRepo repo(remote, tmp / "clone");
//   repo.Sync(); /* edit repo.WorkTree() / "app.yaml" */
//   repo.Commit({"app.yaml"}, "Auto-release ..."); repo.Push();
//   remote.PushCommit({{"other.yaml", "..."}}, "concurrent");  // next Push() conflicts
//   remote.FailNext(FakeGitRemote::Op::kPush, {ErrorKind::kTransient, "down"});
//
// Thread-safe: the remote may be changed from another thread while a clone
// works.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "git/repo.h"

namespace tagflow::git {

class FakeGitRemote {
 public:
  using Files = std::map<std::string, std::string>;  // relative path -> contents
  enum class Op { kSync, kCommit, kPush, kMoveTag, kFetchBranch, kForcePush, kDeleteBranch };

  struct CommitInfo {
    std::string id;
    std::string parent;  // "" for the root commit
    std::string message;
    std::string author;  // "user <email>"
    Files files;         // the whole tree
  };

  // A remote whose branch holds one commit with `files`.
  explicit FakeGitRemote(Files files = {});

  // Adds a commit on top of the branch as another writer would; returns its id.
  std::string PushCommit(const Files& changes, const std::string& message,
                         const std::vector<std::string>& deletions = {});
  // The same with the author (and committer) "Name <email>".
  std::string PushCommitAs(const std::string& author, const Files& changes,
                           const std::string& message);

  // The branch head; every commit reachable from it, newest first; a commit
  // by id (any commit made by a clone, pushed or not); the tags.
  std::string Head() const;
  std::vector<CommitInfo> Log() const;
  std::optional<CommitInfo> Find(const std::string& id) const;
  std::map<std::string, std::string> Tags() const;

  // Another branch than the main one ("" when absent): a push branch.
  std::string Branch(const std::string& name) const;
  // Points branch `name` at `commit` (a known commit) as a human would push.
  void SetBranch(const std::string& name, const std::string& commit);

  // The next call of `op` (on any clone) fails with `error`, changing nothing.
  void FailNext(Op op, Error error);
  // How many times `op` was called (failed calls included).
  int Calls(Op op) const;

 private:
  friend class FakeGitRepo;
  std::optional<Error> Enter(Op op);  // counts the call, pops an injected failure
  std::string AddCommit(CommitInfo commit);
  bool IsAncestor(const std::string& ancestor, std::string id) const;

  mutable std::mutex mutex_;
  std::map<std::string, CommitInfo> commits_;
  std::string head_;
  std::map<std::string, std::string> tags_;
  std::map<std::string, std::string> branches_;  // other branches: name -> commit
  std::map<Op, std::vector<Error>> failures_;
  std::map<Op, int> calls_;
  int next_id_ = 1;
};

class FakeGitRepo final : public GitRepo {
 public:
  // A clone of `remote` (which must outlive it) with its work tree at
  // `worktree` (created if needed, wiped by Sync()).
  FakeGitRepo(FakeGitRemote& remote, std::filesystem::path worktree,
              std::string user = std::string(kDefaultGitUser),
              std::string email = std::string(kDefaultGitEmail));

  Result<std::string> Sync() override;
  const std::filesystem::path& WorkTree() const override { return worktree_; }
  Result<std::string> Commit(const std::vector<std::string>& paths,
                             const std::string& message) override;
  Result<void> Push() override;
  Result<bool> MoveTag(const std::string& tag, const std::string& commit) override;
  Result<std::string> Head() const override;
  Result<std::string> FetchBranch(const std::string& branch) override;
  Result<void> ForcePushBranch(const std::string& branch) override;
  Result<void> DeleteBranch(const std::string& branch) override;
  Result<CommitSummary> ReadCommit(const std::string& commit) const override;
  Result<bool> IsAncestor(const std::string& ancestor, const std::string& commit) const override;
  // Log (first parents only), blobs named by the SHA-256 of their contents,
  // no signatures (every commit is unsigned), tags of the remote.
  History* history() override;

 private:
  class FakeHistory;
  FakeGitRemote& remote_;
  std::filesystem::path worktree_;
  std::string author_;
  std::string head_;  // local branch head, "" before Sync
  std::shared_ptr<History> history_;
};

}  // namespace tagflow::git
