#include "manifest/yaml_tree.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <optional>
#include <spanstream>

#include "manifest/fast_yaml.h"

namespace tagflow::manifest {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::unexpected<Error> SyntaxError(ParseFailure* failure, int line, int column, std::string what) {
  std::string message = fmt::format("line {}, column {}: {}", line, column, what);
  if (failure != nullptr) *failure = ParseFailure{line, column, std::move(what)};
  return Fail(ErrorKind::kInvalidInput, std::move(message));
}

// Returns the offset of the first byte that breaks UTF-8, or npos.
std::size_t FindInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      if (c == 0) return i;
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    static constexpr std::array<std::uint32_t, 5> kMin = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

// Thrown by TreeBuilder and LinkAliases when a document is over a limit of
// yaml_tree.h; caught in ParseWithYamlCpp, never leaves this file.
struct OverLimit {
  int line = 0;  // 0-based, as in YamlNode
  int column = 0;
  std::string what;
};

// Builds YamlNodes from yaml-cpp events, one document at a time. Offsets
// from yaml-cpp do not count a BOM, so `bom` is added back. Nesting and the
// number of aliases are checked as the events arrive, so yaml-cpp stops at
// the first collection too deep, long before its own recursion could hurt.
class TreeBuilder : public YAML::EventHandler {
 public:
  explicit TreeBuilder(std::size_t bom) : bom_(bom) {}

  // The document the last HandleNextDocument completed.
  YamlDocument TakeDocument() { return std::move(document_); }

  void OnDocumentStart(const YAML::Mark& mark) override {
    document_ = YamlDocument{};
    document_.offset = Offset(mark);
    document_.line = mark.line;
    stack_.clear();
    aliases_ = 0;
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Complete(Make(YamlNode::Kind::kNull, mark, "", anchor));
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (++aliases_ > kMaxAliases) {
      throw OverLimit{mark.line, mark.column,
                      fmt::format("more than {} aliases in one document", kMaxAliases)};
    }
    YamlNode node = Make(YamlNode::Kind::kAlias, mark, "", 0);
    node.anchor_id = anchor;
    Complete(std::move(node));
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    YamlNode node = Make(YamlNode::Kind::kScalar, mark, tag, anchor);
    node.value = value;
    Complete(std::move(node));
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    Open(YamlNode::Kind::kSequence, mark, tag, anchor, style);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    Open(YamlNode::Kind::kMap, mark, tag, anchor, style);
  }
  void OnMapEnd() override { Close(); }

 private:
  std::size_t Offset(const YAML::Mark& mark) const {
    return mark.pos < 0 ? 0 : static_cast<std::size_t>(mark.pos) + bom_;
  }

  YamlNode Make(YamlNode::Kind kind, const YAML::Mark& mark, const std::string& tag,
                YAML::anchor_t anchor) {
    YamlNode node;
    node.kind = kind;
    node.tag = tag;
    node.anchored = anchor != 0;
    node.anchor_id = anchor;
    node.offset = Offset(mark);
    node.line = mark.line;
    node.column = mark.column;
    return node;
  }

  void Open(YamlNode::Kind kind, const YAML::Mark& mark, const std::string& tag,
            YAML::anchor_t anchor, YAML::EmitterStyle::value style) {
    if (stack_.size() >= static_cast<std::size_t>(kMaxNesting)) {
      throw OverLimit{mark.line, mark.column,
                      fmt::format("nesting deeper than {} levels", kMaxNesting)};
    }
    YamlNode node = Make(kind, mark, tag, anchor);
    node.flow = style == YAML::EmitterStyle::Flow;
    stack_.push_back(std::move(node));
  }

  void Close() {
    YamlNode node = std::move(stack_.back());
    stack_.pop_back();
    Complete(std::move(node));
  }

  void Complete(YamlNode node) {
    if (stack_.empty()) {
      document_.root = std::move(node);
      return;
    }
    stack_.back().children.push_back(std::move(node));
  }

