// Slack's incoming-webhook payload: `text` as the fallback, one attachment
// with the colour bar holding Block Kit blocks
// (https://api.slack.com/reference/messaging/attachments,
// https://api.slack.com/reference/block-kit/blocks).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "notify/payload.h"

namespace tagflow::notify {
namespace {

// Slack refuses section texts over 3000 characters.
constexpr size_t kMaxSectionChars = 3000;

nlohmann::json Mrkdwn(std::string text) {
  return {{"type", "mrkdwn"}, {"text", Clip(std::move(text), kMaxSectionChars)}};
}

nlohmann::json SectionBlock(std::string text) {
  return {{"type", "section"}, {"text", Mrkdwn(std::move(text))}};
}

nlohmann::json Blocks(const Message& m) {
  nlohmann::json blocks = nlohmann::json::array();
  std::string title = fmt::format("*{}*", EscapeSlack(m.title));
  if (!m.commit_label.empty()) {
    title += m.commit_url.empty()
                 ? fmt::format(" · commit `{}`", m.commit_label)
                 : fmt::format(" · commit <{}|{}>", EscapeSlack(m.commit_url), m.commit_label);
  }
  blocks.push_back(SectionBlock(std::move(title)));
  for (const Section& s : m.sections) {
    std::string text = s.heading.empty() ? "" : fmt::format("*{}*", EscapeSlack(s.heading));
    for (const std::string& line : s.lines) {
      text += (text.empty() ? "" : "\n") + fmt::format("• {}", EscapeSlack(line));
    }
    blocks.push_back(SectionBlock(std::move(text)));
  }
  blocks.push_back(
      {{"type", "context"}, {"elements", nlohmann::json::array({Mrkdwn(EscapeSlack(m.context))})}});
  return blocks;
}

}  // namespace

nlohmann::json SlackMessage(const Event& event, const Messages& messages, const Destination& slack,
                            const std::string& channel) {
  std::string text = messages.Text(event, /*for_slack=*/true);
  Message m = BuildMessage(event);
  nlohmann::json attachment = {{"color", ToneColor(m.tone)}, {"fallback", text}};
  if (messages.Custom(event.kind)) {
    attachment["blocks"] = nlohmann::json::array({SectionBlock(text)});
  } else {
    attachment["blocks"] = Blocks(m);
  }
  nlohmann::json json = {{"text", text},
                         {"attachments", nlohmann::json::array({std::move(attachment)})}};
  if (!channel.empty()) json["channel"] = channel;
  if (!slack.username.empty()) json["username"] = slack.username;
  if (!slack.icon_url.empty()) json["icon_url"] = slack.icon_url;
  return json;
}

std::string SlackPayload(const Event& event, const Messages& messages, const Destination& slack) {
  return DumpJson(SlackMessage(event, messages, slack, slack.channel));
}

}  // namespace tagflow::notify
