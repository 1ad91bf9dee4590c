// The git edge of tagflow: a private clone of the manifest repository that
// the automation cycle syncs, edits, commits, pushes and tags.
//
// `GitRepo` is the interface the cycle and the CLI use; `OpenGitRepo`
// (daemon/git_libgit2.h) is the real one over libgit2, `FakeGitRepo`
// (daemon/git_fake.h) the in-memory one for unit tests.
//
// Error kinds: kConflict when a push is not a fast-forward (fetch, reset,
// re-plan); kUnauthorized for rejected credentials, a refused ssh host key
// or a push the server refuses for another reason (protected branch, hook);
// kTransient for network failures and timeouts; kNotFound for a branch or
// commit that does not exist; kInvalidInput for bad options or paths.
// Messages never contain a password or URL userinfo (see RedactUrl).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "git/history.h"
#include "git/signing.h"
#include "git/url.h"

namespace tagflow::git {

// Defaults for the flags of the same names (DESIGN.md §6).
inline constexpr std::string_view kDefaultGitBranch = "master";
inline constexpr std::string_view kDefaultGitUser = "tagflow";
inline constexpr std::string_view kDefaultGitEmail = "tagflow@localhost";
inline constexpr std::chrono::seconds kDefaultGitTimeout{20};
// Message of the annotated sync tag (Flux v1's).
inline constexpr std::string_view kSyncTagMessage = "Sync pointer";

struct GitOptions {
  std::string url;                         // --git-url; may carry userinfo, never logged raw
  std::string branch{kDefaultGitBranch};   // --git-branch
  std::string user{kDefaultGitUser};       // --git-user: author, committer, tagger name
  std::string email{kDefaultGitEmail};     // --git-email
  std::filesystem::path ssh_key_path;      // --git-ssh-key: private key (+ ".pub" if there)
  std::filesystem::path known_hosts_path;  // --git-known-hosts: required for ssh URLs
  std::filesystem::path password_file;     // --git-password-file: http(s) password or token
  std::chrono::seconds timeout{kDefaultGitTimeout};  // --git-timeout: bounds each Sync/Push/MoveTag
  std::filesystem::path workdir;  // the private clone; "" = a temp dir removed on close
  // --git-signing-key: signs every commit and the sync tag (git/signing.h);
  // null = unsigned.
  std::shared_ptr<Signer> signer;
};

// What the push-branch logic reads of a commit.
struct CommitSummary {
  std::string id;
  std::vector<std::string> parents;
  std::string tree;     // tree id: equal trees, equal files
  std::string message;  // as stored (ends with '\n' for tagflow's commits)
};

// A private clone of one branch. Not thread-safe: one cycle at a time.
class GitRepo {
 public:
  virtual ~GitRepo() = default;

  // Fetches the branch and hard-resets the work tree to the remote head,
  // removing untracked and ignored files: local state from an earlier cycle
  // is never trusted. Returns the head commit id (40 hex). kNotFound when the
  // branch does not exist on the remote.
  [[nodiscard]] virtual Result<std::string> Sync() = 0;

  // The checked-out files; stable for the life of the object.
  virtual const std::filesystem::path& WorkTree() const = 0;

  // Commits the given paths (relative to WorkTree(); a missing file is
  // committed as a deletion; empty = every change in the work tree) on top of
  // Head(), with `message`, author = committer = user <email>. Returns the new
  // commit id. kInvalidInput when nothing changed or a path leaves the tree.
  [[nodiscard]] virtual Result<std::string> Commit(const std::vector<std::string>& paths,
                                                   const std::string& message) = 0;

  // Pushes the branch head to the remote branch, never forced. kConflict when
  // the remote moved on (non-fast-forward): Sync() and re-plan.
  [[nodiscard]] virtual Result<void> Push() = 0;

  // Points `tag` on the remote at `commit` (a commit of this clone) as an
  // annotated tag (message kSyncTagMessage, tagger user <email>) and pushes
  // the tag alone, forced. Returns false, pushing nothing, when the remote tag
  // already points at `commit`.
  [[nodiscard]] virtual Result<bool> MoveTag(const std::string& tag, const std::string& commit) = 0;

  // The local branch head: the remote head after Sync(), the new commit after
  // Commit(). kNotFound before the first Sync().
  [[nodiscard]] virtual Result<std::string> Head() const = 0;

  // --- A branch of tagflow's own (--git-push-branch, git/push_branch.h) ---

  // Fetches remote branch `branch` into the clone (no checkout; the work
  // tree and Head() stay as they are) and returns its head, "" when the
  // remote has no such branch.
  [[nodiscard]] virtual Result<std::string> FetchBranch(const std::string& branch) = 0;

  // Pushes Head() to remote branch `branch`, forced: only for a branch that
  // tagflow owns (kInvalidInput for --git-branch itself). kUnauthorized when
  // the server refuses.
  [[nodiscard]] virtual Result<void> ForcePushBranch(const std::string& branch) = 0;

  // Deletes remote branch `branch`; succeeds when it is already gone.
  [[nodiscard]] virtual Result<void> DeleteBranch(const std::string& branch) = 0;

  // A commit of the clone (synced or fetched). kNotFound when unknown.
  [[nodiscard]] virtual Result<CommitSummary> ReadCommit(const std::string& commit) const = 0;

  // Whether `ancestor` is `commit` or reachable from it through parents;
  // both must be in the clone (kNotFound otherwise).
  [[nodiscard]] virtual Result<bool> IsAncestor(const std::string& ancestor,
                                                const std::string& commit) const = 0;
  // Read access to the clone's history (signature checks, rollbacks); null
  // when the implementation has none. Valid for the life of the object.
  virtual History* history() { return nullptr; }
  // Drops what the implementation caches in memory between operations
  // (libgit2: its object cache and the packs' delta-base caches, MiBs on a
  // big repository); the next operation re-reads what it needs. The daemon
  // calls it after each cycle. Never fails: on trouble the caches stay.
  virtual void ReleaseCaches() {}
};

}  // namespace tagflow::git
