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

// Builds YamlNodes from yaml-cpp events. Offsets from yaml-cpp do not count a
// BOM, so `bom` is added back.
class TreeBuilder : public YAML::EventHandler {
 public:
  explicit TreeBuilder(std::size_t bom) : bom_(bom) {}

  std::vector<YamlDocument>& documents() { return documents_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    YamlDocument doc;
    doc.offset = Offset(mark);
    doc.line = mark.line;
    documents_.push_back(std::move(doc));
    stack_.clear();
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Complete(Make(YamlNode::Kind::kNull, mark, "", anchor));
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    YamlNode node = Make(YamlNode::Kind::kAlias, mark, "", 0);
    node.anchor_id = anchor;
    auto it = anchors_.find(anchor);
    if (it != anchors_.end()) node.target = it->second;
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
    if (node.anchored) anchors_[node.anchor_id] = std::make_shared<const YamlNode>(node);
    if (stack_.empty()) {
      if (!documents_.empty()) documents_.back().root = std::move(node);
      return;
    }
    stack_.back().children.push_back(std::move(node));
  }

  std::size_t bom_;
  std::vector<YamlDocument> documents_;
  std::vector<YamlNode> stack_;
  std::map<YAML::anchor_t, std::shared_ptr<const YamlNode>> anchors_;
};

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

Result<YamlStream> ParseWithYamlCpp(std::string_view text, std::size_t bom, ParseFailure* failure) {
  YamlStream stream;
  stream.bom = bom;
  std::ispanstream in(std::span<const char>(text.data(), text.size()));
  TreeBuilder builder(bom);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
      // yaml-cpp 0.7 can start empty documents forever at the same token
      // (a stray ',' at the top level): stop when a document makes no progress.
      const std::vector<YamlDocument>& docs = builder.documents();
      if (docs.size() >= 2 && docs.back().offset == docs[docs.size() - 2].offset) {
        const YamlDocument& stuck = docs.back();
        std::size_t line_start = text.rfind('\n', stuck.offset == 0 ? 0 : stuck.offset - 1);
        line_start =
            line_start == std::string_view::npos || stuck.offset == 0 ? bom : line_start + 1;
        return SyntaxError(failure, stuck.line + 1, static_cast<int>(stuck.offset - line_start) + 1,
                           fmt::format("unexpected '{}'", text.substr(stuck.offset, 1)));
      }
    }
  } catch (const YAML::Exception& e) {
    return SyntaxError(failure, std::max(e.mark.line, 0) + 1, std::max(e.mark.column, 0) + 1,
                       e.msg);
  } catch (const std::exception& e) {
    return SyntaxError(failure, 1, 1, fmt::format("YAML parser failed: {}", e.what()));
  }
  stream.documents = std::move(builder.documents());
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
  Result<std::size_t> bom = CheckEncoding(text, failure);
  if (!bom) return Fail(bom.error());
  if (std::optional<YamlStream> fast = internal::ParseYamlFast(text, *bom)) return std::move(*fast);
  return ParseWithYamlCpp(text, *bom, failure);
}

Result<YamlStream> ParseYamlWithYamlCpp(std::string_view text, ParseFailure* failure) {
  Result<std::size_t> bom = CheckEncoding(text, failure);
  if (!bom) return Fail(bom.error());
  return ParseWithYamlCpp(text, *bom, failure);
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
