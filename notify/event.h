// What the daemon tells the notifier at the end of an automation cycle.
//
// Plain values: the daemon fills them, the notifier formats them. Nothing in
// an Event may hold a credential; `repo_url` must already be redacted by the
// caller (no userinfo, no token).
#pragma once

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace tagflow::notify {

enum class EventKind {
  kSuccess,   // a commit was pushed
  kFailure,   // some stage of the cycle failed
  kResolved,  // the first good cycle after a failure (made by the Notifier)
};

// "success", "failure", "resolved".
std::string_view EventKindName(EventKind kind);

// One image update: `workload container: old_ref -> new_ref`.
struct Change {
  std::string workload;   // "default:deployment/web"
  std::string container;  // "web"
  std::string old_ref;    // as written in the manifest, "nginx:1.25.1"
  std::string new_ref;    // "nginx:1.25.2"

  friend bool operator==(const Change&, const Change&) = default;
};

struct Event {
  EventKind kind = EventKind::kSuccess;
  std::vector<Change> changes;  // success: what the commit changed
  // failure: one per problem, naming file/workload/host. A success carries
  // the cycle's errors too when it pushed despite some (then it does not
  // count as a recovery).
  std::vector<std::string> errors;
  std::string commit;  // full commit id ("" when nothing was pushed)
  std::string branch;
  std::string repo_url;  // redacted
  std::chrono::system_clock::time_point time;
};

// The first 7 characters of a commit id (all of it when shorter).
std::string ShortCommit(std::string_view commit);

// The generic-webhook JSON of an event:
// {"kind","time","repo","branch","commit","changes":[{"workload","container",
// "old","new"}],"errors":[...],"text"}. `text` is the rendered message.
nlohmann::json EventToJson(const Event& event, std::string_view text);

}  // namespace tagflow::notify
