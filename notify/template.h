// Message templates (--slack-template-success / --slack-template-failure):
// the subset of Go's text/template that Flux and Alertmanager users write.
//
// Actions, between `{{` and `}}` (a `{{-` / `-}}` also trims the white space
// before / after it, as in Go):
//
//   {{.Field}}                      a field of the current value
//   {{$.Field}}                     a field of the event, from anywhere
//   {{.}}                           the current change or error as one line
//   {{range .Changes}}...{{end}}    once per change, `.` being the change
//   {{range .Errors}}...{{end}}     once per error, `.` being the error
//   {{if X}}...{{else if Y}}...{{else}}...{{end}}
//                                   X is a field: true when it is not empty
//                                   (a list with items, a non-empty string,
//                                   a count above zero)
//
// Fields of the event: .Kind (success|failure|resolved), .Commit,
// .ShortCommit (7 chars), .CommitURL ("" when unknown), .Repo (redacted),
// .Branch, .Count (changes for a success, errors otherwise), .Duration
// (cycle time; for resolved, how long it was failing: "1h30m"), .Time
// (RFC 3339 UTC), .Changes and .Errors (as lists, or as text: one line per
// item, `workload container: old -> new` and the error message).
// Fields of a change: .Workload .Container .Image .OldTag .NewTag .OldRef
// .NewRef. Fields of an error: .Stage ("git sync", "scan", "registry",
// "rewrite", "push", "sync tag") .Message .File .Workload .Container .Host.
//
// Anything else — an unknown field, an action that is not closed, an `end`
// without a `range`/`if`, a `range` over something that is not a list — is
// an error at startup naming the flag and the line:column of the action.
// Values are escaped for Slack (`&`, `<`, `>`) when rendering for Slack; the
// literal text is not, so templates may contain Slack links `<url|label>`.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "notify/event.h"

namespace tagflow::notify {

// Built-in texts, written in the template syntax: the fallback `text` of
// Slack messages, and the body of the text-only destinations.
inline constexpr std::string_view kDefaultSuccessTemplate =
    "Released {{.Count}} image(s) to {{.Branch}} (commit {{.ShortCommit}})"
    "{{range .Changes}}\n{{.Workload}} {{.Container}}: {{.OldRef}} -> {{.NewRef}}{{end}}"
    "{{if .Errors}}\nThe same cycle also had errors, reported separately{{end}}";
inline constexpr std::string_view kDefaultFailureTemplate =
    "Automation failed on {{.Branch}}: {{.Count}} error(s)"
    "{{range .Errors}}\n[{{.Stage}}] {{.Message}}{{end}}";
inline constexpr std::string_view kDefaultSkippedTemplate =
    "Held back {{.Count}} tag(s) on {{.Branch}}{{range .Errors}}\n{{.Message}}{{end}}";
inline constexpr std::string_view kDefaultResolvedTemplate =
    "Resolved: automation on {{.Branch}} is healthy again after {{.Duration}} "
    "({{.Count}} error(s) cleared)";

class Template {
 public:
  // Parses `text`. `flag` names where the text came from and prefixes every
  // error ("--slack-template-success:2:7: unknown field .Foo ..."). Errors
  // are kInvalidInput.
  [[nodiscard]] static Result<Template> Parse(std::string_view text, std::string_view flag);

  // Renders the event. `escape_for_slack` escapes `&<>` in the values (not
  // in the literal text).
  std::string Render(const Event& event, bool escape_for_slack) const;

  struct Node;  // the parsed tree (template.cc)

 private:
  std::shared_ptr<const std::vector<Node>> nodes_;
};

// `&` -> `&amp;`, `<` -> `&lt;`, `>` -> `&gt;` (what Slack requires in text).
std::string EscapeSlack(std::string_view text);

}  // namespace tagflow::notify
