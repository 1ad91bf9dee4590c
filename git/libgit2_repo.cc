#include "git/libgit2_repo.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <git2.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

#include "git/deadline.h"
#include "git/known_hosts.h"
#include "git/libgit2_history.h"
#include "git/libgit2_util.h"
#include "git/signed_objects.h"
#include "git/temp_dirs.h"

namespace tagflow::git {
namespace fs = std::filesystem;
namespace {

using internal::LastGitError;
using internal::OidHex;
using internal::Owned;

constexpr std::string_view kClonePrefix = "tagflow-git-";

using RepoPtr = Owned<git_repository, git_repository_free>;
using RemotePtr = Owned<git_remote, git_remote_free>;
using CommitPtr = Owned<git_commit, git_commit_free>;
using IndexPtr = Owned<git_index, git_index_free>;
using SignaturePtr = Owned<git_signature, git_signature_free>;
using ConfigPtr = Owned<git_config, git_config_free>;

bool Readable(const fs::path& path) {
  std::ifstream in(path);
  return in.good();
}

// Reads a whole file, without trailing whitespace.
std::string ReadTrimmed(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  std::string out = text.str();
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
  return out;
}

std::unexpected<Error> Invalid(std::string message) {
  return Fail(ErrorKind::kInvalidInput, std::move(message));
}

// Null when `rel` stays inside the work tree; the reason otherwise.
const char* BadRelativePath(const std::string& rel) {
  fs::path path(rel);
  if (rel.empty() || path.is_absolute()) return "not a relative path";
  for (const auto& part : path) {
    if (part == "..") return "leaves the work tree";
  }
  if (*path.begin() == ".git") return "is inside .git";
  return nullptr;
}

}  // namespace

class Libgit2Repo final : public GitRepo {
 public:
  Libgit2Repo(GitOptions options, GitUrl url, RepoPtr repo, fs::path worktree, bool owns_worktree)
      : options_(std::move(options)),
        url_(std::move(url)),
        redacted_url_(RedactUrl(options_.url)),
        repo_(std::move(repo)),
        worktree_(std::move(worktree)),
        owns_worktree_(owns_worktree) {
    history_ = std::make_unique<Libgit2History>(
        repo_.get(), [this](const std::string& tag) -> Result<std::string> {
          NetworkDeadline deadline(options_.timeout);
          return RemoteRefTarget("refs/tags/" + tag, deadline);
        });
    // What must never appear in a message: the password as decoded and as
    // written, and for http(s) a user without any password (a token).
    if (url_.has_password) {
      secrets_.push_back(url_.password);
      secrets_.push_back(url_.userinfo.substr(url_.userinfo.find(':') + 1));
    } else if (!url_.IsSsh() && !url_.user.empty() && options_.password_file.empty()) {
      secrets_.push_back(url_.user);
      secrets_.push_back(url_.userinfo);
    }
  }

  ~Libgit2Repo() override {
    history_.reset();
    repo_.reset();
    if (owns_worktree_) {
      std::error_code ec;
      fs::remove_all(worktree_, ec);
    }
  }

  Result<std::string> Sync() override;
  const fs::path& WorkTree() const override { return worktree_; }
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
  History* history() override { return history_.get(); }
  void ReleaseCaches() override;

 private:
  // Callback state of one network operation.
  struct Session {
    Libgit2Repo* self;
    NetworkDeadline* deadline;
    int secret_requests = 0;
    std::string auth_problem;             // set when we gave up on credentials
    std::string refusal;                  // set when the ssh host key was refused
    std::vector<std::string> rejections;  // "ref: reason" from the server
  };

  static int OnCredentials(git_credential** out, const char* url, const char* user_from_url,
                           unsigned int allowed, void* payload);
  static int OnCertificate(git_cert* cert, int valid, const char* host, void* payload);
  static int OnPushUpdate(const char* ref, const char* status, void* payload);
  static bool Late(void* payload) { return static_cast<Session*>(payload)->deadline->Expired(); }

