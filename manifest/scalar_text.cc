#include "manifest/scalar_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace tagflow::manifest {
namespace {

std::unexpected<Error> NotEditable(const YamlNode& node, std::string_view why) {
  return Fail(ErrorKind::kInvalidInput,
              fmt::format("line {}, column {}: {}; it cannot be edited in place", node.line + 1,
                          node.column + 1, why));
}

void AppendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::optional<std::uint32_t> ParseHex(std::string_view digits) {
  std::uint32_t cp = 0;
  for (char c : digits) {
    cp <<= 4;
    if (c >= '0' && c <= '9') {
      cp |= static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      cp |= static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      cp |= static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
  }
  return cp;
}

// Decodes a one-line double-quoted scalar starting at text[start] == '"'.
// Returns the decoded value and sets `end` past the closing quote.
std::optional<std::string> DecodeDouble(std::string_view text, std::size_t start,
                                        std::size_t& end) {
  std::string out;
  for (std::size_t i = start + 1; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      end = i + 1;
      return out;
    }
    if (c == '\n' || c == '\r') return std::nullopt;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= text.size()) return std::nullopt;
    std::size_t hex_digits = 0;
    switch (text[i]) {
      case '0':
        out += '\0';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 't':
      case '\t':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'v':
        out += '\v';
        break;
      case 'f':
        out += '\f';
        break;
      case 'r':
        out += '\r';
        break;
      case 'e':
        out += '\x1B';
        break;
      case ' ':
        out += ' ';
        break;
      case '"':
        out += '"';
        break;
      case '/':
        out += '/';
        break;
      case '\\':
        out += '\\';
        break;
      case 'N':
        AppendUtf8(out, 0x85);
        break;
      case '_':
        AppendUtf8(out, 0xA0);
        break;
      case 'L':
        AppendUtf8(out, 0x2028);
        break;
      case 'P':
        AppendUtf8(out, 0x2029);
        break;
      case 'x':
        hex_digits = 2;
        break;
      case 'u':
        hex_digits = 4;
        break;
      case 'U':
        hex_digits = 8;
        break;
      default:
        return std::nullopt;
    }
    if (hex_digits > 0) {
      if (i + hex_digits >= text.size()) return std::nullopt;
      std::optional<std::uint32_t> cp = ParseHex(text.substr(i + 1, hex_digits));
      if (!cp) return std::nullopt;
      AppendUtf8(out, *cp);
      i += hex_digits;
    }
  }
  return std::nullopt;
}

// Decodes a one-line single-quoted scalar starting at text[start] == '\''.
std::optional<std::string> DecodeSingle(std::string_view text, std::size_t start,
                                        std::size_t& end) {
  std::string out;
  for (std::size_t i = start + 1; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n' || c == '\r') return std::nullopt;
    if (c != '\'') {
      out += c;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '\'') {
      out += '\'';
      ++i;
      continue;
    }
    end = i + 1;
    return out;
  }
  return std::nullopt;
}