  std::size_t bom_;
  YamlDocument document_;
  std::vector<YamlNode> stack_;
  int aliases_ = 0;
};

// Points every alias of the finished tree `root` at its anchored node and
// checks what the aliases stand for: nesting through them and the nodes
// they add. Iterative, post-order: an anchor is known once its node is
// complete, as in yaml-cpp, so an alias inside its own anchor stays
// unresolved (nullptr) and no cycle can form. Throws OverLimit.
void LinkAliases(YamlNode& root) {
  struct Anchor {
    const YamlNode* node = nullptr;
    int height = 0;         // collections nested in it, aliases expanded
    std::size_t nodes = 1;  // its nodes, aliases expanded
  };
  struct Frame {
    YamlNode* node;
    std::size_t next = 0;
    int height = 0;         // of the tallest child so far
    std::size_t nodes = 1;  // itself and its children so far
  };
  std::map<std::size_t, Anchor> anchors;
  std::size_t added = 0;
  std::vector<Frame> stack = {{&root}};
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.next < top.node->children.size()) {
      YamlNode* child = &top.node->children[top.next++];
      stack.push_back({child});
      continue;
    }
    YamlNode& node = *top.node;
    Anchor self{&node, 0, top.nodes};
    if (node.kind == YamlNode::Kind::kAlias) {
      auto it = anchors.find(node.anchor_id);
      if (it != anchors.end()) {
        node.target = it->second.node;
        self.height = it->second.height;
        self.nodes = it->second.nodes;
      }
      // Every ancestor on the stack is a collection.
      if (static_cast<int>(stack.size() - 1) + self.height > kMaxNesting) {
        throw OverLimit{node.line, node.column,
                        fmt::format("nesting deeper than {} levels through aliases", kMaxNesting)};
      }
      added += self.nodes;
      if (added > kMaxAliasNodes) {
        throw OverLimit{node.line, node.column,
                        fmt::format("aliases that stand for more than {} nodes in one document",
                                    kMaxAliasNodes)};
      }
    } else if (node.IsMap() || node.IsSequence()) {
      self.height = top.height + 1;
    }
    if (node.anchored) anchors[node.anchor_id] = self;
    stack.pop_back();
    if (!stack.empty()) {
      stack.back().height = std::max(stack.back().height, self.height);
      stack.back().nodes += self.nodes;
    }
  }
}

bool IsDigits(std::string_view s, bool (*digit)(char)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), digit);
}
bool IsDec(char c) { return c >= '0' && c <= '9'; }
bool IsDecOrUnderscore(char c) { return IsDec(c) || c == '_'; }
bool IsOct(char c) { return c >= '0' && c <= '7'; }
bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool IsBin(char c) { return c == '0' || c == '1'; }

// [-+]? ( \. [0-9]+ | [0-9][0-9_]* ( \. [0-9_]* )? ) ( [eE] [-+]? [0-9]+ )?
bool IsFloat(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  std::size_t e = s.find_first_of("eE");
  std::string_view mantissa = s.substr(0, e);
  if (e != std::string_view::npos) {
    std::string_view exp = s.substr(e + 1);
    if (!exp.empty() && (exp[0] == '-' || exp[0] == '+')) exp.remove_prefix(1);
    if (!IsDigits(exp, IsDec)) return false;
  }
  std::size_t dot = mantissa.find('.');
  if (dot == std::string_view::npos)
    return e != std::string_view::npos && IsDigits(mantissa, IsDecOrUnderscore);
  std::string_view whole = mantissa.substr(0, dot);
  std::string_view frac = mantissa.substr(dot + 1);
  if (whole.empty()) return IsDigits(frac, IsDec);
  return IsDigits(whole, IsDecOrUnderscore) && IsDec(whole[0]) &&
         (frac.empty() || IsDigits(frac, IsDecOrUnderscore));
}

// YAML 1.1 sexagesimal integers and floats: 190:20:30, 1:30.5
bool IsSexagesimal(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 ||
      !IsDigits(s.substr(0, colon), IsDecOrUnderscore))
    return false;
  std::string_view rest = s.substr(colon + 1);
  while (true) {
    std::size_t next = rest.find(':');
    std::string_view part = rest.substr(0, next);
    if (next == std::string_view::npos) {
      std::size_t dot = part.find('.');
      std::string_view digits = part.substr(0, dot);
      if (digits.empty() || digits.size() > 2 || !IsDigits(digits, IsDec)) return false;
      return dot == std::string_view::npos || IsDigits(part.substr(dot + 1), IsDecOrUnderscore) ||
             part.size() == dot + 1;
    }
    if (part.empty() || part.size() > 2 || !IsDigits(part, IsDec)) return false;
    rest = rest.substr(next + 1);
  }
}

