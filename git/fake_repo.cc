#include "git/fake_repo.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "base/encoding.h"

namespace tagflow::git {
namespace fs = std::filesystem;
namespace {

std::string ReadWhole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Every regular file under `root`, by relative path.
FakeGitRemote::Files ReadTree(const fs::path& root) {
  FakeGitRemote::Files files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) {
      files[fs::relative(entry.path(), root).generic_string()] = ReadWhole(entry.path());
    }
  }
  return files;
}

}  // namespace

FakeGitRemote::FakeGitRemote(Files files) {
  head_ = AddCommit({.message = "Initial commit\n",
                     .author = "Seeder <seeder@example.com>",
                     .files = std::move(files)});
}

std::string FakeGitRemote::AddCommit(CommitInfo commit) {
  commit.id = fmt::format("{:040x}", next_id_++);
  std::string id = commit.id;
  commits_.emplace(id, std::move(commit));
  return id;
}

std::string FakeGitRemote::PushCommit(const Files& changes, const std::string& message,
                                      const std::vector<std::string>& deletions) {
  std::lock_guard lock(mutex_);
  CommitInfo commit{.parent = head_,
                    .message = message,
                    .author = "Other <other@example.com>",
                    .files = commits_.at(head_).files};
  for (const auto& [path, contents] : changes) commit.files[path] = contents;
  for (const auto& path : deletions) commit.files.erase(path);
  head_ = AddCommit(std::move(commit));
  return head_;
}

std::string FakeGitRemote::PushCommitAs(const std::string& author, const Files& changes,
                                        const std::string& message) {
  std::string id = PushCommit(changes, message);
  std::lock_guard lock(mutex_);
  commits_.at(id).author = author;
  return id;
}

std::string FakeGitRemote::Head() const {
  std::lock_guard lock(mutex_);
  return head_;
}

std::vector<FakeGitRemote::CommitInfo> FakeGitRemote::Log() const {
  std::lock_guard lock(mutex_);
  std::vector<CommitInfo> log;
  for (std::string id = head_; !id.empty(); id = commits_.at(id).parent) {
    log.push_back(commits_.at(id));
  }
  return log;
}

std::optional<FakeGitRemote::CommitInfo> FakeGitRemote::Find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = commits_.find(id);
  if (it == commits_.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, std::string> FakeGitRemote::Tags() const {
  std::lock_guard lock(mutex_);
  return tags_;
}

void FakeGitRemote::FailNext(Op op, Error error) {
  std::lock_guard lock(mutex_);
  failures_[op].push_back(std::move(error));
}

int FakeGitRemote::Calls(Op op) const {
  std::lock_guard lock(mutex_);
  auto it = calls_.find(op);
  return it == calls_.end() ? 0 : it->second;
}

std::optional<Error> FakeGitRemote::Enter(Op op) {
  ++calls_[op];
  auto& queue = failures_[op];
  if (queue.empty()) return std::nullopt;
  Error error = queue.front();
  queue.erase(queue.begin());
  return error;
}

bool FakeGitRemote::IsAncestor(const std::string& ancestor, std::string id) const {
  for (; !id.empty(); id = commits_.at(id).parent) {
    if (id == ancestor) return true;
  }
  return false;
}

FakeGitRepo::FakeGitRepo(FakeGitRemote& remote, fs::path worktree, std::string user,
                         std::string email)
    : remote_(remote), worktree_(std::move(worktree)), author_(user + " <" + email + ">") {
  fs::create_directories(worktree_);
}

Result<std::string> FakeGitRepo::Sync() {
  std::lock_guard lock(remote_.mutex_);
  if (auto error = remote_.Enter(FakeGitRemote::Op::kSync)) return Fail(*error);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(worktree_)) fs::remove_all(entry.path(), ec);
  for (const auto& [path, contents] : remote_.commits_.at(remote_.head_).files) {
    fs::path file = worktree_ / path;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << contents;
  }
  head_ = remote_.head_;
  return head_;
}

