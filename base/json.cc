#include "base/json.h"

namespace tagflow {

std::optional<nlohmann::json> ParseJson(std::string_view text) {
  bool too_deep = false;
  nlohmann::json::parser_callback_t limit = [&too_deep](int depth, nlohmann::json::parse_event_t,
                                                        nlohmann::json&) {
    if (depth > kMaxJsonDepth) too_deep = true;
    return !too_deep;
  };
  nlohmann::json doc = nlohmann::json::parse(text, limit, /*allow_exceptions=*/false);
  if (too_deep || doc.is_discarded()) return std::nullopt;
  return doc;
}

nlohmann::json ParseJsonOrDiscarded(std::string_view text) {
  std::optional<nlohmann::json> doc = ParseJson(text);
  return doc ? std::move(*doc) : nlohmann::json(nlohmann::json::value_t::discarded);
}

const nlohmann::json& JsonMember(const nlohmann::json& j, std::string_view key) {
  static const nlohmann::json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string JsonString(const nlohmann::json& j, std::string_view key, std::string_view fallback) {
  const nlohmann::json& v = JsonMember(j, key);
  return v.is_string() ? v.get<std::string>() : std::string(fallback);
}

}  // namespace tagflow