bool IsTypedWord(std::string_view s) {
  static constexpr std::array<std::string_view, 31> kWords = {
      "~",  "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "y",
      "Y",  "yes",  "Yes",  "YES",  "n",    "N",    "no",   "No",    "NO",    "on",    "On",
      "ON", "off",  "Off",  "OFF",  ".inf", ".Inf", ".INF", ".nan",  ".NaN"};
  if (s == ".NAN") return true;
  if (!s.empty() && (s[0] == '-' || s[0] == '+') &&
      (s.substr(1) == ".inf" || s.substr(1) == ".Inf" || s.substr(1) == ".INF"))
    return true;
  return std::find(kWords.begin(), kWords.end(), s) != kWords.end();
}

// The size of a UTF-8 BOM at the start of `text` (0 or 3); an error for text
// that is not UTF-8.
Result<std::size_t> CheckEncoding(std::string_view text, ParseFailure* failure) {
  if (text.starts_with("\xFE\xFF") || text.starts_with("\xFF\xFE") ||
      text.starts_with(std::string_view("\0\0\xFE\xFF", 4))) {
    return SyntaxError(failure, 1, 1, "UTF-16/UTF-32 text; only UTF-8 is supported");
  }
  if (std::size_t bad = FindInvalidUtf8(text); bad != std::string_view::npos) {
    std::size_t line_start = text.rfind('\n', bad == 0 ? 0 : bad - 1);
    line_start = line_start == std::string_view::npos || bad == 0 ? 0 : line_start + 1;
    int line = static_cast<int>(std::count(text.begin(), text.begin() + bad, '\n')) + 1;
    return SyntaxError(failure, line, static_cast<int>(bad - line_start) + 1,
                       text[bad] == '\0' ? "NUL byte: binary file, not YAML" : "not valid UTF-8");
  }
  return text.starts_with(kUtf8Bom) ? kUtf8Bom.size() : 0;
}

std::unexpected<Error> LimitError(ParseFailure* failure, const OverLimit& over) {
  ParseFailure local;
  if (failure == nullptr) failure = &local;
  std::unexpected<Error> error =
      SyntaxError(failure, std::max(over.line, 0) + 1, std::max(over.column, 0) + 1,
                  fmt::format("{} (tagflow's limit for a manifest)", over.what));
  failure->limit = true;
  return error;
}

Result<std::size_t> ParseWithYamlCpp(std::string_view text, std::size_t bom,
                                     const DocumentSink& sink, ParseFailure* failure) {
  std::ispanstream in(std::span<const char>(text.data(), text.size()));
  TreeBuilder builder(bom);
  std::optional<std::size_t> previous;  // where the last document started
  std::size_t index = 0;
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
      YamlDocument doc = builder.TakeDocument();
      // yaml-cpp 0.7 can start empty documents forever at the same token
      // (a stray ',' at the top level): stop when a document makes no progress.
      if (previous && doc.offset == *previous) {
        std::size_t line_start = text.rfind('\n', doc.offset == 0 ? 0 : doc.offset - 1);
        line_start = line_start == std::string_view::npos || doc.offset == 0 ? bom : line_start + 1;
        return SyntaxError(failure, doc.line + 1, static_cast<int>(doc.offset - line_start) + 1,
                           fmt::format("unexpected '{}'", text.substr(doc.offset, 1)));
      }
      previous = doc.offset;
      LinkAliases(doc.root);
      sink(std::move(doc), index++);
    }
  } catch (const OverLimit& over) {
    return LimitError(failure, over);
  } catch (const YAML::Exception& e) {
    return SyntaxError(failure, std::max(e.mark.line, 0) + 1, std::max(e.mark.column, 0) + 1,
                       e.msg);
  } catch (const std::exception& e) {
    return SyntaxError(failure, 1, 1, fmt::format("YAML parser failed: {}", e.what()));
  }
  return bom;
}

// Collects a whole stream.
Result<YamlStream> Collect(std::string_view text, ParseFailure* failure, bool fast) {
  YamlStream stream;
  DocumentSink sink = [&](YamlDocument&& doc, std::size_t index) {
    if (index == 0) stream.documents.clear();
    stream.documents.push_back(std::move(doc));
  };
  Result<std::size_t> bom = CheckEncoding(text, failure);
  if (!bom) return Fail(bom.error());
  stream.bom = *bom;
  if (fast && internal::ParseYamlFastEach(text, *bom, sink)) return stream;
  Result<std::size_t> parsed = ParseWithYamlCpp(text, *bom, sink, failure);
  if (!parsed) return Fail(parsed.error());
  return stream;
}

}  // namespace

