#include "notify/slack_api.h"

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <sstream>

#include "base/json.h"
#include "base/strings.h"
#include "notify/payload.h"

namespace tagflow::notify {

std::string_view SlackMethod(SlackRole role) {
  return role == SlackRole::kClose ? "chat.update" : "chat.postMessage";
}

std::optional<PostRequest> SlackThreads::Request(const SlackCall& call, std::string_view api_url,
                                                 std::string_view token) const {
  nlohmann::json body = call.body;
  auto thread = threads_.find(call.channel);
  switch (call.role) {
    case SlackRole::kPlain:
      break;
    case SlackRole::kIncident:
    case SlackRole::kResolve:
      if (thread != threads_.end()) body["thread_ts"] = thread->second.ts;
      break;
    case SlackRole::kClose:
      if (thread == threads_.end()) return std::nullopt;
      body["channel"] = thread->second.channel_id;
      body["ts"] = thread->second.ts;
      break;
  }
  PostRequest request;
  while (!api_url.empty() && api_url.back() == '/') api_url.remove_suffix(1);
  request.url = fmt::format("{}/{}", api_url, SlackMethod(call.role));
  request.body = DumpJson(body);
  request.headers = {{"Authorization", fmt::format("Bearer {}", token)},
                     {"Content-Type", "application/json; charset=utf-8"}};
  return request;
}

void SlackThreads::Answered(const SlackCall& call, std::string_view channel_id,
                            std::string_view ts) {
  if (call.role != SlackRole::kIncident || ts.empty() || threads_.contains(call.channel)) return;
  threads_[call.channel] = {std::string(channel_id.empty() ? call.channel : channel_id),
                            std::string(ts)};
}

SlackAnswer ReadSlackAnswer(const PostResponse& response) {
  SlackAnswer answer;
  std::optional<nlohmann::json> json = ParseJson(response.body);
  bool http_ok = response.status >= 200 && response.status < 300;
  if (!json || !json->is_object()) {
    answer.error = http_ok ? "invalid_answer" : fmt::format("http_{}", response.status);
    return answer;
  }
  const nlohmann::json& ok = JsonMember(*json, "ok");
  answer.ok = http_ok && ok.is_boolean() && ok.get<bool>();
  answer.error = JsonString(*json, "error");
  if (answer.ok) {
    answer.channel = JsonString(*json, "channel");
    answer.ts = JsonString(*json, "ts");
  } else if (answer.error.empty()) {
    answer.error = http_ok ? "invalid_answer" : fmt::format("http_{}", response.status);
  }
  return answer;
}

bool IsRetryableSlackError(std::string_view code) {
  static constexpr std::array<std::string_view, 5> kRetryable = {
      "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"};
  for (std::string_view r : kRetryable) {
    if (code == r) return true;
  }
  return false;
}

Result<void> CheckSlackToken(std::string_view token) {
  if (token.empty()) return Fail(ErrorKind::kInvalidInput, "--slack-token: the token is empty");
  for (char c : token) {
    if (c <= ' ' || c > '~') {
      return Fail(ErrorKind::kInvalidInput,
                  "--slack-token: the token holds spaces or control characters");
    }
  }
  return {};
}

Result<std::string> SlackTokenFromFlag(const std::string& flag_value, const char* env_value) {
  if (flag_value.empty()) return std::string();
  if (env_value != nullptr && flag_value == env_value) return std::string(Trim(flag_value));
  std::ifstream in(flag_value, std::ios::binary);
  if (!in) {
    // The value is not quoted: a token given here by mistake must not leak.
    return Fail(ErrorKind::kInvalidInput,
                "--slack-token: cannot read the token file (the flag takes a file path; "
                "TAGFLOW_SLACK_TOKEN takes the token itself)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return std::string(Trim(text.str()));
}

}  // namespace tagflow::notify
