#include "notify/payload.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "base/encoding.h"

namespace tagflow::notify {
namespace {

// Invalid UTF-8 (a file name, a server's message) is replaced, never thrown.
std::string Dump(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

PostRequest JsonPost(std::string url, std::string body) {
  PostRequest request;
  request.url = std::move(url);
  request.body = std::move(body);
  request.headers.emplace_back("Content-Type", "application/json");
  return request;
}

}  // namespace

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
  return Messages(std::move(*success), std::move(*failure), std::move(*resolved));
}

std::string Messages::Text(const Event& event, bool for_slack) const {
  switch (event.kind) {
    case EventKind::kSuccess:
      return success_.Render(event, for_slack);
    case EventKind::kFailure:
      return failure_.Render(event, for_slack);
    case EventKind::kResolved:
      return resolved_.Render(event, for_slack);
  }
  return failure_.Render(event, for_slack);
}

std::string SlackPayload(std::string_view text, const SlackTarget& target) {
  nlohmann::json json = {{"text", text}};
  if (!target.channel.empty()) json["channel"] = target.channel;
  if (!target.username.empty()) json["username"] = target.username;
  if (!target.icon_url.empty()) json["icon_url"] = target.icon_url;
  return Dump(json);
}

PostRequest SlackRequest(const Event& event, const Messages& messages, const SlackTarget& target) {
  return JsonPost(target.url, SlackPayload(messages.Text(event, /*for_slack=*/true), target));
}

PostRequest WebhookRequest(const Event& event, const Messages& messages, const std::string& url,
                           std::string_view secret) {
  PostRequest request =
      JsonPost(url, Dump(EventToJson(event, messages.Text(event, /*for_slack=*/false))));
  if (!secret.empty()) {
    request.headers.emplace_back(std::string(kSignatureHeader),
                                 "sha256=" + HmacSha256Hex(secret, request.body));
  }
  return request;
}

}  // namespace tagflow::notify
