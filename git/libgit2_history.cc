#include "git/libgit2_history.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "git/deadline.h"
#include "git/libgit2_util.h"

namespace tagflow::git {
namespace {

using internal::LastGitError;
using internal::OidHex;
using internal::Owned;

using CommitPtr = Owned<git_commit, git_commit_free>;
using TreePtr = Owned<git_tree, git_tree_free>;
using EntryPtr = Owned<git_tree_entry, git_tree_entry_free>;
using WalkPtr = Owned<git_revwalk, git_revwalk_free>;
using BlobPtr = Owned<git_blob, git_blob_free>;
using ObjectPtr = Owned<git_object, git_object_free>;
using ReferencePtr = Owned<git_reference, git_reference_free>;

bool ParseOid(const std::string& hex, git_oid* oid) {
  return hex.size() == GIT_OID_HEXSZ && git_oid_fromstr(oid, hex.c_str()) == 0;
}

struct Buf {
  git_buf b = GIT_BUF_INIT;
  ~Buf() { git_buf_dispose(&b); }
  std::string str() const { return b.ptr != nullptr ? std::string(b.ptr, b.size) : ""; }
};

// How a fixed set of paths changes from commit to commit, cheaply: paths
// are grouped by directory, a directory's tree is found once per commit, and
// a directory whose tree did not change since the previous commit read is
// skipped (a walk's neighbours share most trees). Holds one state per path
// (a binary blob id), never one per commit.
class PathReader {
 public:
  PathReader(git_repository* repo, const std::vector<std::string>& paths) : repo_(repo) {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < paths.size(); ++i) {
      size_t slash = paths[i].rfind('/');
      std::string dir = slash == std::string::npos ? "" : paths[i].substr(0, slash);
      std::string name = slash == std::string::npos ? paths[i] : paths[i].substr(slash + 1);
      auto [it, added] = index.try_emplace(dir, dirs_.size());
      if (added) dirs_.push_back(Dir{dir, {}, {}, {}, false});
      dirs_[it->second].files.push_back({i, name});
      dirs_[it->second].blobs.emplace_back();
    }
  }

  // The paths whose blob in `commit` differs from the commit read before,
  // as {path, after: the blob at the read before, before: the blob in
  // `commit`} (a walk goes back in time); none on the first read.
  Result<std::vector<PathChange>> Read(git_commit* commit) {
    std::vector<PathChange> changes;
    git_tree* raw_root = nullptr;
    if (git_commit_tree(&raw_root, commit) < 0) return Fail(ErrorKind::kInternal, LastGitError());
    TreePtr root(raw_root);
    for (Dir& d : dirs_) {
      git_oid oid;
      bool exists = DirOid(root.get(), d.path, &oid);
      if (exists && d.exists && git_oid_equal(&oid, &d.oid)) continue;  // nothing in it changed
      TreePtr tree;
      if (exists) {
        git_tree* raw = nullptr;
        if (git_tree_lookup(&raw, repo_, &oid) < 0)
          return Fail(ErrorKind::kInternal, LastGitError());
        tree.reset(raw);
      }
      for (size_t f = 0; f < d.files.size(); ++f) {
        std::optional<git_oid> now;
        const git_tree_entry* e =
            tree ? git_tree_entry_byname(tree.get(), d.files[f].second.c_str()) : nullptr;
        if (e != nullptr && git_tree_entry_type(e) == GIT_OBJECT_BLOB) now = *git_tree_entry_id(e);
        std::optional<git_oid>& was = d.blobs[f];
        bool same = was.has_value() == now.has_value() && (!now || git_oid_equal(&*was, &*now));
        if (same) continue;
        if (read_) changes.push_back({d.files[f].first, Hex(was), Hex(now)});
        was = now;
      }
      d.oid = oid;
      d.exists = exists;
    }
    read_ = true;
    std::sort(changes.begin(), changes.end(),
              [](const PathChange& a, const PathChange& b) { return a.path < b.path; });
    return changes;
  }

 private:
  struct Dir {
    std::string path;                                   // "" = the root
    std::vector<std::pair<size_t, std::string>> files;  // index in the paths, file name
    std::vector<std::optional<git_oid>> blobs;          // per file, at the last read; none = absent
    git_oid oid;                                        // the tree at the last read
    bool exists;                                        // a directory at the last read
  };

  static std::string Hex(const std::optional<git_oid>& oid) { return oid ? OidHex(*oid) : ""; }

  // The tree id of `dir` under `root`; false when it is not a directory there.
  bool DirOid(git_tree* root, const std::string& dir, git_oid* out) {
    if (dir.empty()) {
      git_oid_cpy(out, git_tree_id(root));
      return true;
    }
    git_tree_entry* raw = nullptr;
    if (git_tree_entry_bypath(&raw, root, dir.c_str()) < 0) return false;
    EntryPtr entry(raw);
    if (git_tree_entry_type(raw) != GIT_OBJECT_TREE) return false;
    git_oid_cpy(out, git_tree_entry_id(raw));
    return true;
  }

  git_repository* repo_;
  std::vector<Dir> dirs_;
  bool read_ = false;  // a commit was read before
};

}  // namespace

Libgit2History::~Libgit2History() {
  if (owns_) git_repository_free(repo_);
}

bool Libgit2History::HasCommit(const std::string& id) const {
  git_oid oid;
  git_commit* raw = nullptr;
  if (!ParseOid(id, &oid) || git_commit_lookup(&raw, repo_, &oid) < 0) return false;
  git_commit_free(raw);
  return true;
}

