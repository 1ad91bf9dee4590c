// Which events are worth a message: the pure decision core of the Notifier.
//
//  - success: always sent; if the daemon was failing and the success carries
//    no errors, a "resolved" goes first. A success with `errors` set (a cycle
//    that pushed and also failed, which reports a failure too) never
//    resolves anything, and starts an incident when none is open.
//  - failure: sent when the daemon was not failing, when the set of errors
//    differs from the last one sent, or when `repeat_interval` has passed since
//    the last one sent (0 = send every failure). Otherwise suppressed.
//  - CycleOk (a cycle without errors and without changes): a "resolved" when
//    the daemon was failing, nothing otherwise.
// Two failures are "the same" when their sets of error messages are equal
// (order and duplicates aside; stages and parts are not compared).
// A "resolved" event carries the branch and repository of the last failure,
// its errors (what got resolved), the time it is made and, as its duration,
// how long the daemon was failing: from the first failure of the incident
// (sent or suppressed, a success with errors included) to the recovery.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "notify/event.h"

namespace tagflow::notify {

class AlertState {
 public:
  explicit AlertState(std::chrono::seconds repeat_interval) : repeat_interval_(repeat_interval) {}

  // The events to send, in order, for an event the daemon reported at `now`.
  // An event of kind kResolved is treated as a clean cycle at event.time.
  std::vector<Event> OnEvent(const Event& event, Clock::time_point now);
  // The events to send for a clean cycle that ended at `now`.
  std::vector<Event> OnCycleOk(Clock::time_point now);

  // True between a failure and the next success or clean cycle.
  bool failing() const { return last_failure_.has_value(); }

 private:
  std::vector<Event> Resolve(Clock::time_point when);

  std::chrono::seconds repeat_interval_;
  std::optional<Event> last_failure_;       // the last failure reported (sent or not)
  Clock::time_point failing_since_{};       // first failure of the open incident
  std::set<std::string> last_sent_errors_;  // error set of the last failure sent
  Clock::time_point last_sent_at_{};
};

}  // namespace tagflow::notify
