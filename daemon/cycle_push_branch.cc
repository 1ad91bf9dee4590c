// The cycle with --git-push-branch (and --git-pr): the push-branch flow of
// git/push_branch.h, then one open pull request kept for what the branch
// holds.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/cycle.h"
#include "git/push_branch.h"

namespace tagflow::daemon {
namespace {

// The first line of a commit message: the pull request's title.
std::string Subject(const std::string& message) { return message.substr(0, message.find('\n')); }

}  // namespace

std::string PullRequestBody(const std::vector<PlannedChange>& changes) {
  std::string body = fmt::format("tagflow updates {} image{}:\n\n", changes.size(),
                                 changes.size() == 1 ? "" : "s");
  for (const PlannedChange& c : changes) {
    body += fmt::format("- `{}` container `{}`: `{}` -> `{}`\n", c.workload, c.container,
                        c.from.String(), c.to.String());
  }
  body += "\nThis branch belongs to tagflow: it is rewritten on every change of the images.\n";
  return body;
}

git::EditCommitPushOutcome Cycle::PushToBranch(const git::EditFn& edit,
                                               const std::vector<PlannedChange>& applied,
                                               CycleReport& report) {
  git::PushBranchOptions options{.branch = options_.branch,
                                 .push_branch = options_.push_branch,
                                 .delete_merged = !options_.dry_run && !options_.readonly,
                                 .stop = deps_.stopping};
  if (git::PullRequestClient* client = deps_.pull_requests) {
    options.merged = [this, client](const std::string&) -> Result<bool> {
      Result<std::optional<git::PullRequest>> latest =
          client->Latest(options_.push_branch, options_.branch);
      if (!latest) return Fail(latest.error());
      return latest->has_value() && (*latest)->merged;
    };
  }
  git::PushBranchOutcome out = git::EditCommitPushBranch(deps_.git, edit, options);
  report.push_branch_commit = out.pending;
  report.push_branch_up_to_date = out.up_to_date;
  report.push_branch_deleted = out.deleted;
  if (out.up_to_date) {
    spdlog::info("push branch {} already holds this change commit={}", options_.push_branch,
                 out.pending.substr(0, 12));
  }
  if (out.ok() && !out.pending.empty()) EnsurePullRequest(out.message, applied, report);
  return out.result;
}

void Cycle::EnsurePullRequest(const std::string& message, const std::vector<PlannedChange>& applied,
                              CycleReport& report) {
  git::PullRequestClient* client = deps_.pull_requests;
  if (client == nullptr || Stopping()) return;
  git::PullRequestSpec spec{.head = options_.push_branch,
                            .base = options_.branch,
                            .title = Subject(message),
                            .body = PullRequestBody(applied),
                            .labels = options_.pr_labels,
                            .pushed = !report.push_branch_up_to_date};
  Result<git::EnsureOutcome> ensured = git::EnsurePullRequest(*client, spec);
  if (!ensured) {
    notify::EventError e(notify::Stage::kPush, ensured.error().Wrap("pull request").message);
    report.error_details.push_back(std::move(e));
    return;
  }
  using Action = git::EnsureOutcome::Action;
  report.pull_request_url = ensured->request.url;
  switch (ensured->action) {
    case Action::kCreated:
      report.pull_request_action = "created";
      break;
    case Action::kUpdated:
      report.pull_request_action = "updated";
      break;
    case Action::kUnchanged:
      report.pull_request_action = "unchanged";
      break;
    case Action::kLeftClosed:  // declined: reported, not reopened
      report.pull_request_action = "left closed";
      report.notices.push_back(fmt::format(
          "pull request #{} for {} was closed without merging; not reopening it until the "
          "change grows",
          ensured->request.number, options_.push_branch));
      break;
  }
  spdlog::info("pull request #{} {} url={} head={} base={}", ensured->request.number,
               report.pull_request_action, ensured->request.url, options_.push_branch,
               options_.branch);
}

}  // namespace tagflow::daemon