  git_remote_callbacks Callbacks(Session* session) const;
  Result<RemotePtr> NewRemote();
  Error NetworkError(int code, std::string_view action, const Session& session) const;
  Error LocalError(std::string_view action) const;
  std::string Scrub(std::string text) const;
  Result<void> PushRefspec(const std::string& refspec, std::string_view action,
                           NetworkDeadline& deadline);
  // The commit the remote ref `name` points at (peeled), "" when absent.
  Result<std::string> RemoteRefTarget(const std::string& name, NetworkDeadline& deadline);
  // Fetches remote `branch` into refs/remotes/origin/<branch>; the head, or
  // nullopt when the remote has no such branch.
  Result<std::optional<git_oid>> FetchTracking(const std::string& branch);
  // The first parent of `commit` in the clone, "" when it has none.
  std::string ParentOf(const std::string& commit) const;

  GitOptions options_;
  GitUrl url_;
  std::string redacted_url_;
  RepoPtr repo_;
  fs::path worktree_;
  bool owns_worktree_;
  std::vector<std::string> secrets_;
  std::unique_ptr<Libgit2History> history_;  // borrows repo_
};

int Libgit2Repo::OnCredentials(git_credential** out, const char* /*url*/, const char* user_from_url,
                               unsigned int allowed, void* payload) {
  auto* session = static_cast<Session*>(payload);
  Libgit2Repo& self = *session->self;
  std::string user = !self.url_.user.empty()                ? self.url_.user
                     : user_from_url && *user_from_url != 0 ? user_from_url
                                                            : "git";
  if (allowed & GIT_CREDENTIAL_USERNAME) return git_credential_username_new(out, user.c_str());
  if (++session->secret_requests > 1) {
    session->auth_problem = "the server rejected the credentials";
    git_error_set_str(GIT_ERROR_NET, session->auth_problem.c_str());
    return GIT_EAUTH;
  }
  if (allowed & GIT_CREDENTIAL_SSH_KEY) {
    std::string key = self.options_.ssh_key_path.string();
    std::string pub = key + ".pub";
    return git_credential_ssh_key_new(out, user.c_str(), Readable(pub) ? pub.c_str() : nullptr,
                                      key.c_str(), nullptr);
  }
  if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
    std::string password;
    if (self.url_.has_password) {
      password = self.url_.password;
    } else if (!self.options_.password_file.empty()) {
      password = ReadTrimmed(self.options_.password_file);
      if (!password.empty() && std::ranges::find(self.secrets_, password) == self.secrets_.end()) {
        self.secrets_.push_back(password);
      }
    } else if (self.url_.user.empty()) {
      session->auth_problem =
          "the server asks for credentials: give them in --git-url or --git-password-file";
      git_error_set_str(GIT_ERROR_NET, session->auth_problem.c_str());
      return GIT_EAUTH;
    }
    // A URL user without a password (a token) goes with an empty password.
    return git_credential_userpass_plaintext_new(out, user.c_str(), password.c_str());
  }
  session->auth_problem = "the server asks for a kind of credentials tagflow cannot give";
  git_error_set_str(GIT_ERROR_NET, session->auth_problem.c_str());
  return GIT_EAUTH;
}

int Libgit2Repo::OnCertificate(git_cert* cert, int /*valid*/, const char* /*host*/, void* payload) {
  if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return GIT_PASSTHROUGH;  // TLS: libgit2 decides
  auto* session = static_cast<Session*>(payload);
  const Libgit2Repo& self = *session->self;
  auto* hostkey = reinterpret_cast<git_cert_hostkey*>(cert);
  if (!(hostkey->type & GIT_CERT_SSH_RAW)) {
    session->refusal = "ssh host key refused: the server's raw host key is not available";
  } else {
    std::string known_hosts = ReadTrimmed(self.options_.known_hosts_path);
    auto checked =
        CheckKnownHost(known_hosts, self.options_.known_hosts_path.string(), self.url_.host,
                       self.url_.port, std::string_view(hostkey->hostkey, hostkey->hostkey_len));
    if (checked) return 0;
    session->refusal = checked.error().message;
  }
  git_error_set_str(GIT_ERROR_SSH, session->refusal.c_str());
  return GIT_ECERTIFICATE;
}

