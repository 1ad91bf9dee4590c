// What the libgit2 adapters of git/ share (libgit2_repo.cc,
// libgit2_history.cc, signed_objects.cc): owning pointers for libgit2
// objects, the last libgit2 error as text, an object id as hex.
#pragma once

#include <git2.h>

#include <memory>
#include <string>

namespace tagflow::git::internal {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
// A libgit2 object freed with `Free` when the pointer goes.
template <class T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, Deleter<T, Free>>;

// The message of the last libgit2 error on this thread.
inline std::string LastGitError() {
  const git_error* error = git_error_last();
  return error != nullptr && error->message != nullptr ? error->message : "unknown libgit2 error";
}

// The 40 hex digits of `oid`.
inline std::string OidHex(const git_oid& oid) {
  char buffer[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buffer, sizeof buffer, &oid);
  return buffer;
}

}  // namespace tagflow::git::internal
