// Time behind an interface: the wall clock for token expiry, rate limits and
// back-off, and the loop's timestamps. Logic never reads the clock directly;
// it takes a `Clock&`, and tests pass a FakeClock and move time themselves.
#pragma once

#include <chrono>
#include <mutex>
#include <thread>

namespace tagflow {

class Clock {
 public:
  using time_point = std::chrono::system_clock::time_point;
  using duration = std::chrono::system_clock::duration;

  virtual ~Clock() = default;
  // The current wall-clock time.
  virtual time_point Now() = 0;
  // Blocks the calling thread for `d` (returns at once for d <= 0).
  virtual void SleepFor(duration d) = 0;
};

// The real clock: std::chrono::system_clock and std::this_thread::sleep_for.
class SystemClock : public Clock {
 public:
  time_point Now() override { return std::chrono::system_clock::now(); }
  void SleepFor(duration d) override {
    if (d > duration::zero()) std::this_thread::sleep_for(d);
  }
};

// A clock that moves only when told to. SleepFor returns at once and advances
// the time by `d`, so code that waits (back-off, rate limits) runs instantly
// in tests while still observing the time it waited. Thread-safe.
class FakeClock : public Clock {
 public:
  // Starts at `start` (default 2024-01-01T00:00:00Z).
  explicit FakeClock(time_point start = time_point(std::chrono::seconds(1704067200)))
      : now_(start) {}

  time_point Now() override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void SleepFor(duration d) override {
    if (d <= duration::zero()) return;
    std::lock_guard lock(mu_);
    now_ += d;
    slept_ += d;
  }
  // Moves the time forward by `d` without counting it as sleep.
  void Advance(duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }
  // Total time spent in SleepFor so far.
  duration slept() {
    std::lock_guard lock(mu_);
    return slept_;
  }

 private:
  std::mutex mu_;
  time_point now_;
  duration slept_{};
};

}  // namespace tagflow
