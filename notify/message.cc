#include "notify/message.h"

#include <fmt/format.h>

#include <map>

#include "base/time.h"

namespace tagflow::notify {
namespace {

std::string Plural(size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string Capitalized(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}

// Groups errors by stage, in cycle order.
std::vector<Section> ByStage(const std::vector<EventError>& errors) {
  std::map<Stage, std::vector<std::string>> groups;
  for (const EventError& e : errors) groups[e.stage].push_back(e.message);
  std::vector<Section> out;
  for (auto& [stage, lines] : groups) {
    out.push_back(
        {fmt::format("{} ({})", Capitalized(StageName(stage)), lines.size()), std::move(lines)});
  }
  return out;
}

// Keeps at most `max_lines` lines over all sections, then "and N more".
void Cap(std::vector<Section>& sections, size_t max_lines) {
  size_t kept = 0, dropped = 0;
  for (Section& s : sections) {
    for (std::string& line : s.lines) line = Clip(std::move(line), kMaxLineChars);
    size_t room = max_lines > kept ? max_lines - kept : 0;
    if (s.lines.size() > room) {
      dropped += s.lines.size() - room;
      s.lines.resize(room);
    }
    kept += s.lines.size();
  }
  std::erase_if(sections, [](const Section& s) { return s.lines.empty(); });
  if (dropped > 0) {
    if (sections.empty()) sections.push_back({});
    sections.back().lines.push_back(fmt::format("and {} more", dropped));
  }
}

std::string HumanDuration(std::chrono::milliseconds d) {
  return FormatDuration(std::chrono::round<std::chrono::seconds>(d));
}

}  // namespace

std::string Clip(std::string text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max - 3;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text + "…";
}

std::string_view ToneColor(Tone tone) {
  switch (tone) {
    case Tone::kGood:
      return "#2eb886";
    case Tone::kWarning:
      return "#daa038";
    case Tone::kDanger:
      break;
  }
  return "#a30200";
}

int ToneColorValue(Tone tone) {
  return static_cast<int>(std::stoul(std::string(ToneColor(tone).substr(1)), nullptr, 16));
}

std::string ChangeSummary(const Change& c) {
  std::string old_tag = ChangeOldTag(c), new_tag = ChangeNewTag(c);
  Change from = c, to = c;  // the repositories as written in the two references
  from.image.clear();
  to.image.clear();
  to.old_ref = c.new_ref;
  if (ChangeImage(from) != ChangeImage(to) || old_tag.empty() || new_tag.empty()) {
    return fmt::format("{} {} {} -> {}", c.workload, c.container, c.old_ref, c.new_ref);
  }
  return fmt::format("{} {} {} -> {}", c.workload, c.container, old_tag, new_tag);
}

Message BuildMessage(const Event& event, size_t max_lines) {
  Message m;
  m.kind = event.kind;
  m.time = FormatRfc3339(event.time, TimePrecision::kSeconds);
  m.context =
      event.repo_url.empty() ? event.branch : fmt::format("{} · {}", event.repo_url, event.branch);
  switch (event.kind) {
    case EventKind::kSuccess: {
      m.tone = event.errors.empty() ? Tone::kGood : Tone::kWarning;
      m.title = fmt::format("Released {} to {}", Plural(event.changes.size(), "image", "images"),
                            event.branch);
      m.commit_label = ShortCommit(event.commit);
      m.commit_url = event.commit_url;
      Section changes{"Changes", {}};
      for (const Change& c : event.changes) changes.lines.push_back(ChangeSummary(c));
      m.sections.push_back(std::move(changes));
      Cap(m.sections, max_lines);
      if (!event.errors.empty()) {
        m.sections.push_back({"Errors",
                              {fmt::format("The same cycle had {}, reported in the failure message",
                                           Plural(event.errors.size(), "error", "errors"))}});
      }
      break;
    }
    case EventKind::kFailure:
      m.tone = Tone::kDanger;
      m.title = fmt::format("Automation failed on {}: {}", event.branch,
                            Plural(event.errors.size(), "error", "errors"));
      m.sections = ByStage(event.errors);
      Cap(m.sections, max_lines);
      break;
    case EventKind::kSkipped: {
      m.tone = Tone::kWarning;
      m.title = fmt::format("Release gate held back {} on {}",
                            Plural(event.errors.size(), "tag", "tags"), event.branch);
      Section held{"Not released", {}};
      for (const EventError& e : event.errors) held.lines.push_back(e.message);
      m.sections.push_back(std::move(held));
      Cap(m.sections, max_lines);
      break;
    }
    case EventKind::kResolved: {
      m.tone = Tone::kGood;
      m.title = fmt::format("Resolved: automation on {} is healthy again", event.branch);
      std::vector<Section> was = ByStage(event.errors);
      Section all{fmt::format("Was failing for {}", HumanDuration(event.duration)), {}};
      for (Section& s : was) {
        for (std::string& line : s.lines) {
          all.lines.push_back(
              fmt::format("[{}] {}", s.heading.substr(0, s.heading.rfind(" (")), std::move(line)));
        }
      }
      m.sections.push_back(std::move(all));
      Cap(m.sections, max_lines);
      break;
    }
    case EventKind::kNotice: {
      m.tone = Tone::kWarning;
      m.title = fmt::format("Holding on {}: {}", event.branch,
                            Plural(event.errors.size(), "rollback", "rollbacks"));
      Section lines{"Rollbacks respected", {}};
      for (const EventError& e : event.errors) lines.lines.push_back(e.message);
      m.sections.push_back(std::move(lines));
      Cap(m.sections, max_lines);
      break;
    }
  }
  return m;
}

}  // namespace tagflow::notify