bool EndsPlainToken(std::string_view text, std::size_t at) {
  if (at >= text.size()) return true;
  switch (text[at]) {
    case ' ':
    case '\t':
    case '\r':
    case '\n':
    case ',':
    case ']':
    case '}':
    case ':':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<std::string> DecodeQuotedLine(std::string_view text, std::size_t start,
                                            std::size_t& end) {
  if (start >= text.size()) return std::nullopt;
  if (text[start] == '"') return DecodeDouble(text, start, end);
  if (text[start] == '\'') return DecodeSingle(text, start, end);
  return std::nullopt;
}

std::string_view QuoteStyleName(QuoteStyle style) {
  switch (style) {
    case QuoteStyle::kPlain:
      return "plain";
    case QuoteStyle::kSingle:
      return "single-quoted";
    case QuoteStyle::kDouble:
      return "double-quoted";
  }
  return "plain";
}

Result<ScalarSpan> LocateScalar(std::string_view text, const YamlNode& node) {
  if (node.kind == YamlNode::Kind::kAlias)
    return NotEditable(node, "the value is an alias (*name)");
  if (!node.IsScalar()) return NotEditable(node, "the value is not a scalar");
  if (node.anchored) return NotEditable(node, "the value carries an anchor (&name)");
  if (node.tag != "?" && node.tag != "!")
    return NotEditable(node, fmt::format("the value has an explicit tag ({})", node.tag));
  if (node.offset >= text.size())
    return NotEditable(node, "the value is not where the parser put it");
  ScalarSpan span{node.offset, 0, QuoteStyle::kPlain};
  char first = text[node.offset];
  std::optional<std::string> decoded;
  std::size_t end = 0;
  if (first == '"') {
    span.style = QuoteStyle::kDouble;
    decoded = DecodeDouble(text, node.offset, end);
  } else if (first == '\'') {
    span.style = QuoteStyle::kSingle;
    decoded = DecodeSingle(text, node.offset, end);
  } else if (first == '|' || first == '>') {
    return NotEditable(node, "the value is a block scalar (| or >)");
  } else if (node.tag == "?") {
    end = node.offset + node.value.size();
    if (text.compare(node.offset, node.value.size(), node.value) == 0 && EndsPlainToken(text, end))
      decoded = node.value;
  }
  if (!decoded)
    return NotEditable(node, "the value spans several lines or is written in an unusual way");
  if (*decoded != node.value)
    return NotEditable(node, "the bytes at this position do not spell the parsed value");
  span.length = end - node.offset;
  return span;
}

std::string DoubleQuote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (u < 0x20 || u == 0x7F) {
          out += fmt::format("\\x{:02X}", u);
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

bool IsPlainSafe(std::string_view v) {
  if (v.empty() || v.front() == ' ' || v.back() == ' ' || v.back() == ':') return false;
  constexpr std::string_view kIndicators = "-?:,[]{}#&*!|>'\"%@`";
  if (kIndicators.find(v.front()) != std::string_view::npos) return false;
  if (v.find(": ") != std::string_view::npos || v.find(" #") != std::string_view::npos)
    return false;
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || c == ',' || c == '[' || c == ']' || c == '{' || c == '}')
      return false;
  }
  return true;
}

std::string RenderScalar(std::string_view value, QuoteStyle style, std::string_view old_value) {
  switch (style) {
    case QuoteStyle::kPlain:
      if (IsPlainSafe(value) && PlainScalarIsNonString(value) == PlainScalarIsNonString(old_value))
        return std::string(value);
      return DoubleQuote(value);
    case QuoteStyle::kSingle: {
      std::string out = "'";
      for (char c : value) {
        if (static_cast<unsigned char>(c) < 0x20) return DoubleQuote(value);
        out += c;
        if (c == '\'') out += '\'';
      }
      return out + "'";
    }
    case QuoteStyle::kDouble:
      return DoubleQuote(value);
  }
  return DoubleQuote(value);
}

Result<std::string> RenderScalarInStyle(std::string_view value, QuoteStyle style,
                                        std::string_view old_value) {
  std::string rendered = RenderScalar(value, style, old_value);
  // Plain: the value must be writable plain; quotes that only keep it a
  // string (a tag "1.10" that would read as a number) are fine.
  bool kept = style == QuoteStyle::kDouble || (style == QuoteStyle::kPlain && IsPlainSafe(value)) ||
              (style == QuoteStyle::kSingle && rendered.front() == '\'');
  if (!kept) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("the new value {} cannot be written as a {} scalar", DoubleQuote(value),
                            QuoteStyleName(style)));
  }
  bool control = std::any_of(value.begin(), value.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
  if (control) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("the new value {} holds control characters", DoubleQuote(value)));
  }
  return rendered;
}

std::size_t FlowCollectionEnd(std::string_view text, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < text.size(); ++i) {
    char c = text[i];
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    } else if (c == '"' || c == '\'') {
      // Quoted scalars may span lines inside a flow collection.
      for (++i; i < text.size(); ++i) {
        if (c == '"' && text[i] == '\\') {
          ++i;
        } else if (text[i] == c) {
          if (c == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
            ++i;
          } else {
            break;
          }
        }
      }
    } else if (c == '#' && i > open && (text[i - 1] == ' ' || text[i - 1] == '\t')) {
      while (i < text.size() && text[i] != '\n') ++i;
    }
  }
  return std::string_view::npos;
}

Result<std::size_t> NodeEnd(std::string_view text, const YamlNode& node) {
  if (node.IsScalar()) {
    Result<ScalarSpan> span = LocateScalar(text, node);
    if (!span) return Fail(span.error());
    return span->end();
  }
  if ((node.IsMap() || node.IsSequence()) && node.flow && !node.anchored && node.tag == "?") {
    std::size_t end = FlowCollectionEnd(text, node.offset);
    if (end != std::string_view::npos) return end;
  }
  return NotEditable(node, "cannot find where this value ends");
}

}  // namespace tagflow::manifest