Result<std::string> FakeGitRepo::Commit(const std::vector<std::string>& paths,
                                        const std::string& message) {
  std::lock_guard lock(remote_.mutex_);
  if (auto error = remote_.Enter(FakeGitRemote::Op::kCommit)) return Fail(*error);
  if (head_.empty()) return Fail(ErrorKind::kNotFound, "fake clone: Sync first");
  FakeGitRemote::CommitInfo commit{.parent = head_,
                                   .message = message.ends_with('\n') ? message : message + "\n",
                                   .author = author_,
                                   .files = remote_.commits_.at(head_).files};
  if (paths.empty()) commit.files = ReadTree(worktree_);
  for (const std::string& path : paths) {
    if (path.empty() || fs::path(path).is_absolute() || path.find("..") != std::string::npos) {
      return Fail(ErrorKind::kInvalidInput, fmt::format("cannot commit \"{}\"", path));
    }
    if (fs::exists(worktree_ / path)) {
      commit.files[path] = ReadWhole(worktree_ / path);
    } else {
      commit.files.erase(path);
    }
  }
  if (commit.files == remote_.commits_.at(head_).files) {
    return Fail(ErrorKind::kInvalidInput, "nothing to commit: the files are unchanged");
  }
  head_ = remote_.AddCommit(std::move(commit));
  return head_;
}

Result<void> FakeGitRepo::Push() {
  std::lock_guard lock(remote_.mutex_);
  if (auto error = remote_.Enter(FakeGitRemote::Op::kPush)) return Fail(*error);
  if (head_.empty()) return Fail(ErrorKind::kNotFound, "fake clone: Sync first");
  if (!remote_.IsAncestor(remote_.head_, head_)) {
    return Fail(ErrorKind::kConflict, "pushing to the fake remote: non-fast-forward");
  }
  remote_.head_ = head_;
  return {};
}

Result<bool> FakeGitRepo::MoveTag(const std::string& tag, const std::string& commit) {
  std::lock_guard lock(remote_.mutex_);
  if (auto error = remote_.Enter(FakeGitRemote::Op::kMoveTag)) return Fail(*error);
  if (tag.empty()) return Fail(ErrorKind::kInvalidInput, "invalid tag name \"\"");
  if (!remote_.commits_.contains(commit)) {
    return Fail(ErrorKind::kNotFound, fmt::format("cannot tag {}: no such commit", commit));
  }
  auto [it, inserted] = remote_.tags_.try_emplace(tag, commit);
  if (!inserted && it->second == commit) return false;
  it->second = commit;
  return true;
}

Result<std::string> FakeGitRepo::Head() const {
  if (head_.empty()) return Fail(ErrorKind::kNotFound, "fake clone: Sync first");
  return head_;
}

std::string FakeGitRemote::Branch(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = branches_.find(name);
  return it == branches_.end() ? "" : it->second;
}

void FakeGitRemote::SetBranch(const std::string& name, const std::string& commit) {
  std::lock_guard lock(mutex_);
  branches_[name] = commit;
}

Result<std::string> FakeGitRepo::FetchBranch(const std::string& branch) {
  std::lock_guard lock(remote_.mutex_);
  if (auto error = remote_.Enter(FakeGitRemote::Op::kFetchBranch)) return Fail(*error);
  auto it = remote_.branches_.find(branch);
  return it == remote_.branches_.end() ? "" : it->second;
}

Result<void> FakeGitRepo::ForcePushBranch(const std::string& branch) {
  std::lock_guard lock(remote_.mutex_);
  if (auto error = remote_.Enter(FakeGitRemote::Op::kForcePush)) return Fail(*error);
  if (head_.empty()) return Fail(ErrorKind::kNotFound, "fake clone: Sync first");
  if (branch.empty()) return Fail(ErrorKind::kInvalidInput, "fake clone: no branch name");
  remote_.branches_[branch] = head_;
  return {};
}

Result<void> FakeGitRepo::DeleteBranch(const std::string& branch) {
  std::lock_guard lock(remote_.mutex_);
  if (auto error = remote_.Enter(FakeGitRemote::Op::kDeleteBranch)) return Fail(*error);
  remote_.branches_.erase(branch);
  return {};
}

