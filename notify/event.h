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
  // A release gate held a tag back (tagflow.io/verify: unsigned or badly
  // signed): `errors` name each tag and the reason. Not a failure: it opens
  // no incident and resolves none. Sent once per tag, digest and reason.
  kSkipped,
  kNotice,  // worth telling, neither a release nor a failure (a rollback held);
            // its lines are in Event::errors (stage kOther), outside any incident
};

// "success", "failure", "resolved", "skipped", "notice".
std::string_view EventKindName(EventKind kind);

// The step of the cycle an error comes from (DESIGN.md §1), in cycle order:
// failure messages group errors by stage in this order.
enum class Stage {
  kGitSync,   // fetching the branch
  kScan,      // reading manifests, annotations and tag filters
  kRegistry,  // listing tags, reading image metadata
  kRewrite,   // editing a file
  kPush,      // commit and push
  kSyncTag,   // moving the sync tag
  kOther,     // anything else (an error given as plain text)
};

// "git sync", "scan", "registry", "rewrite", "push", "sync tag", "other".
std::string_view StageName(Stage stage);

// One image update: `workload container: old_ref -> new_ref`.
struct Change {
  std::string workload;   // "default:deployment/web"
  std::string container;  // "web"
  std::string old_ref;    // as written in the manifest, "nginx:1.25.1"
  std::string new_ref;    // "nginx:1.25.2"
  // Optional parts of the references; when empty they are read from the
  // refs (ChangeImage, ChangeOldTag, ChangeNewTag).
  std::string image;    // repository as written, no tag: "nginx"
  std::string old_tag;  // "1.25.1"
  std::string new_tag;  // "1.25.2"
  // Slack channel of the workload (tagflow.io/notify-channel), "" = the
  // default channel (notify/channels.h).
  std::string channel;

  friend bool operator==(const Change&, const Change&) = default;
};

// The repository of a change (`image`, else old_ref without tag and digest),
// and its old and new tags (the fields, else read from the references).
std::string ChangeImage(const Change& change);
std::string ChangeOldTag(const Change& change);
std::string ChangeNewTag(const Change& change);

// One thing that went wrong in a cycle. `message` is complete on its own
// (it names the file / workload / container / host); the other fields say
// the same in parts, "" when unknown, for grouping and templates.
struct EventError {
  EventError() = default;
  // A bare message (Stage::kOther): what plain-text callers pass.
  EventError(std::string text) : message(std::move(text)) {}  // NOLINT: implicit on purpose
  EventError(const char* text) : message(text) {}             // NOLINT: implicit on purpose
  EventError(Stage s, std::string text) : stage(s), message(std::move(text)) {}

  Stage stage = Stage::kOther;
  std::string message;
  std::string file;       // relative to the repository root
  std::string workload;   // "default:deployment/web"
  std::string container;  // "web"
  std::string host;       // registry or git host
  std::string channel;    // as Change::channel: "" = the default channel

  friend bool operator==(const EventError&, const EventError&) = default;
};

struct Event {
  EventKind kind = EventKind::kSuccess;
  std::vector<Change> changes;  // success: what the commit changed
  // failure: one per problem. A success carries the cycle's errors too when
  // it pushed despite some (then it does not count as a recovery). resolved:
  // what was failing.
  std::vector<EventError> errors;
  std::string commit;  // full commit id ("" when nothing was pushed)
  // Web page of `commit`, "" when unknown; the Notifier fills it from the
  // repository URL (notify/links.h) when the caller leaves it empty.
  std::string commit_url;
  std::string branch;
  std::string repo_url;  // redacted
  std::chrono::system_clock::time_point time;
  // success, failure: how long the cycle took; resolved: how long the
  // daemon was failing (first failure to recovery).
  std::chrono::milliseconds duration{0};
};

// The first 7 characters of a commit id (all of it when shorter).
std::string ShortCommit(std::string_view commit);

// The generic-webhook JSON of an event:
// {"kind","time","repo","branch","commit","changes":[{"workload","container",
// "old","new","image","old_tag","new_tag"}],"errors":[<message>...],
// "error_details":[{"stage","message","file","workload","container","host"}],
// "commit_url","text"}. `text` is the rendered message. Keys are only ever
// added, never changed: receivers written for the first schema keep working.
nlohmann::json EventToJson(const Event& event, std::string_view text);

}  // namespace tagflow::notify
