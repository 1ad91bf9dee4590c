#include "notify/template.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "base/strings.h"
#include "base/time.h"

namespace tagflow::notify {
namespace {

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

}  // namespace

Result<Template> Template::Parse(std::string_view text, std::string_view flag) {
  static constexpr std::array<std::pair<std::string_view, Field>, 9> kNames = {{
      {".Kind", Field::kKind},
      {".Commit", Field::kCommit},
      {".ShortCommit", Field::kShortCommit},
      {".Branch", Field::kBranch},
      {".Repo", Field::kRepo},
      {".Changes", Field::kChanges},
      {".Errors", Field::kErrors},
      {".Count", Field::kCount},
      {".Time", Field::kTime},
  }};
  static constexpr std::string_view kKnown =
      "{{.Kind}}, {{.Commit}}, {{.ShortCommit}}, {{.Branch}}, {{.Repo}}, {{.Changes}}, "
      "{{.Errors}}, {{.Count}}, {{.Time}}";

  Template out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open != pos) {
      size_t end = open == std::string_view::npos ? text.size() : open;
      out.pieces_.push_back({Field::kLiteral, std::string(text.substr(pos, end - pos))});
      if (open == std::string_view::npos) break;
    }
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return Fail(
          ErrorKind::kInvalidInput,
          fmt::format("{}: placeholder opened at offset {} is not closed with }}}}", flag, open));
    }
    std::string_view name = Trim(text.substr(open + 2, close - open - 2));
    auto known = std::find_if(kNames.begin(), kNames.end(),
                              [&](const auto& entry) { return entry.first == name; });
    if (known == kNames.end()) {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("{}: unknown placeholder {{{{{}}}}} at offset {} (known: {})", flag,
                              name, open, kKnown));
    }
    out.pieces_.push_back({known->second, ""});
    pos = close + 2;
  }
  return out;
}

std::string Template::Render(const Event& event, bool escape_for_slack) const {
  std::string out;
  for (const Piece& piece : pieces_) {
    if (piece.field == Field::kLiteral) {
      out += piece.literal;
      continue;
    }
    std::string value;
    switch (piece.field) {
      case Field::kLiteral:
        break;
      case Field::kKind:
        value = EventKindName(event.kind);
        break;
      case Field::kCommit:
        value = event.commit;
        break;
      case Field::kShortCommit:
        value = ShortCommit(event.commit);
        break;
      case Field::kBranch:
        value = event.branch;
        break;
      case Field::kRepo:
        value = event.repo_url;
        break;
      case Field::kChanges: {
        std::vector<std::string> lines;
        for (const Change& c : event.changes) {
          lines.push_back(
              fmt::format("{} {}: {} -> {}", c.workload, c.container, c.old_ref, c.new_ref));
        }
        value = JoinLines(lines);
        break;
      }
      case Field::kErrors:
        value = JoinLines(event.errors);
        break;
      case Field::kCount:
        value = std::to_string(event.kind == EventKind::kSuccess ? event.changes.size()
                                                                 : event.errors.size());
        break;
      case Field::kTime:
        value = FormatRfc3339(event.time, TimePrecision::kSeconds);
        break;
    }
    out += escape_for_slack ? EscapeSlack(value) : value;
  }
  return out;
}

std::string EscapeSlack(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace tagflow::notify
