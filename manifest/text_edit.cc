#include "manifest/text_edit.h"

#include <fmt/format.h>

#include <algorithm>

namespace tagflow::manifest::internal {

Result<std::string> ApplySplices(std::string_view text, std::vector<Splice> splices) {
  std::stable_sort(splices.begin(), splices.end(), [](const Splice& a, const Splice& b) {
    return a.offset != b.offset ? a.offset < b.offset : a.length < b.length;
  });
  std::string out;
  out.reserve(text.size() + 256);
  std::size_t at = 0;
  for (const Splice& s : splices) {
    if (s.offset < at || s.offset + s.length > text.size()) {
      return Fail(ErrorKind::kInternal, fmt::format("overlapping edits at byte {}", s.offset));
    }
    out.append(text.substr(at, s.offset - at));
    out.append(s.text);
    at = s.offset + s.length;
  }
  out.append(text.substr(at));
  return out;
}

std::size_t LineStart(std::string_view text, std::size_t pos, std::size_t bom) {
  if (pos == 0) return std::min(bom, text.size());
  std::size_t nl = text.rfind('\n', pos - 1);
  return nl == std::string_view::npos ? std::min(bom, pos) : nl + 1;
}

std::size_t NextLine(std::string_view text, std::size_t pos) {
  std::size_t nl = text.find('\n', pos);
  return nl == std::string_view::npos ? text.size() : nl + 1;
}

std::string_view LineBreak(std::string_view text) {
  std::size_t nl = text.find('\n');
  return nl != std::string_view::npos && nl > 0 && text[nl - 1] == '\r' ? "\r\n" : "\n";
}

bool OnlySpaces(std::string_view text, std::size_t from, std::size_t to) {
  return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(from),
                     text.begin() + static_cast<std::ptrdiff_t>(to),
                     [](char c) { return c == ' '; });
}

bool RestOfLineIsBlank(std::string_view text, std::size_t pos) {
  for (std::size_t i = pos; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n' || c == '#') return true;
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

Result<std::size_t> BlockKeyColumn(std::string_view text, const YamlNode& key, std::size_t bom) {
  std::size_t start = LineStart(text, key.offset, bom);
  if (!OnlySpaces(text, start, key.offset)) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("line {}, column {}: key \"{}\" does not start its line; it cannot be "
                            "edited in place",
                            key.line + 1, key.column + 1, key.value));
  }
  return key.offset - start;
}

std::size_t BlockEntryEnd(std::string_view text, const YamlNode& key, std::size_t column,
                          const YamlNode& value, std::size_t bom) {
  bool dash_items = value.IsSequence() && !value.flow &&
                    value.offset - LineStart(text, value.offset, bom) == column;
  std::size_t pos = NextLine(text, key.offset);
  std::size_t end = pos;
  while (pos < text.size()) {
    std::size_t next = NextLine(text, pos);
    std::size_t indent = 0;
    while (pos + indent < next && text[pos + indent] == ' ') ++indent;
    std::size_t first = pos + indent;
    std::size_t content = text.find_first_not_of(" \t\r", first);
    bool blank = content == std::string_view::npos || content >= next || text[content] == '\n';
    if (!blank) {
      bool item = dash_items && indent == column && text[first] == '-' &&
                  (first + 1 >= text.size() || text[first + 1] == ' ' || text[first + 1] == '\n' ||
                   text[first + 1] == '\r');
      if (indent <= column && !item) break;
      end = next;
    }
    pos = next;
  }
  return end;
}

}  // namespace tagflow::manifest::internal
