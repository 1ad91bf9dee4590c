// Reading JSON that comes from outside — registry answers, webhook bodies,
// the daemon API read by `list-images --url`, cache files — without
// exceptions. nlohmann's checked accessors (`value`, `get`, `at`) throw on a
// wrong type, and a throw on a scanner or server thread ends the process;
// these return a neutral value instead, so hostile input is reported as bad
// input by the caller.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace tagflow {

// Deepest nesting ParseJson accepts (a registry manifest needs 4).
inline constexpr int kMaxJsonDepth = 64;

// The document in `text`; nullopt when it is not JSON (including invalid
// UTF-8 in a string) or nests deeper than kMaxJsonDepth.
std::optional<nlohmann::json> ParseJson(std::string_view text);

// ParseJson's document, or a discarded value (is_discarded() true, neither
// object nor array) when it fails: for callers that test the shape anyway.
nlohmann::json ParseJsonOrDiscarded(std::string_view text);

// The member `key` of `j`, or a null value when `j` is not an object or has
// no such member. Never throws, never inserts.
const nlohmann::json& JsonMember(const nlohmann::json& j, std::string_view key);

// The string member `key` of `j`; `fallback` when absent or not a string.
std::string JsonString(const nlohmann::json& j, std::string_view key,
                       std::string_view fallback = "");

}  // namespace tagflow
