// The payloads of the other chat destinations, each as its provider
// documents it:
//   Teams: Workflows "post to a channel when a webhook request is received"
//     takes {"type":"message","attachments":[{"contentType":
//     "application/vnd.microsoft.card.adaptive","content":<AdaptiveCard>}]}
//     (learn.microsoft.com, "Create incoming webhooks with Workflows";
//     adaptivecards.io schema 1.4: TextBlock, Container.style, Action.OpenUrl).
//   Discord: "Execute Webhook" takes {"embeds":[{title,url,color,
//     fields[{name,value,inline}],footer{text},timestamp}],"allowed_mentions"}
//     with limits title 256, field name 256, value 1024, description 4096.
//   Google Chat: incoming webhooks take {"cardsV2":[{"cardId","card":
//     {"header":{title,subtitle},"sections":[{header,widgets:[{textParagraph:
//     {text}}]}]}}]}; textParagraph text allows <b>, <font color>, <a href>,
//     <br>.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "notify/payload.h"

namespace tagflow::notify {
namespace {

std::string JoinLines(const std::vector<std::string>& lines, std::string_view prefix,
                      std::string_view separator) {
  std::string out;
  for (const std::string& line : lines) {
    if (!out.empty()) out += separator;
    out += std::string(prefix) + line;
  }
  return out;
}

std::string_view TeamsStyle(Tone tone) {
  switch (tone) {
    case Tone::kGood:
      return "good";
    case Tone::kWarning:
      return "warning";
    case Tone::kDanger:
      break;
  }
  return "attention";
}

nlohmann::json TextBlock(std::string text) {
  return {{"type", "TextBlock"}, {"text", std::move(text)}, {"wrap", true}};
}

// HTML escaping for Google Chat's textParagraph: Slack's three, and quotes.
std::string Html(std::string_view text) {
  std::string out;
  for (char c : EscapeSlack(text)) out += c == '"' ? std::string("&quot;") : std::string(1, c);
  return out;
}

}  // namespace

std::string TeamsPayload(const Event& event, const Messages& messages) {
  Message m = BuildMessage(event);
  nlohmann::json title = TextBlock(m.title);
  title["weight"] = "Bolder";
  title["size"] = "Medium";
  nlohmann::json body =
      nlohmann::json::array({{{"type", "Container"},
                              {"style", TeamsStyle(m.tone)},
                              {"bleed", true},
                              {"items", nlohmann::json::array({std::move(title)})}}});
  if (messages.Custom(event.kind)) {
    body.push_back(TextBlock(messages.Text(event, /*for_slack=*/false)));
  } else {
    for (const Section& s : m.sections) {
      nlohmann::json heading = TextBlock(s.heading);
      heading["weight"] = "Bolder";
      heading["spacing"] = "Medium";
      if (!s.heading.empty()) body.push_back(std::move(heading));
      for (const std::string& line : s.lines) {
        nlohmann::json item = TextBlock("- " + line);
        item["spacing"] = "None";
        body.push_back(std::move(item));
      }
    }
  }
  nlohmann::json context = TextBlock(m.context);
  context["isSubtle"] = true;
  context["size"] = "Small";
  body.push_back(std::move(context));
  nlohmann::json card = {{"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
                         {"type", "AdaptiveCard"},
                         {"version", "1.4"},
                         {"msteams", {{"width", "Full"}}},
                         {"body", std::move(body)}};
  if (!m.commit_url.empty()) {
    card["actions"] =
        nlohmann::json::array({{{"type", "Action.OpenUrl"},
                                {"title", fmt::format("View commit {}", m.commit_label)},
                                {"url", m.commit_url}}});
  }
  nlohmann::json json = {
      {"type", "message"},
      {"attachments",
       nlohmann::json::array({{{"contentType", "application/vnd.microsoft.card.adaptive"},
                               {"contentUrl", nullptr},
                               {"content", std::move(card)}}})}};
  return DumpJson(json);
}

std::string DiscordPayload(const Event& event, const Messages& messages) {
  Message m = BuildMessage(event);
  nlohmann::json embed = {{"title", Clip(m.title, 256)}, {"color", ToneColorValue(m.tone)}};
  if (!m.commit_url.empty()) embed["url"] = m.commit_url;
  if (messages.Custom(event.kind)) {
    embed["description"] = Clip(messages.Text(event, /*for_slack=*/false), 4096);
  } else {
    if (!m.commit_label.empty()) {
      embed["description"] = m.commit_url.empty()
                                 ? fmt::format("Commit `{}`", m.commit_label)
                                 : fmt::format("Commit [{}]({})", m.commit_label, m.commit_url);
    }
    nlohmann::json fields = nlohmann::json::array();
    for (const Section& s : m.sections) {
      fields.push_back({{"name", Clip(s.heading.empty() ? "Details" : s.heading, 256)},
                        {"value", Clip(JoinLines(s.lines, "• ", "\n"), 1024)},
                        {"inline", false}});
    }
    embed["fields"] = std::move(fields);
  }
  embed["footer"] = {{"text", Clip(m.context, 2048)}};
  embed["timestamp"] = m.time;
  nlohmann::json json = {{"embeds", nlohmann::json::array({std::move(embed)})},
                         {"allowed_mentions", {{"parse", nlohmann::json::array()}}}};
  return DumpJson(json);
}

std::string GoogleChatPayload(const Event& event, const Messages& messages) {
  Message m = BuildMessage(event);
  auto paragraph = [](std::string html) {
    return nlohmann::json{{"textParagraph", {{"text", std::move(html)}}}};
  };
  std::string status = fmt::format("<font color=\"{}\"><b>{}</b></font>", ToneColor(m.tone),
                                   EventKindName(event.kind));
  if (!m.commit_label.empty()) {
    status += m.commit_url.empty() ? fmt::format(" · commit {}", m.commit_label)
                                   : fmt::format(" · commit <a href=\"{}\">{}</a>",
                                                 Html(m.commit_url), m.commit_label);
  }
  nlohmann::json sections =
      nlohmann::json::array({{{"widgets", nlohmann::json::array({paragraph(status)})}}});
  if (messages.Custom(event.kind)) {
    std::string text = Html(messages.Text(event, /*for_slack=*/false));
    for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at)) {
      text.replace(at, 1, "<br>");
    }
    sections.push_back({{"widgets", nlohmann::json::array({paragraph(std::move(text))})}});
  } else {
    for (const Section& s : m.sections) {
      std::vector<std::string> lines;
      for (const std::string& line : s.lines) lines.push_back(Html(line));
      nlohmann::json section = {
          {"widgets", nlohmann::json::array({paragraph(JoinLines(lines, "• ", "<br>"))})}};
      if (!s.heading.empty()) section["header"] = s.heading;
      sections.push_back(std::move(section));
    }
  }
  nlohmann::json card = {{"header", {{"title", m.title}, {"subtitle", m.context}}},
                         {"sections", std::move(sections)}};
  nlohmann::json json = {
      {"cardsV2",
       nlohmann::json::array({{{"cardId", fmt::format("tagflow-{}", EventKindName(event.kind))},
                               {"card", std::move(card)}}})}};
  return DumpJson(json);
}

}  // namespace tagflow::notify
