// The structure of a message, before any destination's markup: a title, an
// optional commit link, sections of plain-text lines, a context line and a
// tone (the colour bar). Every chat destination (Slack, Teams, Discord,
// Google Chat) renders this one model in its own payload shape
// (notify/payload.h), so what a message says is decided once, here.
//
//   success   "Released 2 images to main", link "0123456" -> commit page;
//             section "Changes": `workload container old-tag -> new-tag`
//             (whole references when the repository differs); when the cycle
//             also had errors, the tone is a warning and a section says how
//             many (they come in the failure message of the same cycle).
//   failure   "Automation failed on main: 3 errors"; one section per stage
//             (git sync, scan, registry, rewrite, push, sync tag) in that
//             order, each error's message a line.
//   resolved  "Resolved: automation on main is healthy again"; section
//             "Was failing for 12m" with the errors that were resolved.
//
// At most `max_lines` lines over all sections; what is left out is counted
// in a last line "and N more". Each line is cut to kMaxLineChars.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "notify/event.h"

namespace tagflow::notify {

inline constexpr size_t kDefaultMaxLines = 20;
inline constexpr size_t kMaxLineChars = 300;

enum class Tone { kGood, kWarning, kDanger };

// "#2eb886", "#daa038", "#a30200": Slack's own good / warning / danger.
std::string_view ToneColor(Tone tone);
// The colour as a number (0x2eb886), for Discord.
int ToneColorValue(Tone tone);

struct Section {
  std::string heading;             // "Changes", "Registry (2)"
  std::vector<std::string> lines;  // plain text
};

struct Message {
  EventKind kind = EventKind::kSuccess;
  Tone tone = Tone::kGood;
  std::string title;         // plain text
  std::string commit_label;  // short commit id, "" when none
  std::string commit_url;    // "" when there is no page to link
  std::vector<Section> sections;
  std::string context;  // "<repo> · <branch>"
  std::string time;     // RFC 3339
};

Message BuildMessage(const Event& event, size_t max_lines = kDefaultMaxLines);

// `text` cut to at most `max` bytes (max >= 3) on a UTF-8 boundary, "…"
// marking the cut.
std::string Clip(std::string text, size_t max);

// The line of a change: `workload container old-tag -> new-tag`.
std::string ChangeSummary(const Change& change);

}  // namespace tagflow::notify
