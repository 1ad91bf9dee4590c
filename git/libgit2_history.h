// History over a libgit2 repository (git/history.h).
#pragma once

#include <git2.h>

#include <filesystem>
#include <functional>
#include <memory>

#include "git/history.h"

namespace tagflow::git {

class Libgit2History final : public History {
 public:
  // Where a tag points on the remote: "" when absent (Libgit2Repo asks the
  // remote; without it the local refs/tags/<tag> is read).
  using TagLookup = std::function<Result<std::string>(const std::string& tag)>;

  // Borrows `repo`, which must outlive this object (or owns it, freeing it
  // on destruction, when `owns`).
  explicit Libgit2History(git_repository* repo, TagLookup remote_tag = nullptr, bool owns = false)
      : repo_(repo), remote_tag_(std::move(remote_tag)), owns_(owns) {}
  ~Libgit2History() override;

  Result<LogResult> Log(const std::string& from, const LogOptions& options) override;
  Result<std::string> ReadBlob(const std::string& id) override;
  Result<std::optional<SignedObject>> CommitSignature(const std::string& id) override;
  Result<std::string> TagCommit(const std::string& tag) override;

  // True when commit `id` is in the repository.
  bool HasCommit(const std::string& id) const;
  // Reads `repo` from now on (a borrowed handle reopened by its owner).
  void Rebind(git_repository* repo) { repo_ = repo; }

 private:
  git_repository* repo_;
  TagLookup remote_tag_;
  bool owns_;
};

struct OpenedHistory {
  std::unique_ptr<History> history;
  std::string head;  // HEAD's commit id
};

// The history of the repository holding `dir` (a work tree or a bare
// repository, searched upwards as git does), for `list-images --repo`.
// kNotFound when `dir` is not inside a git repository.
[[nodiscard]] Result<OpenedHistory> OpenHistory(const std::filesystem::path& dir);

}  // namespace tagflow::git
