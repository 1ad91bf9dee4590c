#include "git/verify.h"

#include <fmt/format.h>

namespace tagflow::git {

Result<VerifyMode> ParseVerifyMode(std::string_view text) {
  if (text == "none") return VerifyMode::kNone;
  if (text == "all") return VerifyMode::kAll;
  if (text == "first-parent") return VerifyMode::kFirstParent;
  return Fail(
      ErrorKind::kInvalidInput,
      fmt::format("--git-verify-signatures-mode \"{}\": must be all, first-parent or none", text));
}

std::string Describe(const UnverifiedCommit& c) {
  std::string detail = c.verdict.detail.empty() ? "" : " (" + c.verdict.detail + ")";
  return fmt::format("commit {} (\"{}\" by {} <{}>): {}{}", c.commit.id.substr(0, 12),
                     c.commit.summary, c.commit.author_name, c.commit.author_email,
                     SignatureStatusName(c.verdict.status),
                     c.verdict.status == SignatureStatus::kUnsigned ? "" : detail);
}

Result<std::vector<UnverifiedCommit>> FindUnverified(History& history, SignatureVerifier& verifier,
                                                     const std::string& head,
                                                     const std::string& since, VerifyMode mode) {
  std::vector<UnverifiedCommit> out;
  if (mode == VerifyMode::kNone || head == since) return out;
  LogOptions options;
  options.first_parent = mode == VerifyMode::kFirstParent;
  // Without a known sync tag commit, the head alone.
  options.limit = since.empty() ? 1 : kMaxVerifiedCommits;
  options.hide = since;
  auto log = history.Log(head, options);
  if (!log) return Fail(log.error());
  if (log->truncated && !since.empty()) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("more than {} commits since the sync tag ({}): not checked one by one; "
                            "review them and move the sync tag by hand",
                            kMaxVerifiedCommits, since.substr(0, 12)));
  }
  for (const LoggedCommit& c : log->commits) {
    auto signed_object = history.CommitSignature(c.id);
    if (!signed_object) return Fail(signed_object.error());
    SignatureVerdict verdict;
    if (!signed_object->has_value()) {
      verdict.status = SignatureStatus::kUnsigned;
    } else {
      verdict = verifier.Verify((*signed_object)->signature, (*signed_object)->payload);
    }
    if (verdict.status != SignatureStatus::kGood) out.push_back({c, std::move(verdict)});
  }
  return out;
}

}  // namespace tagflow::git
