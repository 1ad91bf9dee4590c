#include "notify/event.h"

#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "base/time.h"

namespace tagflow::notify {

std::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kSuccess:
      return "success";
    case EventKind::kFailure:
      return "failure";
    case EventKind::kResolved:
      return "resolved";
  }
  return "failure";
}

std::string ShortCommit(std::string_view commit) { return std::string(commit.substr(0, 7)); }

nlohmann::json EventToJson(const Event& event, std::string_view text) {
  nlohmann::json changes = nlohmann::json::array();
  for (const Change& c : event.changes) {
    changes.push_back({{"workload", c.workload},
                       {"container", c.container},
                       {"old", c.old_ref},
                       {"new", c.new_ref}});
  }
  return {
      {"kind", EventKindName(event.kind)},
      {"time", FormatRfc3339(event.time, TimePrecision::kSeconds)},
      {"repo", event.repo_url},
      {"branch", event.branch},
      {"commit", event.commit},
      {"changes", std::move(changes)},
      {"errors", event.errors},
      {"text", text},
  };
}

}  // namespace tagflow::notify