int Libgit2Repo::OnPushUpdate(const char* ref, const char* status, void* payload) {
  if (status != nullptr) {
    static_cast<Session*>(payload)->rejections.push_back(fmt::format("{}: {}", ref, status));
  }
  return 0;
}

git_remote_callbacks Libgit2Repo::Callbacks(Session* session) const {
  git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
  callbacks.credentials = OnCredentials;
  callbacks.certificate_check = OnCertificate;
  callbacks.push_update_reference = OnPushUpdate;
  callbacks.sideband_progress = [](const char*, int, void* p) { return Late(p) ? -1 : 0; };
  callbacks.transfer_progress = [](const git_indexer_progress*, void* p) {
    return Late(p) ? -1 : 0;
  };
  callbacks.pack_progress = [](int, uint32_t, uint32_t, void* p) { return Late(p) ? -1 : 0; };
  callbacks.push_transfer_progress = [](unsigned, unsigned, size_t, void* p) {
    return Late(p) ? -1 : 0;
  };
  callbacks.payload = session;
  return callbacks;
}

Result<RemotePtr> Libgit2Repo::NewRemote() {
  std::error_code ec;
  if (!url_.IsNetwork() && !fs::exists(url_.path, ec)) {
    return Fail(ErrorKind::kNotFound, fmt::format("no repository at {}", redacted_url_));
  }
  // An anonymous remote that skips `url.<base>.insteadOf`: libgit2 1.5
  // matches those config keys with a PCRE2 regex and leaks ~20 KiB per
  // key that does not match (fixed upstream in libgit2 1.6, PR #6382), a
  // leak per fetch and push. --git-url is used exactly as given (README).
  git_remote_create_options options = GIT_REMOTE_CREATE_OPTIONS_INIT;
  options.repository = repo_.get();
  options.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF;
  git_remote* remote = nullptr;
  if (git_remote_create_with_opts(&remote, url_.ForLibgit2().c_str(), &options) < 0) {
    return Fail(LocalError("creating a remote for"));
  }
  return RemotePtr(remote);
}

std::string Libgit2Repo::Scrub(std::string text) const {
  for (const std::string& secret : secrets_) {
    if (secret.empty()) continue;
    for (size_t pos; (pos = text.find(secret)) != std::string::npos;) {
      text.replace(pos, secret.size(), "***");
    }
  }
  return text;
}

Error Libgit2Repo::LocalError(std::string_view action) const {
  return Error{ErrorKind::kInternal,
               Scrub(fmt::format("{} {}: {}", action, redacted_url_, LastGitError()))};
}

Error Libgit2Repo::NetworkError(int code, std::string_view action, const Session& session) const {
  auto fail = [&](ErrorKind kind, std::string detail) {
    return Error{kind, Scrub(fmt::format("{} {}: {}", action, redacted_url_, detail))};
  };
  if (session.deadline->Expired()) {
    return fail(ErrorKind::kTransient,
                fmt::format("timed out after {}s (--git-timeout)", options_.timeout.count()));
  }
  if (!session.refusal.empty()) return fail(ErrorKind::kUnauthorized, session.refusal);
  if (!session.auth_problem.empty() || code == GIT_EAUTH) {
    return fail(ErrorKind::kUnauthorized, "authentication failed: " + LastGitError());
  }
  if (code == GIT_ECERTIFICATE) return fail(ErrorKind::kUnauthorized, LastGitError());
  if (code == GIT_ENONFASTFORWARD) {
    return fail(ErrorKind::kConflict,
                "the remote branch moved on (non-fast-forward): " + LastGitError());
  }
  return fail(ErrorKind::kTransient, LastGitError());
}

