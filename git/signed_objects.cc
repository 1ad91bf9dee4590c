#include "git/signed_objects.h"

#include <fmt/format.h>

#include <cstdlib>

#include "git/libgit2_util.h"

namespace tagflow::git {
namespace {

using internal::LastGitError;
using internal::OidHex;
using internal::Owned;

// "Name <email> 1700000000 +0100", git's ident line.
std::string Ident(const git_signature& who) {
  int offset = who.when.offset;  // minutes east of UTC
  char sign = offset < 0 ? '-' : '+';
  offset = std::abs(offset);
  return fmt::format("{} <{}> {} {}{:02d}{:02d}", who.name, who.email,
                     static_cast<long long>(who.when.time), sign, offset / 60, offset % 60);
}

}  // namespace

Result<void> CreateSignedCommit(git_repository& repo, Signer& signer, const git_signature& who,
                                const std::string& message, const git_tree& tree,
                                const git_commit& parent, git_oid* out) {
  git_buf buffer = GIT_BUF_INIT;
  const git_commit* parents[] = {&parent};
  if (git_commit_create_buffer(&buffer, &repo, &who, &who, nullptr, message.c_str(), &tree, 1,
                               parents) < 0) {
    return Fail(ErrorKind::kInternal, "preparing a commit: " + LastGitError());
  }
  std::string payload(buffer.ptr, buffer.size);
  git_buf_dispose(&buffer);
  auto signature = signer.Sign(payload);
  if (!signature) return Fail(signature.error().Wrap("signing the commit"));
  // libgit2 indents every line after the first; git stores no trailing newline in the header.
  std::string header = *signature;
  while (!header.empty() && header.back() == '\n') header.pop_back();
  if (git_commit_create_with_signature(out, &repo, payload.c_str(), header.c_str(), "gpgsig") < 0) {
    return Fail(ErrorKind::kInternal, "writing the signed commit: " + LastGitError());
  }
  git_reference* head = nullptr;
  if (git_repository_head(&head, &repo) < 0) {
    return Fail(ErrorKind::kInternal, "reading HEAD: " + LastGitError());
  }
  git_reference* moved = nullptr;
  int rc = git_reference_set_target(&moved, head, out, "tagflow: signed commit");
  git_reference_free(head);
  if (rc < 0) return Fail(ErrorKind::kInternal, "moving the branch: " + LastGitError());
  git_reference_free(moved);
  return {};
}

std::string TagPayload(const git_oid& target, const std::string& name, const git_signature& tagger,
                       const std::string& message) {
  return fmt::format("object {}\ntype commit\ntag {}\ntagger {}\n\n{}", OidHex(target), name,
                     Ident(tagger), message);
}

Result<void> CreateSignedTag(git_repository& repo, Signer& signer, const std::string& name,
                             const git_oid& target, const git_signature& tagger,
                             const std::string& message) {
  std::string payload = TagPayload(target, name, tagger, message);
  auto signature = signer.Sign(payload);
  if (!signature) return Fail(signature.error().Wrap("signing the tag"));
  std::string object = payload + *signature;
  git_oid id;
  if (git_tag_create_from_buffer(&id, &repo, object.c_str(), /*force=*/1) < 0) {
    return Fail(ErrorKind::kInternal, "writing the signed tag: " + LastGitError());
  }
  return {};
}

}  // namespace tagflow::git
