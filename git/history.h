// Read access to the history of the clone, for what looks back in time:
// signature checks of the commits since the sync tag (git/verify.h) and the
// rollback detection of the cycle (daemon/rollback.h). Reads objects only;
// never changes a ref or the work tree.
//
// Implementations: git/libgit2_history.h (a libgit2 repository: the clone of
// Libgit2Repo, or a work tree given with --repo) and FakeGitRepo.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace tagflow::git {

// A path of LogOptions::paths whose blob differs between a commit and the
// next commit of the log (with first_parent: its first parent).
struct PathChange {
  size_t path = 0;     // index in LogOptions::paths
  std::string after;   // the blob id in this commit, "" when absent
  std::string before;  // the blob id in the next commit of the log, "" when absent

  friend bool operator==(const PathChange&, const PathChange&) = default;
};

struct LoggedCommit {
  std::string id;
  std::vector<std::string> parents;  // first parent first
  std::string author_name;
  std::string author_email;
  std::string committer_email;
  std::string summary;  // first line of the message
  // Only the paths that changed against the next commit of the log, in
  // path order; none for the last one. Sparse on purpose: 500 commits of a
  // repository of 5,000 files would be 2.5 million blob ids (~200 MiB).
  std::vector<PathChange> changes;
};

struct LogOptions {
  // This commit and its ancestors are left out ("" = none; an id the clone
  // does not have is ignored: the walk goes on to the limit).
  std::string hide;
  bool first_parent = true;        // follow only first parents (merges: the branch's side)
  size_t limit = 500;              // at most this many commits
  std::vector<std::string> paths;  // files whose blob ids each commit reports
};

struct LogResult {
  std::vector<LoggedCommit> commits;  // newest first: topological, then commit time
  bool truncated = false;             // the limit cut the walk short
};

// A signature and the exact bytes it signs.
struct SignedObject {
  std::string signature;  // armored, as stored
  std::string payload;
};

class History {
 public:
  virtual ~History() = default;

  // The commits reachable from `from` (a commit id). kNotFound when `from`
  // is not in the clone.
  [[nodiscard]] virtual Result<LogResult> Log(const std::string& from,
                                              const LogOptions& options) = 0;

  // The contents of a blob. kNotFound when there is no such blob.
  [[nodiscard]] virtual Result<std::string> ReadBlob(const std::string& id) = 0;

  // The signature of commit `id` (header gpgsig) and the bytes it covers;
  // nullopt when the commit is unsigned. kNotFound for an unknown commit.
  [[nodiscard]] virtual Result<std::optional<SignedObject>> CommitSignature(
      const std::string& id) = 0;

  // The commit the tag `tag` points at (peeled) on the remote, when that
  // commit is in the clone; "" when the remote has no such tag or its
  // commit is unknown here. kTransient for network failures.
  [[nodiscard]] virtual Result<std::string> TagCommit(const std::string& tag) = 0;
};

}  // namespace tagflow::git
