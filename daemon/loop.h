// The daemon's loop (DESIGN.md §1): run an automation cycle at start, every
// --automation-interval, and soon after a request (webhook, /api/v1/sync);
// poll git every --git-poll-interval and run a cycle when the branch moved.
// Never two cycles at once: everything runs on the loop's own thread.
//
// Requests are batched: a burst of hooks runs one cycle, and requests that
// arrive while a cycle runs collapse into at most one follow-up cycle. What
// waits is bounded (RequestQueue), whatever the senders do.
//
// Time comes from a Clock, so tests drive the loop with a FakeClock
// (advance, then Wake()) instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"

namespace tagflow::daemon {

// When the requests waiting for a cycle came: the first and the latest.
struct PendingRequests {
  Clock::time_point first;
  Clock::time_point last;
};

// The reasons of the requested cycles not run yet: deduplicated, at most
// kMaxReasons kept, each cut to kMaxReasonBytes (on a UTF-8 character
// boundary, with "..."), the rest only counted. So memory and the
// `cycle start reason=` log line stay small however many hooks arrive and
// however long their repository names are. Pure; not thread-safe.
class RequestQueue {
 public:
  static constexpr size_t kMaxReasons = 10;
  static constexpr size_t kMaxReasonBytes = 160;

  // Records a request for a cycle made at `now`.
  void Add(std::string_view reason, Clock::time_point now);
  bool empty() const { return !pending_; }
  // The times of the waiting requests; nullopt when none wait.
  const std::optional<PendingRequests>& pending() const { return pending_; }
  // The kept reasons, then "and N more requests" when some were only
  // counted; empties the queue.
  std::vector<std::string> Take();

 private:
  std::vector<std::string> reasons_;
  size_t more_ = 0;
  std::optional<PendingRequests> pending_;
};

// `reason` cut to at most `max_bytes` bytes without splitting a UTF-8
// character, ending in "..." when it was cut.
std::string TruncateReason(std::string_view reason, size_t max_bytes);

// How requests are batched: a requested cycle starts once no request came
// for `quiet`, or `max_delay` after the first waiting request, whichever is
// sooner. Both zero: at once.
struct RequestBatching {
  std::chrono::milliseconds quiet{0};
  std::chrono::milliseconds max_delay{0};
};

// What the loop should do next; pure, tested with time values.
class Schedule {
 public:
  using TimePoint = Clock::time_point;
  using Duration = std::chrono::milliseconds;

  enum class Action { kNone, kCycle, kGitPoll };

  Schedule(Duration automation_interval, Duration git_poll_interval, RequestBatching batching = {});

  // The action due at `now`: a due requested cycle or a due interval cycle
  // first, then a due git poll. The first call always asks for a cycle.
  Action Due(TimePoint now, const std::optional<PendingRequests>& pending) const;
  // Records that `action` ran, finishing at `now`.
  void Ran(Action action, TimePoint now);
  // When Due() will next return something (TimePoint::min() before the
  // first cycle).
  TimePoint NextWake(const std::optional<PendingRequests>& pending) const;

 private:
  TimePoint RequestDue(const PendingRequests& pending) const;

  Duration automation_interval_;
  Duration git_poll_interval_;
  RequestBatching batching_;
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
  // Asks for a cycle (see RequestBatching for when it runs). Thread-safe,
  // never blocks on a cycle, costs bounded memory (RequestQueue).
  void RequestCycle(std::string_view reason);
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
  RequestQueue requests_;  // guarded by mu_
  bool woken_ = false;     // guarded by mu_: Wake() or a new request
  std::atomic<bool> stop_{false};
};

}  // namespace tagflow::daemon