Result<std::optional<git_oid>> Libgit2Repo::FetchTracking(const std::string& branch) {
  const std::string tracking = "refs/remotes/origin/" + branch;
  const std::string action = fmt::format("fetching branch {} from", branch);
  NetworkDeadline deadline(options_.timeout);
  Session session{this, &deadline};
  auto remote = NewRemote();
  if (!remote) return Fail(remote.error());
  // A stale tracking ref must not pass for a branch the remote deleted.
  git_reference_remove(repo_.get(), tracking.c_str());
  std::string refspec = fmt::format("+refs/heads/{}:{}", branch, tracking);
  char* specs[] = {refspec.data()};
  git_strarray refspecs{specs, 1};
  git_fetch_options fetch = GIT_FETCH_OPTIONS_INIT;
  fetch.callbacks = Callbacks(&session);
  fetch.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  fetch.update_fetchhead = 0;
  if (int rc = git_remote_fetch(remote->get(), &refspecs, &fetch, "tagflow: fetch"); rc < 0) {
    return Fail(NetworkError(rc, action, session));
  }
  git_oid head;
  if (git_reference_name_to_id(&head, repo_.get(), tracking.c_str()) < 0) return std::nullopt;
  return head;
}

Result<std::string> Libgit2Repo::Sync() {
  auto fetched = FetchTracking(options_.branch);
  if (!fetched) return Fail(fetched.error());
  if (!fetched->has_value()) {
    return Fail(ErrorKind::kNotFound,
                fmt::format("fetching branch {} from {}: the branch does not exist",
                            options_.branch, redacted_url_));
  }
  git_oid head = **fetched;
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, repo_.get(), &head) < 0)
    return Fail(LocalError("reading the head of"));
  CommitPtr commit(raw);
  // Work tree and index first (git_reset would not remove untracked files),
  // then the local branch and HEAD.
  git_checkout_options checkout = GIT_CHECKOUT_OPTIONS_INIT;
  checkout.checkout_strategy =
      GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED | GIT_CHECKOUT_REMOVE_IGNORED;
  if (git_checkout_tree(repo_.get(), reinterpret_cast<git_object*>(commit.get()), &checkout) < 0) {
    return Fail(LocalError("checking out the head of"));
  }
  const std::string branch_ref = "refs/heads/" + options_.branch;
  git_reference* ref = nullptr;
  if (git_reference_create(&ref, repo_.get(), branch_ref.c_str(), &head, 1, "tagflow: sync") < 0) {
    return Fail(LocalError("updating the local branch of"));
  }
  git_reference_free(ref);
  if (git_repository_set_head(repo_.get(), branch_ref.c_str()) < 0) {
    return Fail(LocalError("checking out the local branch of"));
  }
  return OidHex(head);
}

Result<std::string> Libgit2Repo::Head() const {
  git_oid oid;
  if (git_reference_name_to_id(&oid, repo_.get(), "HEAD") < 0) {
    return Fail(ErrorKind::kNotFound,
                fmt::format("no commit checked out from {} yet (Sync first)", redacted_url_));
  }
  return OidHex(oid);
}

