// What goes over the wire: message texts, the Slack incoming-webhook JSON and
// the generic webhook JSON with its HMAC signature.
#pragma once

#include <string>
#include <string_view>

#include "base/encoding.h"
#include "base/error.h"
#include "notify/event.h"
#include "notify/sender.h"
#include "notify/template.h"

namespace tagflow::notify {

inline constexpr std::string_view kSignatureHeader = "X-Tagflow-Signature";

// The texts of the three event kinds: the user's templates for success and
// failure (built-in ones when empty), the built-in one for resolved.
class Messages {
 public:
  // Parses both templates; errors are kInvalidInput naming the flag
  // (--slack-template-success / --slack-template-failure).
  [[nodiscard]] static Result<Messages> Create(std::string_view success_template,
                                               std::string_view failure_template);

  // The event's text; `for_slack` escapes values for Slack mrkdwn.
  std::string Text(const Event& event, bool for_slack) const;

 private:
  Messages(Template success, Template failure, Template resolved)
      : success_(std::move(success)),
        failure_(std::move(failure)),
        resolved_(std::move(resolved)) {}
  Template success_, failure_, resolved_;
};

// Where and how Slack messages are posted (--slack-* flags).
struct SlackTarget {
  std::string url;
  std::string channel;   // "" = the webhook's default channel
  std::string username;  // "" = the webhook's default name
  std::string icon_url;  // "" = the webhook's default icon
};

// `{"text": ..., "channel": ..., "username": ..., "icon_url": ...}`, the last
// three only when set.
std::string SlackPayload(std::string_view text, const SlackTarget& target);

// POST requests with JSON content type: the Slack message, and the generic
// webhook (EventToJson; signed with `X-Tagflow-Signature: sha256=<hex>` when
// `secret` is not empty).
PostRequest SlackRequest(const Event& event, const Messages& messages, const SlackTarget& target);
PostRequest WebhookRequest(const Event& event, const Messages& messages, const std::string& url,
                           std::string_view secret);

}  // namespace tagflow::notify