Result<CommitSummary> FakeGitRepo::ReadCommit(const std::string& commit) const {
  std::lock_guard lock(remote_.mutex_);
  auto it = remote_.commits_.find(commit);
  if (it == remote_.commits_.end()) {
    return Fail(ErrorKind::kNotFound, fmt::format("fake clone: no commit {}", commit));
  }
  std::string tree;
  for (const auto& [path, contents] : it->second.files) {
    tree += fmt::format("{}:{}:{}\n", path, contents.size(), contents);
  }
  CommitSummary out{.id = commit, .tree = Sha256Digest(tree), .message = it->second.message};
  if (!it->second.parent.empty()) out.parents.push_back(it->second.parent);
  return out;
}

Result<bool> FakeGitRepo::IsAncestor(const std::string& ancestor, const std::string& commit) const {
  std::lock_guard lock(remote_.mutex_);
  for (const std::string* id : {&ancestor, &commit}) {
    if (!remote_.commits_.contains(*id)) {
      return Fail(ErrorKind::kNotFound, fmt::format("fake clone: no commit {}", *id));
    }
  }
  return remote_.IsAncestor(ancestor, commit);
}

class FakeGitRepo::FakeHistory final : public History {
 public:
  explicit FakeHistory(FakeGitRemote& remote) : remote_(remote) {}

  Result<LogResult> Log(const std::string& from, const LogOptions& options) override {
    std::lock_guard lock(remote_.mutex_);
    if (!remote_.commits_.contains(from)) {
      return Fail(ErrorKind::kNotFound, fmt::format("no commit {} in the fake", from));
    }
    LogResult out;
    std::vector<std::string> previous;  // the blobs of the commit before in the log
    for (std::string id = from; !id.empty() && id != options.hide;
         id = remote_.commits_.at(id).parent) {
      if (out.commits.size() >= options.limit) {
        out.truncated = true;
        break;
      }
      const FakeGitRemote::CommitInfo& c = remote_.commits_.at(id);
      LoggedCommit logged;
      logged.id = id;
      if (!c.parent.empty()) logged.parents.push_back(c.parent);
      size_t lt = c.author.find('<');
      logged.author_name = std::string(c.author.substr(0, lt == std::string::npos ? 0 : lt));
      while (!logged.author_name.empty() && logged.author_name.back() == ' ') {
        logged.author_name.pop_back();
      }
      if (lt != std::string::npos) {
        logged.author_email = c.author.substr(lt + 1, c.author.find('>', lt) - lt - 1);
      }
      logged.committer_email = logged.author_email;
      logged.summary = c.message.substr(0, c.message.find('\n'));
      std::vector<std::string> blobs;  // per path, "" = absent
      for (const std::string& path : options.paths) {
        auto file = c.files.find(path);
        if (file == c.files.end()) {
          blobs.emplace_back();
          continue;
        }
        std::string blob = Sha256Digest(file->second);
        blobs_[blob] = file->second;
        blobs.push_back(blob);
      }
      if (!out.commits.empty()) {
        for (size_t p = 0; p < blobs.size(); ++p) {
          if (previous[p] != blobs[p])
            out.commits.back().changes.push_back({p, previous[p], blobs[p]});
        }
      }
      previous = std::move(blobs);
      out.commits.push_back(std::move(logged));
    }
    return out;
  }
  Result<std::string> ReadBlob(const std::string& id) override {
    std::lock_guard lock(remote_.mutex_);
    auto it = blobs_.find(id);
    if (it == blobs_.end()) return Fail(ErrorKind::kNotFound, "no blob " + id);
    return it->second;
  }
  Result<std::optional<SignedObject>> CommitSignature(const std::string& id) override {
    std::lock_guard lock(remote_.mutex_);
    if (!remote_.commits_.contains(id)) return Fail(ErrorKind::kNotFound, "no commit " + id);
    return std::optional<SignedObject>();
  }
  Result<std::string> TagCommit(const std::string& tag) override {
    std::lock_guard lock(remote_.mutex_);
    auto it = remote_.tags_.find(tag);
    return it == remote_.tags_.end() ? std::string() : it->second;
  }

 private:
  FakeGitRemote& remote_;
  std::map<std::string, std::string> blobs_;  // guarded by remote_.mutex_
};

History* FakeGitRepo::history() {
  if (!history_) history_ = std::make_shared<FakeHistory>(remote_);
  return history_.get();
}

}  // namespace tagflow::git