Result<std::string> Libgit2Repo::Commit(const std::vector<std::string>& paths,
                                        const std::string& message) {
  for (const std::string& path : paths) {
    if (const char* why = BadRelativePath(path)) {
      return Invalid(fmt::format("cannot commit \"{}\": {}", path, why));
    }
  }
  auto head = Head();
  if (!head) return Fail(head.error());
  git_oid head_oid;
  git_oid_fromstr(&head_oid, head->c_str());
  git_commit* raw_parent = nullptr;
  git_index* raw_index = nullptr;
  if (git_commit_lookup(&raw_parent, repo_.get(), &head_oid) < 0) {
    return Fail(LocalError("reading the head of"));
  }
  CommitPtr parent(raw_parent);
  if (git_repository_index(&raw_index, repo_.get()) < 0)
    return Fail(LocalError("opening the index of"));
  IndexPtr index(raw_index);
  int rc = 0;
  if (paths.empty()) {
    rc = git_index_add_all(index.get(), nullptr, GIT_INDEX_ADD_DEFAULT, nullptr, nullptr);
    if (rc == 0) rc = git_index_update_all(index.get(), nullptr, nullptr, nullptr);
  }
  for (const std::string& path : paths) {
    std::error_code ec;
    bool present = fs::symlink_status(worktree_ / path, ec).type() != fs::file_type::not_found;
    rc = present ? git_index_add_bypath(index.get(), path.c_str())
                 : git_index_remove_bypath(index.get(), path.c_str());
    if (rc < 0) break;
  }
  git_oid tree_oid;
  if (rc < 0 || git_index_write(index.get()) < 0 ||
      git_index_write_tree(&tree_oid, index.get()) < 0) {
    return Fail(LocalError("staging changes in the clone of"));
  }
  if (git_oid_equal(&tree_oid, git_commit_tree_id(parent.get()))) {
    return Invalid(fmt::format("nothing to commit: the files are unchanged in the clone of {}",
                               redacted_url_));
  }
  git_tree* raw_tree = nullptr;
  git_signature* raw_sig = nullptr;
  if (git_tree_lookup(&raw_tree, repo_.get(), &tree_oid) < 0)
    return Fail(LocalError("committing to"));
  Owned<git_tree, git_tree_free> tree(raw_tree);
  if (git_signature_now(&raw_sig, options_.user.c_str(), options_.email.c_str()) < 0) {
    return Invalid(fmt::format("invalid --git-user/--git-email: {}", LastGitError()));
  }
  SignaturePtr signature(raw_sig);
  std::string text = message.ends_with('\n') ? message : message + "\n";
  const git_commit* parents[] = {parent.get()};
  git_oid commit_oid;
  if (options_.signer) {
    auto signed_commit =
        CreateSignedCommit(*repo_, *options_.signer, *signature, text, *tree, *parent, &commit_oid);
    if (!signed_commit) return Fail(signed_commit.error());
  } else if (git_commit_create(&commit_oid, repo_.get(), "HEAD", signature.get(), signature.get(),
                               nullptr, text.c_str(), tree.get(), 1, parents) < 0) {
    return Fail(LocalError("committing to"));
  }
  return OidHex(commit_oid);
}

Result<void> Libgit2Repo::PushRefspec(const std::string& refspec, std::string_view action,
                                      NetworkDeadline& deadline) {
  Session session{this, &deadline};
  auto remote = NewRemote();
  if (!remote) return Fail(remote.error());
  std::string spec = refspec;
  char* specs[] = {spec.data()};
  git_strarray refspecs{specs, 1};
  git_push_options push = GIT_PUSH_OPTIONS_INIT;
  push.callbacks = Callbacks(&session);
  if (int rc = git_remote_push(remote->get(), &refspecs, &push); rc < 0) {
    return Fail(NetworkError(rc, action, session));
  }
  if (session.rejections.empty()) return {};
  std::string reasons = fmt::format("{}", fmt::join(session.rejections, "; "));
  bool moved_on = reasons.find("fast-forward") != std::string::npos ||
                  reasons.find("fetch first") != std::string::npos ||
                  reasons.find("stale") != std::string::npos;
  return Fail(moved_on ? ErrorKind::kConflict : ErrorKind::kUnauthorized,
              Scrub(fmt::format("{} {}: the remote refused the update ({})", action, redacted_url_,
                                reasons)));
}

std::string Libgit2Repo::ParentOf(const std::string& commit) const {
  git_oid oid;
  git_commit* raw = nullptr;
  if (git_oid_fromstr(&oid, commit.c_str()) < 0 || git_commit_lookup(&raw, repo_.get(), &oid) < 0)
    return "";
  CommitPtr owned(raw);
  const git_oid* parent = git_commit_parentcount(raw) > 0 ? git_commit_parent_id(raw, 0) : nullptr;
  return parent != nullptr ? OidHex(*parent) : "";
}

