// Byte-string helpers every module needs, once. ASCII only on purpose: the
// inputs are protocol tokens (header names, schemes, hosts, tags), and
// locale-dependent case mapping would make them compare differently on
// different machines.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tagflow {

// '0'..'9' (unlike std::isdigit, no locale and no UB on negative chars).
constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// ASCII lower case of `s`; other bytes unchanged.
std::string Lower(std::string_view s);

// Case-insensitive ASCII equality.
bool IEquals(std::string_view a, std::string_view b);

// `s` without leading and trailing spaces, tabs, CR and LF.
std::string_view Trim(std::string_view s);

// `s` with control characters as escapes (`\n`, `\r`, `\t`, `\xNN`) and
// everything else (UTF-8 too) as it is: text from outside, made safe for one
// log line.
std::string EscapeControl(std::string_view s);

// Splits on every `sep`; empty fields are kept ("a,,b" -> "a", "", "b").
std::vector<std::string_view> Split(std::string_view s, char sep);

}  // namespace tagflow
