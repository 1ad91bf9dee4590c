// Verified heads (--git-verify-signatures, Flux v1's flag): before tagflow
// acts on the head of --git-branch, the commits since the sync tag must
// carry valid signatures from trusted keys.
//
// Modes (--git-verify-signatures-mode, Flux v1's values):
//   all           every commit since the sync tag, merged branches included
//   first-parent  only the commits along first parents (a branch that takes
//                 signed merges of unsigned work)
//   none          no check
// Without a sync tag on the remote (first run, --git-sync-tag ""), or when
// its commit is not in the fetched history, only the head is checked. At
// most kMaxVerifiedCommits are checked; more than that since the sync tag
// is a failure (move the tag by hand, signed, after review).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "git/history.h"
#include "git/signing.h"

namespace tagflow::git {

enum class VerifyMode { kNone, kAll, kFirstParent };

inline constexpr size_t kMaxVerifiedCommits = 500;

// "none" | "all" | "first-parent"; kInvalidInput naming the flag otherwise.
[[nodiscard]] Result<VerifyMode> ParseVerifyMode(std::string_view text);

struct UnverifiedCommit {
  LoggedCommit commit;
  SignatureVerdict verdict;
};

// One line naming the commit and why: `commit 0123456789ab ("Bump web" by
// Jane <jane@example.com>): unsigned`.
std::string Describe(const UnverifiedCommit& c);

// The commits from `head` back to (not including) `since` that fail the
// check, newest first; [] when all pass. kInvalidInput when more than
// kMaxVerifiedCommits would need a check; history errors pass through.
[[nodiscard]] Result<std::vector<UnverifiedCommit>> FindUnverified(History& history,
                                                                   SignatureVerifier& verifier,
                                                                   const std::string& head,
                                                                   const std::string& since,
                                                                   VerifyMode mode);

}  // namespace tagflow::git