Result<void> Libgit2Repo::Push() {
  auto head = Head();
  if (!head) return Fail(head.error());
  const std::string ref = fmt::format("refs/heads/{}", options_.branch);
  NetworkDeadline deadline(options_.timeout);
  Result<void> pushed = PushRefspec(fmt::format("{0}:{0}", ref),
                                    fmt::format("pushing branch {} to", options_.branch), deadline);
  if (pushed || pushed.error().kind == ErrorKind::kConflict) return pushed;
  // Refused for another reason, or the transfer failed. A server's own
  // compare-and-swap ("failed to update ref", "cannot lock ref ... but
  // expected", a hook that moved the branch) says so in words that vary by
  // server: ask where the branch is now. Moved on from our base: a conflict,
  // fetched and re-planned by the caller. Our commit there: it landed. Not
  // moved: the refusal stands, with the server's message.
  NetworkDeadline check(options_.timeout);
  Result<std::string> now = RemoteRefTarget(ref, check);
  if (!now) return pushed;
  if (*now == *head) return {};
  std::string base = ParentOf(*head);
  if (!now->empty() && !base.empty() && *now != base) {
    return Fail(ErrorKind::kConflict,
                fmt::format("{}; the branch {} moved to {} meanwhile", pushed.error().message,
                            options_.branch, now->substr(0, 12)));
  }
  return pushed;
}

Result<std::string> Libgit2Repo::RemoteRefTarget(const std::string& name,
                                                 NetworkDeadline& deadline) {
  Session session{this, &deadline};
  auto remote = NewRemote();
  if (!remote) return Fail(remote.error());
  git_remote_callbacks callbacks = Callbacks(&session);
  const std::string action = fmt::format("listing {} at", name);
  if (int rc = git_remote_connect(remote->get(), GIT_DIRECTION_FETCH, &callbacks, nullptr, nullptr);
      rc < 0) {
    return Fail(NetworkError(rc, action, session));
  }
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  if (int rc = git_remote_ls(&heads, &count, remote->get()); rc < 0) {
    return Fail(NetworkError(rc, action, session));
  }
  const std::string peeled = name + "^{}";
  std::string target;
  for (size_t i = 0; i < count; ++i) {
    if (heads[i]->name == peeled) return OidHex(heads[i]->oid);  // annotated: the commit
    if (heads[i]->name == name) target = OidHex(heads[i]->oid);
  }
  return target;
}

Result<bool> Libgit2Repo::MoveTag(const std::string& tag, const std::string& commit) {
  int valid = 0;
  if (tag.empty() || git_tag_name_is_valid(&valid, tag.c_str()) < 0 || !valid) {
    return Invalid(fmt::format("invalid tag name \"{}\"", tag));
  }
  git_oid oid;
  git_object* raw_target = nullptr;
  if (commit.size() != GIT_OID_HEXSZ || git_oid_fromstr(&oid, commit.c_str()) < 0 ||
      git_object_lookup(&raw_target, repo_.get(), &oid, GIT_OBJECT_COMMIT) < 0) {
    return Fail(
        ErrorKind::kNotFound,
        fmt::format("cannot tag {}: no such commit in the clone of {}", commit, redacted_url_));
  }
  Owned<git_object, git_object_free> target(raw_target);
  NetworkDeadline deadline(options_.timeout);
  auto current = RemoteRefTarget("refs/tags/" + tag, deadline);
  if (!current) return Fail(current.error());
  if (*current == commit) return false;
  git_signature* raw_sig = nullptr;
  if (git_signature_now(&raw_sig, options_.user.c_str(), options_.email.c_str()) < 0) {
    return Invalid(fmt::format("invalid --git-user/--git-email: {}", LastGitError()));
  }
  SignaturePtr tagger(raw_sig);
  git_oid tag_oid;
  std::string message = std::string(kSyncTagMessage) + "\n";
  if (options_.signer) {
    auto signed_tag = CreateSignedTag(*repo_, *options_.signer, tag, oid, *tagger, message);
    if (!signed_tag) return Fail(signed_tag.error().Wrap("sync tag " + tag));
  } else if (git_tag_create(&tag_oid, repo_.get(), tag.c_str(), target.get(), tagger.get(),
                            message.c_str(), /*force=*/1) < 0) {
    return Fail(LocalError(fmt::format("creating tag {} in the clone of", tag)));
  }
  auto pushed = PushRefspec(fmt::format("+refs/tags/{0}:refs/tags/{0}", tag),
                            fmt::format("pushing tag {} to", tag), deadline);
  if (!pushed) return Fail(pushed.error());
  return true;
}

