#include "manifest/fast_yaml.h"

#include <cstring>
#include <string>

#include "manifest/scalar_text.h"

namespace tagflow::manifest::internal {
namespace {

// Deeper text goes to yaml-cpp, which refuses it past kMaxNesting.
constexpr int kMaxDepth = kMaxNesting;

// Thrown inside the parser to give up; never leaves this file.
struct GiveUp {};

[[noreturn]] void Bail() { throw GiveUp{}; }

bool IsNullWord(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

class FastParser {
 public:
  FastParser(std::string_view text, std::size_t bom) : t_(text), p_(bom), line_start_(bom) {}

  void Run(const DocumentSink& sink) {
    std::size_t index = 0;
    NextContent();
    while (indent_ >= 0) {
      if (indent_ == 0 && t_[p_] == '%') Bail();
      YamlDocument doc;
      doc.offset = p_;
      doc.line = line_;
      if (Marker("...")) Bail();
      if (Marker("---")) {
        p_ += 3;
        EndLine();
        NextContent();
        if (indent_ < 0 || Marker("---") || Marker("...")) {
          doc.root = Null();
          sink(std::move(doc), index++);
          if (Marker("...")) EndDocument();
          continue;
        }
      }
      doc.root = Block(-1);
      // The document ends here; a bad end marker gives up before the sink
      // sees the document.
      bool end_marker = !(indent_ < 0 || Marker("---"));
      if (end_marker && !Marker("...")) Bail();
      sink(std::move(doc), index++);
      if (end_marker) EndDocument();
    }
  }

 private:
  char At(std::size_t i) const { return i < t_.size() ? t_[i] : '\0'; }
  bool Eol(std::size_t i) const { return i >= t_.size() || t_[i] == '\n' || t_[i] == '\r'; }
  bool SpaceOrEol(std::size_t i) const { return At(i) == ' ' || Eol(i); }
  int Column() const { return static_cast<int>(p_ - line_start_); }
  bool Marker(std::string_view m) const {
    return indent_ == 0 && t_.compare(p_, 3, m) == 0 && SpaceOrEol(p_ + 3);
  }
  bool Dash(std::size_t i) const { return At(i) == '-' && SpaceOrEol(i + 1); }

  YamlNode Node(YamlNode::Kind kind, std::string tag) const {
    YamlNode n;
    n.kind = kind;
    n.tag = std::move(tag);
    n.offset = p_;
    n.line = line_;
    n.column = Column();
    return n;
  }
  // yaml-cpp puts an empty value where the next token starts.
  YamlNode Null() const { return Node(YamlNode::Kind::kNull, ""); }

  // At a line break: steps over it.
  void NewLine() {
    if (At(p_) == '\r') ++p_;
    if (At(p_) == '\n') ++p_;
    ++line_;
    line_start_ = p_;
  }

  void SkipComment() {
    while (!Eol(p_)) ++p_;
  }

  // The rest of the line must be blank or a comment; moves to the next line.
  void EndLine() {
    std::size_t start = p_;
    while (At(p_) == ' ') ++p_;
    if (At(p_) == '#') {
      if (p_ == start && p_ != line_start_) Bail();
      SkipComment();
    }
    if (!Eol(p_)) Bail();
    if (p_ < t_.size()) NewLine();
  }

  // From the start of a line: skips blank and comment lines and stops at the
  // first character of the next content line; indent_ is its column, or -1
  // at the end of the text.
  void NextContent() {
    while (true) {
      while (At(p_) == ' ') ++p_;
      if (p_ >= t_.size()) {
        indent_ = -1;
        return;
      }
      if (t_[p_] == '#') SkipComment();
      if (Eol(p_)) {
        if (p_ >= t_.size()) {
          indent_ = -1;
          return;
        }
        NewLine();
        continue;
      }
      indent_ = Column();
      return;
    }
  }

  void EndDocument() {
    p_ += 3;
    EndLine();
    NextContent();
  }

  static bool SpecialStart(char c) { return std::strchr("&*!|>%@`?:,]}#", c) != nullptr; }

  // A one-line quoted scalar at p_; escapes other than \\ \" \/ \n \t give up.
  YamlNode Quoted() {
    YamlNode n = Node(YamlNode::Kind::kScalar, "!");
    if (t_[p_] == '"') {
      for (std::size_t i = p_ + 1; !Eol(i) && t_[i] != '"'; ++i) {
        if (t_[i] != '\\') continue;
        if (std::strchr("\\\"/nt", At(i + 1)) == nullptr) Bail();
        ++i;
      }
    }
    std::size_t end = 0;
    std::optional<std::string> value = DecodeQuotedLine(t_, p_, end);
    if (!value) Bail();
    n.value = std::move(*value);
    p_ = end;
    return n;
  }

  // A plain scalar at p_ in block context, ending before " #", ": ", a ':'
  // at the end of the line, or the line break. `key` says which is wanted:
  // a key must end at ':', a value must not.
  YamlNode BlockPlain(bool key) {
    if (SpecialStart(t_[p_]) || Dash(p_) || t_[p_] == '[' || t_[p_] == '{') Bail();
    YamlNode n = Node(YamlNode::Kind::kScalar, "?");
    std::size_t i = p_;
    bool colon = false;
    while (!Eol(i)) {
      if (t_[i] == ':' && SpaceOrEol(i + 1)) {
        colon = true;
        break;
      }
      if (t_[i] == '#' && t_[i - 1] == ' ') break;
      ++i;
    }
    if (colon != key) Bail();
    return EndPlain(std::move(n), i);
  }

  // Finishes plain scalar `n` that starts at p_ and stops before `stop`:
  // trailing spaces trimmed, yaml-cpp's null words made empty values.
  YamlNode EndPlain(YamlNode n, std::size_t stop) {
    while (stop > p_ && t_[stop - 1] == ' ') --stop;
    n.value.assign(t_.substr(p_, stop - p_));
    p_ = stop;
    if (IsNullWord(n.value)) {
      n.kind = YamlNode::Kind::kNull;
      n.tag.clear();
      n.value.clear();
    }
    return n;
  }

  // True when a block mapping key starts at p_ on this line.
  bool KeyAhead() const {
    std::size_t i = p_;
    if (t_[i] == '"' || t_[i] == '\'') {
      std::size_t end = 0;
      if (!DecodeQuotedLine(t_, i, end)) return false;
      i = end;
      while (At(i) == ' ') ++i;
      return At(i) == ':' && SpaceOrEol(i + 1);
    }
    for (; !Eol(i); ++i) {
      if (t_[i] == ':' && SpaceOrEol(i + 1)) return true;
      if (t_[i] == '#' && i > p_ && t_[i - 1] == ' ') return false;
    }
    return false;
  }

  // The node starting at p_ (a content line's first token, column above
  // `parent`); returns at the next content line.
  YamlNode Block(int parent) {
    if (++depth_ > kMaxDepth) Bail();
    YamlNode n;
    if (Dash(p_)) {
      n = Sequence(Column());
    } else if (t_[p_] != '[' && t_[p_] != '{' && KeyAhead()) {
      n = Mapping(Column());
    } else {
      n = InlineValue(parent);
    }
    --depth_;
    return n;
  }

  // A scalar or flow collection that ends its line; the next content line
  // must not be deeper than `parent`.
  YamlNode InlineValue(int parent) {
    YamlNode n;
    char c = t_[p_];
    if (c == '[' || c == '{') {
      n = Flow(parent);
    } else if (c == '"' || c == '\'') {
      n = Quoted();
    } else {
      n = BlockPlain(false);
    }
    EndLine();
    NextContent();
    if (indent_ > parent) Bail();
    return n;
  }

  // The value after "key:" or "-" when it is on the following lines.
  YamlNode ValueBelow(int column, bool same_column_sequence) {
    EndLine();
    NextContent();
    if (indent_ > column && !(column < 0 && indent_ == 0 && (Marker("---") || Marker("..."))))
      return Block(column);
    if (same_column_sequence && indent_ == column && Dash(p_)) return Sequence(column);
    return Null();
  }

  YamlNode Mapping(int column) {
    YamlNode map = Node(YamlNode::Kind::kMap, "?");
    while (true) {
      if (t_[p_] == '[' || t_[p_] == '{') Bail();
      YamlNode key = t_[p_] == '"' || t_[p_] == '\'' ? Quoted() : BlockPlain(true);
      while (At(p_) == ' ') ++p_;
      if (At(p_) != ':' || !SpaceOrEol(p_ + 1)) Bail();
      ++p_;
      while (At(p_) == ' ') ++p_;
      YamlNode value;
      if (Eol(p_) || t_[p_] == '#') {
        value = ValueBelow(column, true);
      } else {
        if (Dash(p_)) Bail();
        value = InlineValue(column);
      }
      map.children.push_back(std::move(key));
      map.children.push_back(std::move(value));
      if (indent_ < column || Marker("---") || Marker("...")) return map;
      if (indent_ > column || Dash(p_)) Bail();
    }
  }

  YamlNode Sequence(int column) {
    YamlNode seq = Node(YamlNode::Kind::kSequence, "?");
    while (true) {
      ++p_;
      while (At(p_) == ' ') ++p_;
      YamlNode item;
      if (Eol(p_) || t_[p_] == '#') {
        item = ValueBelow(column, false);
      } else if (Dash(p_)) {
        Bail();
      } else if (t_[p_] != '[' && t_[p_] != '{' && KeyAhead()) {
        if (++depth_ > kMaxDepth) Bail();
        item = Mapping(Column());
        --depth_;
      } else {
        item = InlineValue(column);
      }
      seq.children.push_back(std::move(item));
      if (indent_ < column || Marker("---") || Marker("...")) return seq;
      if (indent_ > column) Bail();
      if (!Dash(p_)) return seq;
    }
  }

  // Spaces, line breaks and comments inside a flow collection; a content
  // line must start deeper than the block `parent`.
  void FlowSpace(int parent) {
    while (true) {
      std::size_t start = p_;
      while (At(p_) == ' ') ++p_;
      if (At(p_) == '#') {
        if (p_ == start && p_ != line_start_) Bail();
        SkipComment();
      }
      if (p_ >= t_.size()) Bail();
      if (!Eol(p_)) return;
      NewLine();
      while (At(p_) == ' ') ++p_;
      if (Column() <= parent && !Eol(p_)) Bail();
      if (p_ == line_start_ && (t_.compare(p_, 3, "---") == 0 || t_.compare(p_, 3, "...") == 0))
        Bail();
    }
  }

  // A plain scalar inside a flow collection.
  YamlNode FlowPlain() {
    if (SpecialStart(t_[p_]) || Dash(p_) || t_[p_] == '[' || t_[p_] == '{') Bail();
    YamlNode n = Node(YamlNode::Kind::kScalar, "?");
    std::size_t i = p_;
    while (!Eol(i)) {
      char c = t_[i];
      if (c == ',' || c == '[' || c == ']' || c == '{' || c == '}') break;
      if (c == ':' && (SpaceOrEol(i + 1) || std::strchr(",[]{}", At(i + 1)) != nullptr)) break;
      if (c == '#' && t_[i - 1] == ' ') break;
      ++i;
    }
    return EndPlain(std::move(n), i);
  }

  YamlNode FlowScalar(bool* quoted) {
    *quoted = t_[p_] == '"' || t_[p_] == '\'';
    return *quoted ? Quoted() : FlowPlain();
  }

  YamlNode FlowValue(int parent) {
    if (t_[p_] == '[' || t_[p_] == '{') return Flow(parent);
    bool quoted = false;
    return FlowScalar(&quoted);
  }

  YamlNode Flow(int parent) {
    if (++depth_ > kMaxDepth) Bail();
    bool is_map = t_[p_] == '{';
    YamlNode n = Node(is_map ? YamlNode::Kind::kMap : YamlNode::Kind::kSequence, "?");
    n.flow = true;
    char close = is_map ? '}' : ']';
    ++p_;
    FlowSpace(parent);
    if (t_[p_] == close) {
      ++p_;
      --depth_;
      return n;
    }
    while (true) {
      if (is_map) {
        if (t_[p_] == '[' || t_[p_] == '{') Bail();
        bool quoted = false;
        YamlNode key = FlowScalar(&quoted);
        while (At(p_) == ' ') ++p_;
        if (At(p_) != ':' || (!quoted && !SpaceOrEol(p_ + 1))) Bail();
        ++p_;
        FlowSpace(parent);
        if (t_[p_] == ',' || t_[p_] == close) Bail();
        n.children.push_back(std::move(key));
        n.children.push_back(FlowValue(parent));
      } else {
        n.children.push_back(FlowValue(parent));
      }
      FlowSpace(parent);
      if (t_[p_] == ',') {
        ++p_;
        FlowSpace(parent);
        if (t_[p_] == close) Bail();
        continue;
      }
      if (t_[p_] != close) Bail();
      ++p_;
      --depth_;
      return n;
    }
  }

  std::string_view t_;
  std::size_t p_;
  std::size_t line_start_;
  int line_ = 0;
  int indent_ = -1;
  int depth_ = 0;
};

}  // namespace

bool ParseYamlFastEach(std::string_view text, std::size_t bom, const DocumentSink& sink) {
  if (text.find('\t') != std::string_view::npos ||
      text.find("\xEF\xBB\xBF", bom) != std::string_view::npos)
    return false;
  for (std::size_t r = text.find('\r'); r != std::string_view::npos; r = text.find('\r', r + 1)) {
    if (r + 1 >= text.size() || text[r + 1] != '\n') return false;
  }
  try {
    FastParser(text, bom).Run(sink);
    return true;
  } catch (const GiveUp&) {
    return false;
  }
}

std::optional<YamlStream> ParseYamlFast(std::string_view text, std::size_t bom) {
  YamlStream stream;
  stream.bom = bom;
  bool parsed = ParseYamlFastEach(text, bom, [&](YamlDocument&& doc, std::size_t) {
    stream.documents.push_back(std::move(doc));
  });
  if (!parsed) return std::nullopt;
  return stream;
}

}  // namespace tagflow::manifest::internal
