#include "notify/event.h"

#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

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

std::string FormatTime(std::chrono::system_clock::time_point time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

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
      {"time", FormatTime(event.time)},
      {"repo", event.repo_url},
      {"branch", event.branch},
      {"commit", event.commit},
      {"changes", std::move(changes)},
      {"errors", event.errors},
      {"text", text},
  };
}

}  // namespace tagflow::notify