Result<std::string> Libgit2Repo::FetchBranch(const std::string& branch) {
  auto fetched = FetchTracking(branch);
  if (!fetched) return Fail(fetched.error());
  return fetched->has_value() ? OidHex(**fetched) : std::string();
}

Result<void> Libgit2Repo::ForcePushBranch(const std::string& branch) {
  if (branch == options_.branch) {
    return Invalid(fmt::format("refusing to force-push --git-branch {}", branch));
  }
  NetworkDeadline deadline(options_.timeout);
  return PushRefspec(fmt::format("+refs/heads/{}:refs/heads/{}", options_.branch, branch),
                     fmt::format("pushing branch {} to", branch), deadline);
}

Result<void> Libgit2Repo::DeleteBranch(const std::string& branch) {
  if (branch == options_.branch) {
    return Invalid(fmt::format("refusing to delete --git-branch {}", branch));
  }
  NetworkDeadline deadline(options_.timeout);
  auto target = RemoteRefTarget("refs/heads/" + branch, deadline);
  if (!target) return Fail(target.error());
  if (target->empty()) return {};
  return PushRefspec(fmt::format(":refs/heads/{}", branch),
                     fmt::format("deleting branch {} from", branch), deadline);
}

Result<CommitSummary> Libgit2Repo::ReadCommit(const std::string& commit) const {
  git_oid oid;
  git_commit* raw = nullptr;
  if (commit.size() != GIT_OID_HEXSZ || git_oid_fromstr(&oid, commit.c_str()) < 0 ||
      git_commit_lookup(&raw, repo_.get(), &oid) < 0) {
    return Fail(ErrorKind::kNotFound,
                fmt::format("no commit {} in the clone of {}", commit, redacted_url_));
  }
  CommitPtr owned(raw);
  CommitSummary out{.id = commit, .tree = OidHex(*git_commit_tree_id(raw))};
  for (unsigned i = 0; i < git_commit_parentcount(raw); ++i) {
    out.parents.push_back(OidHex(*git_commit_parent_id(raw, i)));
  }
  const char* message = git_commit_message_raw(raw);
  out.message = message != nullptr ? message : "";
  return out;
}

Result<bool> Libgit2Repo::IsAncestor(const std::string& ancestor, const std::string& commit) const {
  for (const std::string* id : {&ancestor, &commit}) {
    if (auto known = ReadCommit(*id); !known) return Fail(known.error());
  }
  if (ancestor == commit) return true;
  git_oid a, c;
  git_oid_fromstr(&a, ancestor.c_str());
  git_oid_fromstr(&c, commit.c_str());
  int rc = git_graph_descendant_of(repo_.get(), &c, &a);
  if (rc < 0) return Fail(LocalError("walking the history of"));
  return rc == 1;
}

