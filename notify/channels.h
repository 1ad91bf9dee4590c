// Slack messages split by channel, and the incidents open in each channel:
// the pure core of per-workload channels (annotation
// `tagflow.io/notify-channel`, carried in Change::channel and
// EventError::channel) and of Web API threads (notify/slack_api.h).
//
// A change or error without a channel goes to the default channel
// (--slack-channel; "" = the incoming webhook's own channel). The router
// takes the events AlertState decided to send and returns, per event, one
// message per channel concerned, in channel order:
//
//   success   one kPlain message per channel with changes, holding that
//             channel's changes (and that channel's errors, for the tone).
//   failure   one kIncident message per channel with errors, holding that
//             channel's errors; the first failure of a channel opens its
//             incident. A channel whose errors did not change is left alone
//             when another channel's did (it already said so); when nothing
//             changed (a timed repeat) every failing channel gets the repeat.
//             A channel with an open incident and no error in this failure
//             has recovered: kResolve then kClose for it.
//   resolved  kResolve then kClose for every channel with an open incident,
//             holding that channel's errors; with none open, one kResolve
//             to the default channel.
//
// Not thread-safe: the Notifier calls it under its lock.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "notify/event.h"

namespace tagflow::notify {

enum class SlackRole {
  kPlain,     // a message of its own in the channel
  kIncident,  // a failure: opens the channel's incident thread, or replies in it
  kResolve,   // the resolution: a reply in the incident thread (top level when none)
  kClose,     // edit the incident's first message to show it is resolved (Web API)
};

struct RoutedMessage {
  std::string channel;  // "" only when the default channel is ""
  SlackRole role = SlackRole::kPlain;
  Event event;
};

class ChannelRouter {
 public:
  explicit ChannelRouter(std::string default_channel)
      : default_channel_(std::move(default_channel)) {}

  // The messages for `event` (one AlertState decided to send) at `now`.
  std::vector<RoutedMessage> Route(const Event& event, Clock::time_point now);

  // The channel a change or error with `channel` goes to.
  const std::string& ChannelOf(const std::string& channel) const {
    return channel.empty() ? default_channel_ : channel;
  }

 private:
  struct Incident {
    std::set<std::string> messages;  // the error messages last sent
    std::vector<EventError> errors;  // the same errors, for the resolution
    Clock::time_point since;         // first failure of the incident
  };

  std::vector<RoutedMessage> Success(const Event& event);
  // One plain message per channel named by the held-back tags.
  std::vector<RoutedMessage> Skipped(const Event& event);
  std::vector<RoutedMessage> Failure(const Event& event, Clock::time_point now);
  std::vector<RoutedMessage> Resolved(const Event& event);
  // kResolve + kClose of `channel`'s incident, closed.
  void Close(const std::string& channel, Event resolved, std::vector<RoutedMessage>& out);

  std::string default_channel_;
  std::map<std::string, Incident> open_;  // by channel
};

}  // namespace tagflow::notify
