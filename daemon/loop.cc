#include "daemon/loop.h"

#include <algorithm>

namespace tagflow::daemon {

Schedule::Schedule(Duration automation_interval, Duration git_poll_interval)
    : automation_interval_(automation_interval), git_poll_interval_(git_poll_interval) {}

Schedule::Action Schedule::Due(TimePoint now, bool requested) const {
  if (requested || !last_cycle_ || now >= *last_cycle_ + automation_interval_)
    return Action::kCycle;
  TimePoint poll_base = last_poll_ ? std::max(*last_poll_, *last_cycle_) : *last_cycle_;
  if (git_poll_interval_.count() > 0 && now >= poll_base + git_poll_interval_)
    return Action::kGitPoll;
  return Action::kNone;
}

void Schedule::Ran(Action action, TimePoint now) {
  if (action == Action::kCycle) last_cycle_ = now;
  if (action == Action::kGitPoll) last_poll_ = now;
}

Schedule::TimePoint Schedule::NextWake() const {
  if (!last_cycle_) return TimePoint::min();
  TimePoint next = *last_cycle_ + automation_interval_;
  if (git_poll_interval_.count() > 0) {
    TimePoint poll_base = last_poll_ ? std::max(*last_poll_, *last_cycle_) : *last_cycle_;
    next = std::min(next, poll_base + git_poll_interval_);
  }
  return next;
}

Loop::Loop(Callbacks callbacks, Clock& clock, Schedule schedule)
    : callbacks_(std::move(callbacks)), clock_(clock), schedule_(std::move(schedule)) {}

void Loop::Run() {
  while (!stop_) {
    std::vector<std::string> reasons;
    Schedule::Action action;
    {
      std::unique_lock lock(mu_);
      action = schedule_.Due(clock_.Now(), !requests_.empty());
      if (action == Schedule::Action::kNone) {
        // Sleep until the next due time, a request, a Wake() or Stop().
        // Waits are capped so a FakeClock that moves without Wake() is seen.
        auto wait = schedule_.NextWake() - clock_.Now();
        auto cap = std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(1));
        cv_.wait_for(lock, std::clamp(wait, Clock::duration::zero(), cap),
                     [this] { return stop_ || !requests_.empty() || woken_; });
        woken_ = false;
        continue;
      }
      if (action == Schedule::Action::kCycle) reasons.swap(requests_);
    }
    if (action == Schedule::Action::kGitPoll) {
      bool moved = callbacks_.git_poll && callbacks_.git_poll();
      schedule_.Ran(Schedule::Action::kGitPoll, clock_.Now());
      if (!moved || stop_) continue;
      reasons.push_back("git branch moved");
    }
    if (reasons.empty()) reasons.push_back("interval");
    callbacks_.cycle(reasons);
    schedule_.Ran(Schedule::Action::kCycle, clock_.Now());
  }
}

void Loop::RequestCycle(std::string reason) {
  {
    std::lock_guard lock(mu_);
    if (std::find(requests_.begin(), requests_.end(), reason) == requests_.end())
      requests_.push_back(std::move(reason));
  }
  cv_.notify_all();
}

void Loop::Stop() {
  {
    // Under the lock, so Run() cannot miss it between its check and its wait.
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

void Loop::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

}  // namespace tagflow::daemon
