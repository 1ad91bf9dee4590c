#include "notify/alert_state.h"

namespace tagflow::notify {
namespace {

std::set<std::string> Messages(const std::vector<EventError>& errors) {
  std::set<std::string> out;
  for (const EventError& e : errors) out.insert(e.message);
  return out;
}

}  // namespace

std::vector<Event> AlertState::OnEvent(const Event& event, Clock::time_point now) {
  switch (event.kind) {
    case EventKind::kResolved:
      return Resolve(event.time);
    case EventKind::kNotice:
      return {event};  // no incident opened or closed
    case EventKind::kSuccess: {
      if (!event.errors.empty()) {
        // Not a recovery; the failure of the same cycle follows and is judged
        // on its own. It does start the incident's clock.
        if (!failing()) failing_since_ = now;
        return {event};
      }
      std::vector<Event> out = Resolve(event.time);
      out.push_back(event);
      return out;
    }
    case EventKind::kSkipped:
      return {event};  // news, not health: no incident opens or closes
    case EventKind::kFailure:
      break;
  }
  std::set<std::string> errors = Messages(event.errors);
  bool send = !failing() || errors != last_sent_errors_ || repeat_interval_.count() == 0 ||
              now - last_sent_at_ >= repeat_interval_;
  if (!failing() && failing_since_ == Clock::time_point{}) failing_since_ = now;
  last_failure_ = event;
  if (!send) return {};
  last_sent_errors_ = std::move(errors);
  last_sent_at_ = now;
  return {event};
}

std::vector<Event> AlertState::OnCycleOk(Clock::time_point now) { return Resolve(now); }

std::vector<Event> AlertState::Resolve(Clock::time_point when) {
  if (!last_failure_) {
    failing_since_ = {};
    return {};
  }
  Event resolved;
  resolved.kind = EventKind::kResolved;
  resolved.errors = std::move(last_failure_->errors);
  resolved.branch = std::move(last_failure_->branch);
  resolved.repo_url = std::move(last_failure_->repo_url);
  resolved.time = when;
  if (failing_since_ != Clock::time_point{} && when > failing_since_) {
    resolved.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(when - failing_since_);
  }
  last_failure_.reset();
  last_sent_errors_.clear();
  failing_since_ = {};
  return {resolved};
}

}  // namespace tagflow::notify
