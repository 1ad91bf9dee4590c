#include "daemon/loop.h"

#include <fmt/format.h>

#include <algorithm>

namespace tagflow::daemon {

std::string TruncateReason(std::string_view reason, size_t max_bytes) {
  constexpr std::string_view kEllipsis = "...";
  if (reason.size() <= max_bytes) return std::string(reason);
  size_t cut = max_bytes > kEllipsis.size() ? max_bytes - kEllipsis.size() : 0;
  // Back up to the first byte of a character: continuation bytes are 10xxxxxx.
  while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
  return std::string(reason.substr(0, cut)) + std::string(kEllipsis);
}

void RequestQueue::Add(std::string_view reason, Clock::time_point now) {
  if (!pending_) {
    pending_ = PendingRequests{now, now};
  } else {
    pending_->last = std::max(pending_->last, now);
  }
  std::string kept = TruncateReason(reason, kMaxReasonBytes);
  if (std::find(reasons_.begin(), reasons_.end(), kept) != reasons_.end()) return;
  if (reasons_.size() < kMaxReasons) {
    reasons_.push_back(std::move(kept));
  } else {
    ++more_;
  }
}

std::vector<std::string> RequestQueue::Take() {
  std::vector<std::string> out;
  out.swap(reasons_);
  if (more_ > 0) out.push_back(fmt::format("and {} more requests", more_));
  more_ = 0;
  pending_.reset();
  return out;
}

Schedule::Schedule(Duration automation_interval, Duration git_poll_interval,
                   RequestBatching batching)
    : automation_interval_(automation_interval),
      git_poll_interval_(git_poll_interval),
      batching_(batching) {}

Schedule::TimePoint Schedule::RequestDue(const PendingRequests& pending) const {
  return std::min(pending.last + batching_.quiet, pending.first + batching_.max_delay);
}

Schedule::Action Schedule::Due(TimePoint now, const std::optional<PendingRequests>& pending) const {
  if (!last_cycle_) return Action::kCycle;
  if (pending && now >= RequestDue(*pending)) return Action::kCycle;
  if (now >= *last_cycle_ + automation_interval_) return Action::kCycle;
  TimePoint poll_base = last_poll_ ? std::max(*last_poll_, *last_cycle_) : *last_cycle_;
  if (git_poll_interval_.count() > 0 && now >= poll_base + git_poll_interval_)
    return Action::kGitPoll;
  return Action::kNone;
}

void Schedule::Ran(Action action, TimePoint now) {
  if (action == Action::kCycle) last_cycle_ = now;
  if (action == Action::kGitPoll) last_poll_ = now;
}

Schedule::TimePoint Schedule::NextWake(const std::optional<PendingRequests>& pending) const {
  if (!last_cycle_) return TimePoint::min();
  TimePoint next = *last_cycle_ + automation_interval_;
  if (git_poll_interval_.count() > 0) {
    TimePoint poll_base = last_poll_ ? std::max(*last_poll_, *last_cycle_) : *last_cycle_;
    next = std::min(next, poll_base + git_poll_interval_);
  }
  if (pending) next = std::min(next, RequestDue(*pending));
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
      Clock::time_point now = clock_.Now();
      action = schedule_.Due(now, requests_.pending());
      if (action == Schedule::Action::kNone) {
        // Sleep until the next due time, a request, a Wake() or Stop().
        // Waits are capped so a FakeClock that moves without Wake() is seen.
        auto wait = schedule_.NextWake(requests_.pending()) - now;
        auto cap = std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(1));
        cv_.wait_for(lock, std::clamp(wait, Clock::duration::zero(), cap),
                     [this] { return stop_ || woken_; });
        woken_ = false;
        continue;
      }
      // Everything asked for so far is served by this cycle; what arrives
      // while it runs waits for the next one.
      if (action == Schedule::Action::kCycle) reasons = requests_.Take();
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

void Loop::RequestCycle(std::string_view reason) {
  {
    std::lock_guard lock(mu_);
    requests_.Add(reason, clock_.Now());
    woken_ = true;
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
