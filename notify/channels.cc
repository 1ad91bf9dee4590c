#include "notify/channels.h"

#include <utility>

namespace tagflow::notify {
namespace {

std::set<std::string> MessagesOf(const std::vector<EventError>& errors) {
  std::set<std::string> out;
  for (const EventError& e : errors) out.insert(e.message);
  return out;
}

// `event` with its changes and errors emptied: the frame of a per-channel copy.
Event Frame(const Event& event) {
  Event out = event;
  out.changes.clear();
  out.errors.clear();
  return out;
}

}  // namespace

std::vector<RoutedMessage> ChannelRouter::Route(const Event& event, Clock::time_point now) {
  switch (event.kind) {
    case EventKind::kSuccess:
    case EventKind::kNotice:  // lines go to their workloads' channels, like changes
      return Success(event);
    case EventKind::kFailure:
      return Failure(event, now);
    case EventKind::kSkipped:
      return Skipped(event);
    case EventKind::kResolved:
      break;
  }
  return Resolved(event);
}

std::vector<RoutedMessage> ChannelRouter::Skipped(const Event& event) {
  std::map<std::string, Event> by_channel;
  for (const EventError& e : event.errors) {
    auto [it, added] = by_channel.try_emplace(ChannelOf(e.channel), Frame(event));
    it->second.errors.push_back(e);
  }
  std::vector<RoutedMessage> out;
  for (auto& [channel, e] : by_channel) out.push_back({channel, SlackRole::kPlain, std::move(e)});
  return out;
}

std::vector<RoutedMessage> ChannelRouter::Success(const Event& event) {
  std::map<std::string, Event> by_channel;
  for (const Change& c : event.changes) {
    auto [it, added] = by_channel.try_emplace(ChannelOf(c.channel), Frame(event));
    it->second.changes.push_back(c);
  }
  for (const EventError& e : event.errors) {
    if (event.kind != EventKind::kNotice) break;
    by_channel.try_emplace(ChannelOf(e.channel), Frame(event));
  }
  if (by_channel.empty()) by_channel.emplace(default_channel_, Frame(event));
  for (const EventError& e : event.errors) {
    auto it = by_channel.find(ChannelOf(e.channel));
    if (it != by_channel.end()) it->second.errors.push_back(e);
  }
  std::vector<RoutedMessage> out;
  for (auto& [channel, e] : by_channel) out.push_back({channel, SlackRole::kPlain, std::move(e)});
  return out;
}

std::vector<RoutedMessage> ChannelRouter::Failure(const Event& event, Clock::time_point now) {
  std::map<std::string, Event> failing;
  for (const EventError& e : event.errors) {
    auto [it, added] = failing.try_emplace(ChannelOf(e.channel), Frame(event));
    it->second.errors.push_back(e);
  }
  if (failing.empty()) failing.emplace(default_channel_, Frame(event));

  std::vector<RoutedMessage> out;
  bool any_changed = false;
  for (auto it = open_.begin(); it != open_.end();) {
    if (failing.contains(it->first)) {
      any_changed |= MessagesOf(failing[it->first].errors) != it->second.messages;
      ++it;
      continue;
    }
    any_changed = true;  // this channel recovered
    Event resolved = Frame(event);
    resolved.kind = EventKind::kResolved;
    resolved.commit.clear();
    resolved.commit_url.clear();
    resolved.errors = it->second.errors;
    if (now > it->second.since) {
      resolved.duration =
          std::chrono::duration_cast<std::chrono::milliseconds>(now - it->second.since);
    }
    std::string channel = (it++)->first;
    Close(channel, std::move(resolved), out);
  }
  for (const auto& [channel, e] : failing) any_changed |= !open_.contains(channel);

  for (auto& [channel, e] : failing) {
    std::set<std::string> messages = MessagesOf(e.errors);
    auto [incident, opened] = open_.try_emplace(channel, Incident{{}, {}, now});
    bool changed = opened || messages != incident->second.messages;
    incident->second.messages = std::move(messages);
    incident->second.errors = e.errors;
    if (changed || !any_changed) out.push_back({channel, SlackRole::kIncident, std::move(e)});
  }
  return out;
}

std::vector<RoutedMessage> ChannelRouter::Resolved(const Event& event) {
  std::vector<RoutedMessage> out;
  if (open_.empty()) {
    out.push_back({default_channel_, SlackRole::kResolve, event});
    return out;
  }
  while (!open_.empty()) {
    const auto& [channel, incident] = *open_.begin();
    Event resolved = Frame(event);
    for (const EventError& e : event.errors) {
      if (ChannelOf(e.channel) == channel) resolved.errors.push_back(e);
    }
    if (resolved.errors.empty()) resolved.errors = incident.errors;
    Close(std::string(channel), std::move(resolved), out);
  }
  return out;
}

void ChannelRouter::Close(const std::string& channel, Event resolved,
                          std::vector<RoutedMessage>& out) {
  open_.erase(channel);
  out.push_back({channel, SlackRole::kResolve, resolved});
  out.push_back({channel, SlackRole::kClose, std::move(resolved)});
}

}  // namespace tagflow::notify
