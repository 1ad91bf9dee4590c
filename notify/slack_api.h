// Slack's Web API, as far as the notifier uses it (--slack-token): one
// incident, one thread.
//
// Requests, as Slack documents them (api.slack.com/methods/chat.postMessage,
// api.slack.com/methods/chat.update): POST <api-url>/chat.postMessage or
// <api-url>/chat.update with `Authorization: Bearer <token>` and
// `Content-Type: application/json; charset=utf-8`; bodies
//   chat.postMessage {"channel","text","attachments"[,"thread_ts"]
//                     [,"username","icon_url"]}
//   chat.update      {"channel","ts","text","attachments"}
// Answers are HTTP 200 with {"ok":true,"channel":"C123","ts":"1503435956.000247"}
// or {"ok":false,"error":"channel_not_found"}; rate limiting is HTTP 429
// with Retry-After (and "error":"ratelimited").
//
// How roles (notify/channels.h) become calls, decided at each attempt from
// the incidents whose first message went out (SlackThreads):
//   kPlain     chat.postMessage to the channel.
//   kIncident  chat.postMessage; a reply (thread_ts) when the channel has an
//              open incident thread, else top level, opening the thread with
//              the answer's ts.
//   kResolve   chat.postMessage, a reply in the thread when there is one.
//   kClose     chat.update of the thread's first message to the resolved
//              message, then the thread is closed; no call when there is no
//              thread (its first message never went out).
//
// The token is a secret: it goes only into the Authorization header, never
// into a body, an error or a log line.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "notify/channels.h"
#include "notify/sender.h"

namespace tagflow::notify {

inline constexpr std::string_view kDefaultSlackApiUrl = "https://slack.com/api";

// One message for the Web API, before its thread is known.
struct SlackCall {
  SlackRole role = SlackRole::kPlain;
  std::string channel;  // as routed: "#team-a" or "C123"
  nlohmann::json body;  // {"channel","text","attachments",...}
};

// What the notifier knows of Slack's answers: the open incident thread of
// each channel. Not thread-safe.
class SlackThreads {
 public:
  // The request for one attempt of `call`; nullopt when there is nothing to
  // send (kClose without a thread).
  std::optional<PostRequest> Request(const SlackCall& call, std::string_view api_url,
                                     std::string_view token) const;
  // Books an answer of Slack to `call`: `ts` (and Slack's channel id) open
  // the thread of a kIncident that went top level.
  void Answered(const SlackCall& call, std::string_view channel_id, std::string_view ts);
  // Books the end of a kClose (done or given up): the thread is closed.
  void Closed(const SlackCall& call) { threads_.erase(call.channel); }

  bool HasThread(const std::string& channel) const { return threads_.contains(channel); }

 private:
  struct Thread {
    std::string channel_id;  // from the answer: chat.update wants the id
    std::string ts;          // of the incident's first message
  };
  std::map<std::string, Thread> threads_;  // by routed channel
};

// Slack's answer to one call.
struct SlackAnswer {
  bool ok = false;
  std::string error;    // Slack's code ("invalid_auth"), or what was wrong with the answer
  std::string channel;  // ok: the channel id
  std::string ts;       // ok: the message's ts
};

// Reads an HTTP response of the Web API (base/json.h: never throws). A
// non-2xx status is not ok, with Slack's code when the body has one, else
// "http_<status>".
SlackAnswer ReadSlackAnswer(const PostResponse& response);

// Slack error codes worth another attempt: "ratelimited", "internal_error",
// "fatal_error", "service_unavailable", "request_timeout".
bool IsRetryableSlackError(std::string_view code);

// "chat.postMessage" or "chat.update" for `role`.
std::string_view SlackMethod(SlackRole role);

// A token usable in an Authorization header: non-empty, printable ASCII
// without spaces. Errors (kInvalidInput) never quote the token.
[[nodiscard]] Result<void> CheckSlackToken(std::string_view token);

// The token for --slack-token: `flag_value` is a file path (the file holds
// the token; surrounding whitespace trimmed), unless it equals `env_value`
// (TAGFLOW_SLACK_TOKEN, which holds the token itself and reaches the flag
// through the TAGFLOW_<FLAG> binding). "" when neither is set. Errors
// (kInvalidInput) name the flag, never its value (it may be a token given by
// mistake).
[[nodiscard]] Result<std::string> SlackTokenFromFlag(const std::string& flag_value,
                                                     const char* env_value);

}  // namespace tagflow::notify
