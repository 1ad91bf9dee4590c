#include "notify/payload.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/encoding.h"

namespace tagflow::notify {

std::string DumpJson(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Messages> Messages::Create(std::string_view success_template,
                                  std::string_view failure_template) {
  auto success =
      Template::Parse(success_template.empty() ? kDefaultSuccessTemplate : success_template,
                      "--slack-template-success");
  if (!success) return Fail(success.error());
  auto failure =
      Template::Parse(failure_template.empty() ? kDefaultFailureTemplate : failure_template,
                      "--slack-template-failure");
  if (!failure) return Fail(failure.error());
  auto resolved = Template::Parse(kDefaultResolvedTemplate, "resolved message");
  if (!resolved) return Fail(ErrorKind::kInternal, resolved.error().message);
  auto skipped = Template::Parse(kDefaultSkippedTemplate, "skipped message");
  if (!skipped) return Fail(ErrorKind::kInternal, skipped.error().message);
  return Messages(std::move(*success), std::move(*failure), std::move(*resolved),
                  std::move(*skipped), !success_template.empty(), !failure_template.empty());
}

namespace {

// At most kDefaultMaxLines lines after the first (the title), then "and N
// more"; at most kMaxTextChars bytes.
std::string CapText(std::string text) {
  size_t lines = 0, pos = 0;
  while (pos < text.size() && lines <= kDefaultMaxLines) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) return Clip(std::move(text), kMaxTextChars);
    pos = nl + 1;
    ++lines;
  }
  if (pos < text.size()) {
    size_t more = static_cast<size_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(pos),
                                                 text.end(), '\n')) +
                  (text.back() == '\n' ? 0 : 1);
    text.resize(pos);
    text += fmt::format("and {} more", more);
  }
  return Clip(std::move(text), kMaxTextChars);
}

}  // namespace

std::string Messages::Text(const Event& event, bool for_slack) const {
  if (event.kind == EventKind::kNotice) {
    std::string text = "Notice on " + event.branch + ":";
    for (const EventError& e : event.errors) text += "\n" + e.message;
    return CapText(std::move(text));
  }
  const Template* t = &failure_;
  if (event.kind == EventKind::kSuccess) t = &success_;
  if (event.kind == EventKind::kResolved) t = &resolved_;
  if (event.kind == EventKind::kSkipped) t = &skipped_;
  return CapText(t->Render(event, for_slack));
}

bool Messages::Custom(EventKind kind) const {
  return (kind == EventKind::kSuccess && custom_success_) ||
         (kind == EventKind::kFailure && custom_failure_);
}

std::string_view DestinationName(DestinationKind kind) {
  switch (kind) {
    case DestinationKind::kSlack:
      return "slack";
    case DestinationKind::kWebhook:
      return "webhook";
    case DestinationKind::kTeams:
      return "teams";
    case DestinationKind::kDiscord:
      return "discord";
    case DestinationKind::kGoogleChat:
      return "googlechat";
    case DestinationKind::kSlackApi:
      return "slack-api";
  }
  return "webhook";
}

PostRequest DeliveryRequest(const Destination& destination, const Event& event,
                            const Messages& messages) {
  PostRequest request;
  request.url = destination.url;
  request.headers.emplace_back("Content-Type", "application/json");
  switch (destination.kind) {
    case DestinationKind::kSlack:
    case DestinationKind::kSlackApi:
      request.body = SlackPayload(event, messages, destination);
      break;
    case DestinationKind::kTeams:
      request.body = TeamsPayload(event, messages);
      break;
    case DestinationKind::kDiscord:
      request.body = DiscordPayload(event, messages);
      break;
    case DestinationKind::kGoogleChat:
      request.body = GoogleChatPayload(event, messages);
      break;
    case DestinationKind::kWebhook:
      request.body = DumpJson(EventToJson(event, messages.Text(event, /*for_slack=*/false)));
      if (!destination.secret.empty()) {
        request.headers.emplace_back(std::string(kSignatureHeader),
                                     "sha256=" + HmacSha256Hex(destination.secret, request.body));
      }
      break;
  }
  return request;
}

}  // namespace tagflow::notify
