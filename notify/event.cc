#include "notify/event.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/time.h"

namespace tagflow::notify {
namespace {

// `[domain/]path[:tag][@digest]` split into name and tag, by the grammar's
// rule that a tag's colon comes after the last slash.
std::pair<std::string_view, std::string_view> SplitRef(std::string_view ref) {
  ref = ref.substr(0, ref.find('@'));
  size_t colon = ref.rfind(':');
  size_t slash = ref.rfind('/');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash)) {
    return {ref, ""};
  }
  return {ref.substr(0, colon), ref.substr(colon + 1)};
}

}  // namespace

std::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kSuccess:
      return "success";
    case EventKind::kFailure:
      return "failure";
    case EventKind::kResolved:
      return "resolved";
    case EventKind::kSkipped:
      return "skipped";
    case EventKind::kNotice:
      return "notice";
  }
  return "failure";
}

std::string_view StageName(Stage stage) {
  switch (stage) {
    case Stage::kGitSync:
      return "git sync";
    case Stage::kScan:
      return "scan";
    case Stage::kRegistry:
      return "registry";
    case Stage::kRewrite:
      return "rewrite";
    case Stage::kPush:
      return "push";
    case Stage::kSyncTag:
      return "sync tag";
    case Stage::kOther:
      break;
  }
  return "other";
}

std::string ChangeImage(const Change& change) {
  return change.image.empty() ? std::string(SplitRef(change.old_ref).first) : change.image;
}

std::string ChangeOldTag(const Change& change) {
  return change.old_tag.empty() ? std::string(SplitRef(change.old_ref).second) : change.old_tag;
}

std::string ChangeNewTag(const Change& change) {
  return change.new_tag.empty() ? std::string(SplitRef(change.new_ref).second) : change.new_tag;
}

std::string ShortCommit(std::string_view commit) { return std::string(commit.substr(0, 7)); }

nlohmann::json EventToJson(const Event& event, std::string_view text) {
  nlohmann::json changes = nlohmann::json::array();
  for (const Change& c : event.changes) {
    changes.push_back({{"workload", c.workload},
                       {"container", c.container},
                       {"old", c.old_ref},
                       {"new", c.new_ref},
                       {"image", ChangeImage(c)},
                       {"old_tag", ChangeOldTag(c)},
                       {"new_tag", ChangeNewTag(c)}});
  }
  nlohmann::json errors = nlohmann::json::array();
  nlohmann::json details = nlohmann::json::array();
  for (const EventError& e : event.errors) {
    errors.push_back(e.message);
    details.push_back({{"stage", StageName(e.stage)},
                       {"message", e.message},
                       {"file", e.file},
                       {"workload", e.workload},
                       {"container", e.container},
                       {"host", e.host}});
  }
  return {
      {"kind", EventKindName(event.kind)},
      {"time", FormatRfc3339(event.time, TimePrecision::kSeconds)},
      {"repo", event.repo_url},
      {"branch", event.branch},
      {"commit", event.commit},
      {"commit_url", event.commit_url},
      {"changes", std::move(changes)},
      {"errors", std::move(errors)},
      {"error_details", std::move(details)},
      {"text", text},
  };
}

}  // namespace tagflow::notify