const YamlNode* YamlNode::KeyNode(std::string_view key) const {
  const YamlNode& self = Resolved();
  if (!self.IsMap()) return nullptr;
  for (std::size_t i = 0; i + 1 < self.children.size(); i += 2) {
    const YamlNode& k = self.children[i].Resolved();
    if (k.IsScalar() && k.value == key) return &self.children[i];
  }
  return nullptr;
}

const YamlNode* YamlNode::Get(std::string_view key) const {
  const YamlNode* k = KeyNode(key);
  if (k == nullptr) return nullptr;
  // The value follows its key in `children`.
  return &(k + 1)->Resolved();
}

const std::string* YamlNode::GetString(std::string_view key) const {
  const YamlNode* v = Get(key);
  return v != nullptr && v->IsScalar() ? &v->value : nullptr;
}

Result<YamlStream> ParseYaml(std::string_view text, ParseFailure* failure) {
  return Collect(text, failure, true);
}

Result<YamlStream> ParseYamlWithYamlCpp(std::string_view text, ParseFailure* failure) {
  return Collect(text, failure, false);
}

Result<std::size_t> ParseYamlEach(std::string_view text, const DocumentSink& sink,
                                  ParseFailure* failure) {
  Result<std::size_t> bom = CheckEncoding(text, failure);
  if (!bom) return Fail(bom.error());
  if (internal::ParseYamlFastEach(text, *bom, sink)) return *bom;
  return ParseWithYamlCpp(text, *bom, sink, failure);
}

bool SameTree(const YamlNode& a, const YamlNode& b) {
  if (a.kind != b.kind || a.tag != b.tag || a.flow != b.flow || a.anchored != b.anchored)
    return false;
  if (a.kind == YamlNode::Kind::kScalar) return a.value == b.value;
  if (a.kind == YamlNode::Kind::kAlias) return a.anchor_id == b.anchor_id;
  if (a.children.size() != b.children.size()) return false;
  for (std::size_t i = 0; i < a.children.size(); ++i) {
    if (!SameTree(a.children[i], b.children[i])) return false;
  }
  return true;
}

namespace {

void AppendNumber(std::size_t n, std::string& out) {
  do {
    out += static_cast<char>((n & 0x7F) | (n > 0x7F ? 0x80 : 0));
    n >>= 7;
  } while (n != 0);
}

void AppendText(std::string_view text, std::string& out) {
  AppendNumber(text.size(), out);
  out += text;
}

}  // namespace

// Recursive like SameTree: trees nest at most kMaxNesting + 1 nodes deep.
// Kind and flags, tag, then the value (scalar), the anchor id (alias) or
// the number of children and each child: length-prefixed, so unambiguous.
void EncodeTree(const YamlNode& node, const NodeReplacements& replaced, std::string& out) {
  if (!replaced.empty()) {
    auto it = replaced.find(&node);
    if (it != replaced.end()) return EncodeTree(it->second, {}, out);
  }
  out += static_cast<char>(static_cast<int>(node.kind) * 4 + (node.flow ? 2 : 0) +
                           (node.anchored ? 1 : 0));
  AppendText(node.tag, out);
  switch (node.kind) {
    case YamlNode::Kind::kScalar:
      AppendText(node.value, out);
      return;
    case YamlNode::Kind::kAlias:
      AppendNumber(node.anchor_id, out);
      return;
    default:
      AppendNumber(node.children.size(), out);
      for (const YamlNode& child : node.children) EncodeTree(child, replaced, out);
  }
}

bool PlainScalarIsNonString(std::string_view s) {
  if (s.empty() || IsTypedWord(s)) return true;
  std::string_view unsigned_part = s;
  if (s[0] == '-' || s[0] == '+') unsigned_part.remove_prefix(1);
  if (IsDigits(unsigned_part, IsDecOrUnderscore) && IsDec(unsigned_part[0])) return true;
  if (unsigned_part.starts_with("0x")) return IsDigits(unsigned_part.substr(2), IsHex);
  if (unsigned_part.starts_with("0o")) return IsDigits(unsigned_part.substr(2), IsOct);
  if (unsigned_part.starts_with("0b")) return IsDigits(unsigned_part.substr(2), IsBin);
  return IsFloat(s) || IsSexagesimal(s);
}

}  // namespace tagflow::manifest
