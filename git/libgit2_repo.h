// The real GitRepo, over libgit2 1.5.
//
// Transports: local path and file://, git://, ssh:// and scp-like (key from
// --git-ssh-key, user from the URL, "git" when absent), http(s):// (user and
// password from the URL userinfo; else the password from --git-password-file
// with the URL's user or "git"; a URL user alone, like a token, goes with an
// empty password). Credentials are never written to disk: every network
// operation uses an anonymous remote and hands them over through libgit2's
// credential callback; rejected credentials are not retried within a call.
//
// ssh host keys are checked against --git-known-hosts (daemon/git_known_hosts.h);
// $HOME/.ssh/known_hosts is not consulted. TLS is verified by libgit2's
// defaults (the system CA bundle).
//
// Each Sync(), Push() and MoveTag() as a whole (connect, negotiation and
// transfer, and for MoveTag the ls-remote and the push) ends within
// options.timeout, see daemon/git_deadline.h; a timeout is kTransient.
#pragma once

#include <filesystem>
#include <memory>

#include "git/repo.h"

namespace tagflow::git {

// Opens the private clone at options.workdir, creating an empty repository
// there if needed; no network traffic (the first Sync() fetches). kInvalidInput
// for bad options: an unparsable URL, an ssh URL without --git-known-hosts or
// --git-ssh-key, a key, known_hosts or password file that cannot be read, an
// invalid branch name, or a workdir holding something other than a clone.
// Without options.workdir the clone goes to a fresh `tagflow-git-<pid>-XXXXXX`
// under $TMPDIR (default /tmp), removed on close; clones there left by
// processes that are gone (kill -9, OOM) are removed first.
[[nodiscard]] Result<std::unique_ptr<GitRepo>> OpenGitRepo(const GitOptions& options);

// Removes the `tagflow-git-<pid>-*` directories in `temp_dir` whose process
// no longer exists; never follows a symlink, never touches a live process's
// clone or anything else. Returns how many were removed.
size_t RemoveStaleClones(const std::filesystem::path& temp_dir);

}  // namespace tagflow::git
