#include "notify/template.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "base/strings.h"
#include "base/time.h"

namespace tagflow::notify {
namespace {

// What `.` is: the event, a change (in range .Changes) or an error.
enum class Scope { kEvent, kChange, kError };

constexpr std::array<std::string_view, 11> kEventFields = {
    "Kind",  "Commit",   "ShortCommit", "CommitURL", "Repo",  "Branch",
    "Count", "Duration", "Time",        "Changes",   "Errors"};
constexpr std::array<std::string_view, 7> kChangeFields = {
    "Workload", "Container", "Image", "OldTag", "NewTag", "OldRef", "NewRef"};
constexpr std::array<std::string_view, 6> kErrorFields = {"Stage",    "Message",   "File",
                                                          "Workload", "Container", "Host"};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

template <size_t N>
std::string Known(const std::array<std::string_view, N>& names) {
  std::string out;
  for (std::string_view n : names) out += (out.empty() ? "." : ", .") + std::string(n);
  return out;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

std::string ChangeLine(const Change& c) {
  return fmt::format("{} {}: {} -> {}", c.workload, c.container, c.old_ref, c.new_ref);
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

// A field reference: `.Name` in the current scope, `$.Name` of the event,
// or `.` itself (name empty).
struct Ref {
  bool root = false;
  Scope scope = Scope::kEvent;  // where `name` is looked up
  std::string name;
};

struct Template::Node {
  enum class Type { kText, kValue, kRange, kIf };
  Type type = Type::kText;
  std::string text;             // kText
  Ref ref;                      // kValue; the list of kRange; the condition of kIf
  std::vector<Node> body;       // kRange, kIf
  std::vector<Node> else_body;  // kIf, kRange (when the list is empty)
};

namespace {

using Node = Template::Node;

struct Frame {
  Node node;
  Scope scope = Scope::kEvent;  // scope inside the node's body
  bool in_else = false;
  bool chained = false;  // opened by `else if`: closed by its parent's `end`
  std::string where;     // "1:5", where it was opened
  std::vector<Node>& Target() { return in_else ? node.else_body : node.body; }
};

class Parser {
 public:
  Parser(std::string_view text, std::string_view flag) : text_(text), flag_(flag) {}

  Result<std::vector<Node>> Run() {
    stack_.push_back(Frame{});
    size_t pos = 0;
    bool trim_next = false;
    while (pos <= text_.size()) {
      size_t open = text_.find("{{", pos);
      std::string_view literal =
          text_.substr(pos, open == std::string_view::npos ? std::string_view::npos : open - pos);
      if (trim_next) {
        while (!literal.empty() && IsSpace(literal.front())) literal.remove_prefix(1);
      }
      if (open == std::string_view::npos) {
        AddText(literal);
        break;
      }
      std::string where = Where(open);
      size_t close = text_.find("}}", open + 2);
      if (close == std::string_view::npos) {
        return Error(where, "action is not closed with }}");
      }
      std::string_view action = text_.substr(open + 2, close - open - 2);
      if (action.starts_with("-") && (action.size() == 1 || IsSpace(action[1]))) {
        while (!literal.empty() && IsSpace(literal.back())) literal.remove_suffix(1);
        action.remove_prefix(1);
      }
      trim_next = false;
      if (action.ends_with("-") && action.size() >= 2 && IsSpace(action[action.size() - 2])) {
        trim_next = true;
        action.remove_suffix(1);
      }
      AddText(literal);
      if (auto ok = Action(Trim(action), where); !ok) return Fail(ok.error());
      pos = close + 2;
    }
    if (stack_.size() > 1) {
      const Frame& open = stack_.back();
      return Error(open.where, fmt::format("{{{{{}}}}} has no {{{{end}}}}",
                                           open.node.type == Node::Type::kRange ? "range" : "if"));
    }
    return std::move(stack_.front().node.body);
  }

 private:
  std::string Where(size_t offset) const {
    int line = 1, column = 1;
    for (size_t i = 0; i < offset; ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return fmt::format("{}:{}", line, column);
  }

  std::unexpected<tagflow::Error> Error(const std::string& where, std::string_view what) const {
    return std::unexpected(
        tagflow::Error{ErrorKind::kInvalidInput, fmt::format("{}:{}: {}", flag_, where, what)});
  }

  void AddText(std::string_view literal) {
    if (literal.empty()) return;
    std::vector<Node>& target = stack_.back().Target();
    if (!target.empty() && target.back().type == Node::Type::kText) {
      target.back().text += literal;
    } else {
      target.push_back(Node{.type = Node::Type::kText, .text = std::string(literal)});
    }
  }

  // Parses a field reference in the current scope.
  Result<Ref> ParseRef(std::string_view word, const std::string& where) const {
    Scope scope = stack_.back().scope;
    Ref ref;
    if (word.starts_with("$.")) {
      ref.root = true;
      word.remove_prefix(1);
      scope = Scope::kEvent;
    }
    if (word == ".") {
      if (scope == Scope::kEvent) return Error(where, "{{.}} is only allowed inside {{range}}");
      ref.scope = scope;
      return ref;
    }
    if (!word.starts_with(".") || word.size() < 2) {
      return Error(where, fmt::format("unsupported action {{{{{}}}}} (fields start with a dot: "
                                      "{{{{.Branch}}}})",
                                      word));
    }
    ref.scope = scope;
    ref.name = std::string(word.substr(1));
    bool known = scope == Scope::kEvent    ? Contains(kEventFields, ref.name)
                 : scope == Scope::kChange ? Contains(kChangeFields, ref.name)
                                           : Contains(kErrorFields, ref.name);
    if (!known) {
      std::string_view of = scope == Scope::kEvent    ? "the event"
                            : scope == Scope::kChange ? "a change (in range .Changes)"
                                                      : "an error (in range .Errors)";
      std::string list = scope == Scope::kEvent    ? Known(kEventFields)
                         : scope == Scope::kChange ? Known(kChangeFields)
                                                   : Known(kErrorFields);
      std::string hint = scope != Scope::kEvent && Contains(kEventFields, ref.name)
                             ? fmt::format("; the event's is $.{}", ref.name)
                             : "";
      return Error(where,
                   fmt::format("unknown field .{} of {} (known: {}{})", ref.name, of, list, hint));
    }
    return ref;
  }

  Result<void> Action(std::string_view action, const std::string& where) {
    std::string_view keyword = action.substr(0, action.find_first_of(" \t\r\n"));
    std::string_view arg = Trim(action.substr(keyword.size()));
    if (action.empty()) return Error(where, "empty action {{}}");
    if (keyword == "end") {
      if (!arg.empty()) return Error(where, "{{end}} takes nothing");
      if (stack_.size() == 1) return Error(where, "{{end}} without {{range}} or {{if}}");
      bool chained = true;
      while (chained) {
        Frame done = std::move(stack_.back());
        stack_.pop_back();
        chained = done.chained;
        stack_.back().Target().push_back(std::move(done.node));
      }
      return {};
    }
    if (keyword == "else") {
      Frame& top = stack_.back();
      if (stack_.size() == 1) return Error(where, "{{else}} without {{if}} or {{range}}");
      if (top.in_else) return Error(where, "a second {{else}}");
      if (!arg.empty() && top.node.type != Node::Type::kIf) {
        return Error(where, "{{else if}} inside {{range}}");
      }
      top.in_else = true;
      if (arg.empty()) return {};
      std::string_view if_word = arg.substr(0, arg.find_first_of(" \t\r\n"));
      if (if_word != "if") return Error(where, fmt::format("unsupported {{{{else {}}}}}", arg));
      return Open(Node::Type::kIf, Trim(arg.substr(2)), where, /*chained=*/true);
    }
    if (keyword == "range") return Open(Node::Type::kRange, arg, where, false);
    if (keyword == "if") return Open(Node::Type::kIf, arg, where, false);
    if (!arg.empty()) {
      return Error(where, fmt::format("unsupported action {{{{{}}}}} (only fields, range, if, "
                                      "else and end)",
                                      action));
    }
    auto ref = ParseRef(action, where);
    if (!ref) return Fail(ref.error());
    stack_.back().Target().push_back(Node{.type = Node::Type::kValue, .ref = std::move(*ref)});
    return {};
  }

  Result<void> Open(Node::Type type, std::string_view arg, const std::string& where, bool chained) {
    std::string_view what = type == Node::Type::kRange ? "range" : "if";
    if (arg.empty() || arg.find_first_of(" \t\r\n") != std::string_view::npos) {
      return Error(where, fmt::format("{{{{{} ...}}}} takes one field", what));
    }
    auto ref = ParseRef(arg, where);
    if (!ref) return Fail(ref.error());
    Frame frame;
    frame.scope = stack_.back().scope;
    if (type == Node::Type::kRange) {
      if (ref->scope != Scope::kEvent || (ref->name != "Changes" && ref->name != "Errors")) {
        return Error(where,
                     fmt::format("{{{{range {}}}}}: only .Changes and .Errors are lists", arg));
      }
      frame.scope = ref->name == "Changes" ? Scope::kChange : Scope::kError;
    }
    frame.node.type = type;
    frame.node.ref = std::move(*ref);
    frame.chained = chained;
    frame.where = where;
    stack_.push_back(std::move(frame));
    return {};
  }

  std::string_view text_;
  std::string_view flag_;
  std::vector<Frame> stack_;
};

struct Context {
  const Event& event;
  const Change* change = nullptr;
  const EventError* error = nullptr;
};

// The text of a reference and whether it counts as true.
std::pair<std::string, bool> Evaluate(const Ref& ref, const Context& ctx) {
  const Event& e = ctx.event;
  auto text = [](std::string s) {
    bool truth = !s.empty();
    return std::pair{std::move(s), truth};
  };
  if (!ref.root && ref.scope == Scope::kChange && ctx.change) {
    const Change& c = *ctx.change;
    if (ref.name.empty()) return text(ChangeLine(c));
    if (ref.name == "Workload") return text(c.workload);
    if (ref.name == "Container") return text(c.container);
    if (ref.name == "Image") return text(ChangeImage(c));
    if (ref.name == "OldTag") return text(ChangeOldTag(c));
    if (ref.name == "NewTag") return text(ChangeNewTag(c));
    if (ref.name == "OldRef") return text(c.old_ref);
    if (ref.name == "NewRef") return text(c.new_ref);
  }
  if (!ref.root && ref.scope == Scope::kError && ctx.error) {
    const EventError& r = *ctx.error;
    if (ref.name.empty()) return text(r.message);
    if (ref.name == "Stage") return text(std::string(StageName(r.stage)));
    if (ref.name == "Message") return text(r.message);
    if (ref.name == "File") return text(r.file);
    if (ref.name == "Workload") return text(r.workload);
    if (ref.name == "Container") return text(r.container);
    if (ref.name == "Host") return text(r.host);
  }
  if (ref.name == "Kind") return text(std::string(EventKindName(e.kind)));
  if (ref.name == "Commit") return text(e.commit);
  if (ref.name == "ShortCommit") return text(ShortCommit(e.commit));
  if (ref.name == "CommitURL") return text(e.commit_url);
  if (ref.name == "Repo") return text(e.repo_url);
  if (ref.name == "Branch") return text(e.branch);
  if (ref.name == "Time") return text(FormatRfc3339(e.time, TimePrecision::kSeconds));
  if (ref.name == "Duration") {
    auto rounded = std::chrono::round<std::chrono::seconds>(e.duration);
    return {FormatDuration(rounded), rounded.count() > 0};
  }
  if (ref.name == "Count") {
    size_t n = e.kind == EventKind::kSuccess ? e.changes.size() : e.errors.size();
    return {std::to_string(n), n > 0};
  }
  if (ref.name == "Changes") {
    std::vector<std::string> lines;
    for (const Change& c : e.changes) lines.push_back(ChangeLine(c));
    return {JoinLines(lines), !lines.empty()};
  }
  if (ref.name == "Errors") {
    std::vector<std::string> lines;
    for (const EventError& r : e.errors) lines.push_back(r.message);
    return {JoinLines(lines), !lines.empty()};
  }
  return {"", false};
}

void RenderNodes(const std::vector<Node>& nodes, const Context& ctx, bool slack, std::string& out) {
  for (const Node& node : nodes) {
    switch (node.type) {
      case Node::Type::kText:
        out += node.text;
        break;
      case Node::Type::kValue: {
        std::string value = Evaluate(node.ref, ctx).first;
        out += slack ? EscapeSlack(value) : value;
        break;
      }
      case Node::Type::kIf:
        RenderNodes(Evaluate(node.ref, ctx).second ? node.body : node.else_body, ctx, slack, out);
        break;
      case Node::Type::kRange:
        if (node.ref.name == "Changes") {
          for (const Change& c : ctx.event.changes) {
            RenderNodes(node.body, Context{ctx.event, &c, nullptr}, slack, out);
          }
          if (ctx.event.changes.empty()) RenderNodes(node.else_body, ctx, slack, out);
        } else {
          for (const EventError& r : ctx.event.errors) {
            RenderNodes(node.body, Context{ctx.event, nullptr, &r}, slack, out);
          }
          if (ctx.event.errors.empty()) RenderNodes(node.else_body, ctx, slack, out);
        }
        break;
    }
  }
}

}  // namespace

Result<Template> Template::Parse(std::string_view text, std::string_view flag) {
  auto nodes = Parser(text, flag).Run();
  if (!nodes) return Fail(nodes.error());
  Template out;
  out.nodes_ = std::make_shared<const std::vector<Node>>(std::move(*nodes));
  return out;
}

std::string Template::Render(const Event& event, bool escape_for_slack) const {
  std::string out;
  if (nodes_) RenderNodes(*nodes_, Context{event}, escape_for_slack, out);
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
