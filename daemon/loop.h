// The daemon's loop (DESIGN.md §1): run an automation cycle at start, every
// --automation-interval, and at once when asked (webhook, /api/v1/sync);
// poll git every --git-poll-interval and run a cycle when the branch moved.
// Never two cycles at once: everything runs on the loop's own thread.
//
// Time comes from a Clock, so tests drive the loop with a FakeClock
// (advance, then Wake()) instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"

namespace tagflow::daemon {

// What the loop should do next; pure, tested with time values.
class Schedule {
 public:
  using TimePoint = Clock::time_point;
  using Duration = std::chrono::milliseconds;

  enum class Action { kNone, kCycle, kGitPoll };

  Schedule(Duration automation_interval, Duration git_poll_interval);

  // The action due at `now`: a requested or due cycle first, then a due git
  // poll. The first call always asks for a cycle.
  Action Due(TimePoint now, bool requested) const;
  // Records that `action` ran, finishing at `now`.
  void Ran(Action action, TimePoint now);
  // When Due() will next return something without a request.
  TimePoint NextWake() const;

 private:
  Duration automation_interval_;
  Duration git_poll_interval_;
  std::optional<TimePoint> last_cycle_;
  std::optional<TimePoint> last_poll_;
};

class Loop {
 public:
  struct Callbacks {
    // Runs one automation cycle. `reasons` says why (interval, webhook, ...).
    std::function<void(const std::vector<std::string>& reasons)> cycle;
    // Fetches the repository; returns true when the branch head moved since
    // the last cycle (so a cycle should run now).
    std::function<bool()> git_poll;
  };

  // Borrows `clock`.
  Loop(Callbacks callbacks, Clock& clock, Schedule schedule);

  // Runs until Stop(); call from one thread only.
  void Run();
  // Asks for a cycle as soon as the current one (if any) ends. Thread-safe,
  // never blocks on a cycle.
  void RequestCycle(std::string reason);
  // Makes Run() return after the action in flight. Thread-safe.
  void Stop();
  bool stopping() const { return stop_.load(); }
  // Re-evaluates the schedule now (tests call it after moving a FakeClock).
  void Wake();

 private:
  Callbacks callbacks_;
  Clock& clock_;
  Schedule schedule_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> requests_;  // guarded by mu_
  bool woken_ = false;                 // guarded by mu_
  std::atomic<bool> stop_{false};
};

}  // namespace tagflow::daemon
