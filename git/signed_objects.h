// Signed commits and tags written with libgit2 the way git writes them, so
// that `git verify-commit` and `git verify-tag` accept them:
//
//  - a commit: the object buffer (git_commit_create_buffer) is signed, and
//    the signature goes into the "gpgsig" header
//    (git_commit_create_with_signature), for OpenPGP and SSH alike;
//  - an annotated tag: the tag object (object, type, tag, tagger, blank
//    line, message) is signed and the signature appended to it (git's
//    format for tags: it follows the message), then written with
//    git_tag_create_from_buffer.
#pragma once

#include <git2.h>

#include <string>

#include "base/error.h"
#include "git/signing.h"

namespace tagflow::git {

// Creates a signed commit of `tree` on top of `parent` with author =
// committer = `who`, and moves HEAD's branch to it. `*out` gets its id.
[[nodiscard]] Result<void> CreateSignedCommit(git_repository& repo, Signer& signer,
                                              const git_signature& who, const std::string& message,
                                              const git_tree& tree, const git_commit& parent,
                                              git_oid* out);

// The payload of an annotated tag object, as git writes it before signing.
std::string TagPayload(const git_oid& target, const std::string& name, const git_signature& tagger,
                       const std::string& message);

// Creates (or replaces) refs/tags/<name> as a signed annotated tag of
// commit `target`.
[[nodiscard]] Result<void> CreateSignedTag(git_repository& repo, Signer& signer,
                                           const std::string& name, const git_oid& target,
                                           const git_signature& tagger, const std::string& message);

}  // namespace tagflow::git