Result<LogResult> Libgit2History::Log(const std::string& from, const LogOptions& options) {
  git_oid start;
  if (!ParseOid(from, &start) || !HasCommit(from)) {
    return Fail(ErrorKind::kNotFound, fmt::format("no commit {} in the clone", from));
  }
  git_oid hide;
  bool hiding = !options.hide.empty() && ParseOid(options.hide, &hide) && HasCommit(options.hide);
  LogResult out;
  PathReader paths(repo_, options.paths);
  // Reads one commit into `out`; the commit itself for the caller to go on.
  auto visit = [&](const git_oid& oid) -> Result<CommitPtr> {
    git_commit* raw = nullptr;
    if (git_commit_lookup(&raw, repo_, &oid) < 0) {
      return Fail(ErrorKind::kInternal, "reading commit " + OidHex(oid) + ": " + LastGitError());
    }
    CommitPtr commit(raw);
    LoggedCommit c;
    c.id = OidHex(oid);
    for (unsigned i = 0; i < git_commit_parentcount(raw); ++i) {
      c.parents.push_back(OidHex(*git_commit_parent_id(raw, i)));
    }
    const git_signature* author = git_commit_author(raw);
    const git_signature* committer = git_commit_committer(raw);
    c.author_name = author && author->name ? author->name : "";
    c.author_email = author && author->email ? author->email : "";
    c.committer_email = committer && committer->email ? committer->email : "";
    const char* summary = git_commit_summary(raw);
    c.summary = summary != nullptr ? summary : "";
    if (!options.paths.empty()) {
      auto changes = paths.Read(raw);
      if (!changes) return Fail(changes.error().Wrap("reading the tree of " + c.id));
      // What the commit before in the log changed against this one.
      if (!out.commits.empty()) out.commits.back().changes = std::move(*changes);
    }
    out.commits.push_back(std::move(c));
    return commit;
  };

  if (options.first_parent) {
    // Along first parents by hand: lazy, so a long history costs nothing
    // past the limit (a topological revwalk reads all of it first).
    git_oid oid = start;
    for (;;) {
      if (hiding &&
          (git_oid_equal(&oid, &hide) || git_graph_descendant_of(repo_, &hide, &oid) == 1)) {
        break;
      }
      if (out.commits.size() >= options.limit) {
        out.truncated = true;
        break;
      }
      auto commit = visit(oid);
      if (!commit) return Fail(commit.error());
      if (git_commit_parentcount(commit->get()) == 0) break;
      git_oid_cpy(&oid, git_commit_parent_id(commit->get(), 0));
    }
    return out;
  }
  git_revwalk* raw_walk = nullptr;
  if (git_revwalk_new(&raw_walk, repo_) < 0) {
    return Fail(ErrorKind::kInternal, "walking the history: " + LastGitError());
  }
  WalkPtr walk(raw_walk);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
  if (git_revwalk_push(walk.get(), &start) < 0) {
    return Fail(ErrorKind::kInternal, "walking the history: " + LastGitError());
  }
  if (hiding) git_revwalk_hide(walk.get(), &hide);
  git_oid oid;
  while (git_revwalk_next(&oid, walk.get()) == 0) {
    if (out.commits.size() >= options.limit) {
      out.truncated = true;
      break;
    }
    if (auto commit = visit(oid); !commit) return Fail(commit.error());
  }
  return out;
}

Result<std::string> Libgit2History::ReadBlob(const std::string& id) {
  git_oid oid;
  git_blob* raw = nullptr;
  if (!ParseOid(id, &oid) || git_blob_lookup(&raw, repo_, &oid) < 0) {
    return Fail(ErrorKind::kNotFound, fmt::format("no blob {} in the clone", id));
  }
  BlobPtr blob(raw);
  return std::string(static_cast<const char*>(git_blob_rawcontent(raw)),
                     static_cast<size_t>(git_blob_rawsize(raw)));
}

Result<std::optional<SignedObject>> Libgit2History::CommitSignature(const std::string& id) {
  git_oid oid;
  if (!ParseOid(id, &oid) || !HasCommit(id)) {
    return Fail(ErrorKind::kNotFound, fmt::format("no commit {} in the clone", id));
  }
  Buf signature, payload;
  int rc = git_commit_extract_signature(&signature.b, &payload.b, repo_, &oid, "gpgsig");
  if (rc == GIT_ENOTFOUND) return std::optional<SignedObject>();
  if (rc < 0) {
    return Fail(ErrorKind::kInternal, "reading the signature of " + id + ": " + LastGitError());
  }
  return std::optional<SignedObject>(SignedObject{signature.str(), payload.str()});
}

Result<std::string> Libgit2History::TagCommit(const std::string& tag) {
  std::string target;
  if (remote_tag_) {
    auto remote = remote_tag_(tag);
    if (!remote) return Fail(remote.error());
    target = *remote;
  } else {
    git_object* raw = nullptr;
    std::string spec = "refs/tags/" + tag + "^{commit}";
    if (git_revparse_single(&raw, repo_, spec.c_str()) < 0) return std::string();
    ObjectPtr object(raw);
    target = OidHex(*git_object_id(raw));
  }
  return HasCommit(target) ? target : std::string();
}

Result<OpenedHistory> OpenHistory(const std::filesystem::path& dir) {
  if (auto init = InitLibgit2(); !init) return Fail(init.error());
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, dir.c_str(), 0, nullptr) < 0) {
    return Fail(ErrorKind::kNotFound,
                fmt::format("{} is not inside a git repository: {}", dir.string(), LastGitError()));
  }
  auto history = std::make_unique<Libgit2History>(raw, nullptr, /*owns=*/true);
  git_oid head;
  if (git_reference_name_to_id(&head, raw, "HEAD") < 0) {
    return Fail(ErrorKind::kNotFound,
                fmt::format("the repository of {} has no commit yet", dir.string()));
  }
  return OpenedHistory{std::move(history), OidHex(head)};
}

}  // namespace tagflow::git
