// What goes over the wire: message texts, the JSON of each destination and
// the generic webhook's HMAC signature.
//
// Destinations (the first four render notify/message.h's model; with a user
// template for the event's kind they show the rendered template instead of
// the built-in sections, inside the same coloured frame):
//
//   slack       incoming webhook (also Mattermost and Rocket.Chat, which
//               accept Slack's payload): top-level `text` (the rendered
//               template: the fallback notifications and text-only clients
//               show) and one attachment with the colour bar and Block Kit
//               blocks (title + commit link, one section per group, context).
//   slack-api   the same message through Slack's Web API, in threads
//               (notify/slack_api.h).
//   teams       Microsoft Teams Workflows webhook ("post to a channel when a
//               webhook request is received"): a message with one Adaptive
//               Card 1.4 attachment; colour as the title container's style.
//   discord     Discord webhook: one embed with colour, title (linked to the
//               commit), one field per section, footer, timestamp; mentions
//               disabled.
//   googlechat  Google Chat incoming webhook: a cardsV2 card with header,
//               a coloured status line and one section per group.
//   webhook     the generic JSON of EventToJson, signed with
//               `X-Tagflow-Signature: sha256=<hex>` when a secret is set.
#pragma once

#include <string>
#include <string_view>

#include "base/encoding.h"
#include "base/error.h"
#include "notify/event.h"
#include "notify/message.h"
#include "notify/sender.h"
#include "notify/template.h"

namespace tagflow::notify {

inline constexpr std::string_view kSignatureHeader = "X-Tagflow-Signature";
inline constexpr size_t kMaxTextChars = 3000;

// The texts of the three event kinds: the user's templates for success and
// failure (built-in ones when empty), the built-in one for resolved.
class Messages {
 public:
  // Parses both templates; errors are kInvalidInput naming the flag
  // (--slack-template-success / --slack-template-failure) and line:column.
  [[nodiscard]] static Result<Messages> Create(std::string_view success_template,
                                               std::string_view failure_template);

  // The event's text; `for_slack` escapes values for Slack mrkdwn. Cut to
  // a first line and kDefaultMaxLines more, then "and N more", and to
  // kMaxTextChars bytes (Slack rejects huge messages).
  std::string Text(const Event& event, bool for_slack) const;
  // True when a user template renders events of `kind`.
  bool Custom(EventKind kind) const;

 private:
  Messages(Template success, Template failure, Template resolved, Template skipped,
           bool custom_success, bool custom_failure)
      : success_(std::move(success)),
        failure_(std::move(failure)),
        resolved_(std::move(resolved)),
        skipped_(std::move(skipped)),
        custom_success_(custom_success),
        custom_failure_(custom_failure) {}
  Template success_, failure_, resolved_, skipped_;
  bool custom_success_, custom_failure_;
};

enum class DestinationKind { kSlack, kWebhook, kTeams, kDiscord, kGoogleChat, kSlackApi };

// "slack", "webhook", "teams", "discord", "googlechat", "slack-api" (for logs
// and metrics).
std::string_view DestinationName(DestinationKind kind);

// Where and how messages are posted.
struct Destination {
  DestinationKind kind = DestinationKind::kSlack;
  std::string url;       // a secret: never logged unredacted; slack-api: the API base
  std::string channel;   // slack: "" = the webhook's default channel; slack-api: default
  std::string username;  // slack: "" = the webhook's default name
  std::string icon_url;  // slack: "" = the webhook's default icon
  std::string secret;    // webhook: HMAC key, "" = unsigned
  std::string token;     // slack-api: the bot token, a secret (Authorization only)
};

// Slack's message as JSON: {"text","attachments"} plus "channel" when
// `channel` is not empty and the destination's "username" and "icon_url".
nlohmann::json SlackMessage(const Event& event, const Messages& messages, const Destination& slack,
                            const std::string& channel);

// The JSON body for `destination` (see the table above).
std::string SlackPayload(const Event& event, const Messages& messages, const Destination& slack);
std::string TeamsPayload(const Event& event, const Messages& messages);
std::string DiscordPayload(const Event& event, const Messages& messages);
std::string GoogleChatPayload(const Event& event, const Messages& messages);

// A POST of the destination's JSON (Content-Type: application/json), signed
// for the generic webhook when it has a secret. Not for slack-api, whose
// requests depend on Slack's earlier answers (SlackThreads::Request).
PostRequest DeliveryRequest(const Destination& destination, const Event& event,
                            const Messages& messages);

// nlohmann's dump with invalid UTF-8 replaced, never thrown.
std::string DumpJson(const nlohmann::json& json);

}  // namespace tagflow::notify