Result<std::unique_ptr<GitRepo>> OpenGitRepo(const GitOptions& options) {
  if (auto init = InitLibgit2(); !init) return Fail(init.error());
  auto url = ParseGitUrl(options.url);
  if (!url) return Fail(url.error());
  const std::string redacted = RedactUrl(options.url);
  if (url->IsSsh()) {
    if (options.known_hosts_path.empty()) {
      return Invalid(fmt::format(
          "ssh URL {} needs --git-known-hosts: a known_hosts file with the server's host key "
          "(e.g. from `ssh-keyscan -p {} {}`); unknown host keys are refused",
          redacted, url->port, url->host));
    }
    if (options.ssh_key_path.empty()) {
      return Invalid(fmt::format("ssh URL {} needs --git-ssh-key (a private key file)", redacted));
    }
  }
  for (const auto& [flag, path] : {std::pair{"--git-known-hosts", options.known_hosts_path},
                                   std::pair{"--git-ssh-key", options.ssh_key_path},
                                   std::pair{"--git-password-file", options.password_file}}) {
    if (!path.empty() && !Readable(path)) {
      return Invalid(fmt::format("{} {}: cannot read the file", flag, path.string()));
    }
  }
  int valid = 0;
  if (options.branch.empty() ||
      git_reference_name_is_valid(&valid, ("refs/heads/" + options.branch).c_str()) < 0 || !valid) {
    return Invalid(fmt::format("invalid --git-branch \"{}\"", options.branch));
  }
  if (options.user.empty() || options.email.empty()) {
    return Invalid("--git-user and --git-email must not be empty");
  }
  if (options.timeout.count() <= 0) return Invalid("--git-timeout must be positive");

  fs::path dir = options.workdir;
  bool owned = dir.empty();
  if (owned) {
    const char* base = std::getenv("TMPDIR");
    fs::path temp = base && *base ? base : "/tmp";
    if (size_t removed = RemoveStaleClones(temp); removed > 0) {
      spdlog::info("removed {} clone(s) left in {} by earlier runs", removed, temp.string());
    }
    std::string pattern = (temp / fmt::format("{}{}-XXXXXX", kClonePrefix, getpid())).string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return Fail(ErrorKind::kInternal, "cannot create a temporary directory for the clone");
    }
    dir = pattern;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  dir = fs::absolute(dir, ec);
  git_repository* raw = nullptr;
  if (fs::exists(dir / ".git", ec)) {
    if (git_repository_open(&raw, dir.c_str()) < 0) {
      return Invalid(
          fmt::format("git workdir {}: not a usable clone: {}", dir.string(), LastGitError()));
    }
  } else {
    if (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec)) {
      return Invalid(
          fmt::format("git workdir {} is not an empty directory nor a clone; refusing to use it",
                      dir.string()));
    }
    git_repository_init_options init = GIT_REPOSITORY_INIT_OPTIONS_INIT;
    init.flags = GIT_REPOSITORY_INIT_MKPATH;
    init.initial_head = options.branch.c_str();
    if (git_repository_init_ext(&raw, dir.c_str(), &init) < 0) {
      return Fail(ErrorKind::kInternal,
                  fmt::format("cannot create a clone in {}: {}", dir.string(), LastGitError()));
    }
  }
  RepoPtr repo(raw);
  // Files are checked out byte for byte, whatever the user's global config.
  git_config* raw_config = nullptr;
  if (git_repository_config(&raw_config, repo.get()) == 0) {
    ConfigPtr config(raw_config);
    git_config_set_bool(config.get(), "core.autocrlf", 0);
  }
  return std::make_unique<Libgit2Repo>(options, std::move(*url), std::move(repo), dir, owned);
}

void Libgit2Repo::ReleaseCaches() {
  // libgit2 frees its object cache and each pack's delta-base cache (up to
  // 16 MiB per pack) only with the repository handle: open a fresh one.
  git_repository* raw = nullptr;
  if (git_repository_open(&raw, worktree_.c_str()) < 0) {
    spdlog::debug("git caches kept: cannot reopen {}: {}", worktree_.string(), LastGitError());
    return;
  }
  RepoPtr fresh(raw);
  history_->Rebind(fresh.get());
  repo_ = std::move(fresh);
}

size_t RemoveStaleClones(const fs::path& temp_dir) {
  return RemoveStaleTempDirs(temp_dir, kClonePrefix);
}

}  // namespace tagflow::git
