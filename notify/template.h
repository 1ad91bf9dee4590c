// Message templates for --slack-template-success / --slack-template-failure.
//
// Syntax: literal text with placeholders `{{.Name}}` (spaces inside the braces
// allowed: `{{ .Name }}`). Names are case-sensitive:
//
//   {{.Kind}}         success | failure | resolved
//   {{.Commit}}       full commit id            {{.ShortCommit}}  first 7 chars
//   {{.Branch}}       branch                    {{.Repo}}         repository URL (redacted)
//   {{.Changes}}      one line per change: `workload container: old -> new`
//   {{.Errors}}       one line per error
//   {{.Count}}        number of changes (success) or errors (failure, resolved)
//   {{.Time}}         event time, RFC 3339 UTC
//
// There are no conditionals or loops. `{{` always opens a placeholder; a
// placeholder that is not closed, empty or unknown is an error at startup.
// Values are escaped for Slack (`&`, `<`, `>`) when rendering for Slack; the
// literal text is not, so templates may contain Slack links `<url|label>`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "notify/event.h"

namespace tagflow::notify {

// Built-in texts, written in the template syntax.
inline constexpr std::string_view kDefaultSuccessTemplate =
    "Commit {{.ShortCommit}} on {{.Branch}}: automated release of {{.Count}} image(s)\n"
    "{{.Changes}}";
inline constexpr std::string_view kDefaultFailureTemplate =
    "Automation failed on {{.Branch}}: {{.Count}} error(s)\n{{.Errors}}";
inline constexpr std::string_view kDefaultResolvedTemplate =
    "Resolved: automation on {{.Branch}} is healthy again ({{.Count}} error(s) cleared)";

class Template {
 public:
  // Parses `text`. `flag` names where the text came from and prefixes every
  // error ("--slack-template-success: unknown placeholder {{.Foo}} ...").
  // Errors are kInvalidInput.
  [[nodiscard]] static Result<Template> Parse(std::string_view text, std::string_view flag);

  // Substitutes the event's values. `escape_for_slack` escapes `&<>` in the
  // values (not in the literal text).
  std::string Render(const Event& event, bool escape_for_slack) const;

 private:
  enum class Field {
    kLiteral,
    kKind,
    kCommit,
    kShortCommit,
    kBranch,
    kRepo,
    kChanges,
    kErrors,
    kCount,
    kTime
  };
  struct Piece {
    Field field;
    std::string literal;  // for kLiteral
  };
  std::vector<Piece> pieces_;
};

// `&` -> `&amp;`, `<` -> `&lt;`, `>` -> `&gt;` (what Slack requires in text).
std::string EscapeSlack(std::string_view text);

}  // namespace tagflow::notify
