#include "notify/alert_state.h"

namespace tagflow::notify {

std::vector<Event> AlertState::OnEvent(const Event& event, Clock::time_point now) {
  switch (event.kind) {
    case EventKind::kResolved:
      return Resolve(event.time);
    case EventKind::kSuccess: {
      // A cycle that pushed but also had errors is not a recovery.
      std::vector<Event> out = event.errors.empty() ? Resolve(event.time) : std::vector<Event>{};
      out.push_back(event);
      return out;
    }
    case EventKind::kFailure:
      break;
  }
  std::set<std::string> errors(event.errors.begin(), event.errors.end());
  bool send = !failing() || errors != last_sent_errors_ || repeat_interval_.count() == 0 ||
              now - last_sent_at_ >= repeat_interval_;
  last_failure_ = event;
  if (!send) return {};
  last_sent_errors_ = std::move(errors);
  last_sent_at_ = now;
  return {event};
}

std::vector<Event> AlertState::OnCycleOk(Clock::time_point now) { return Resolve(now); }

std::vector<Event> AlertState::Resolve(Clock::time_point when) {
  if (!last_failure_) return {};
  Event resolved;
  resolved.kind = EventKind::kResolved;
  resolved.errors = std::move(last_failure_->errors);
  resolved.branch = std::move(last_failure_->branch);
  resolved.repo_url = std::move(last_failure_->repo_url);
  resolved.time = when;
  last_failure_.reset();
  last_sent_errors_.clear();
  return {resolved};
}

}  // namespace tagflow::notify
