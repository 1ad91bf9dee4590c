// One writer per repository (--cache-url, DESIGN.md §5): a lease on
// `<git-url>#<branch>` in Redis, so two daemons on one repository (a mistake,
// or two replicas of one Deployment for fail-over) never race each other's
// pushes. The value is a random owner id; the holder takes it with
// `SET NX PX ttl` and renews it every `renew` with a compare-and-set script;
// a standby tries every `retry` and takes over once the lease expired.
//
// Redis down or slow (the client fails fast, registry/redis.h):
//   - the holder keeps pushing while its lease would still be valid by its
//     own clock (last confirmed renewal, measured from before the command was
//     sent, + ttl), then stops pushing (state kUnknown);
//   - a standby never pushes without the lease.
// Safety first: with Redis gone for longer than the ttl nobody pushes; the
// cycles still run (scan, plan, report) without pushing.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/metrics.h"
#include "registry/redis.h"

namespace tagflow::daemon {

enum class LeaseState {
  kHolder,   // this daemon holds a valid lease: it may push
  kStandby,  // another daemon holds it: no cycles, take over when it expires
  kUnknown,  // Redis cannot tell and our lease (if any) ran out: cycles without pushing
};

std::string_view LeaseStateName(LeaseState s);

// What the daemon asks of a lease (a fake in unit tests).
class WriterLease {
 public:
  virtual ~WriterLease() = default;
  // The state now (kHolder only while the lease is valid by our own clock).
  virtual LeaseState state() = 0;
  // A line for /readyz.
  virtual std::string Describe() = 0;
};

struct LeaseOptions {
  std::chrono::milliseconds ttl{15'000};
  std::chrono::milliseconds renew{5'000};  // holder: renewal period
  std::chrono::milliseconds retry{2'000};  // standby / unknown: acquisition attempts
};

class RedisWriterLease : public WriterLease {
 public:
  // `name` is `<redacted git-url>#<branch>`. `on_acquired` runs on the
  // lease's thread each time the lease is taken (the daemon asks for a
  // cycle). Borrows `redis` and `clock`.
  RedisWriterLease(registry::RedisClient& redis, Clock& clock, std::string name,
                   LeaseOptions options, std::function<void()> on_acquired = {});
  ~RedisWriterLease() override;

  // One step: renew when holding, else try to take the lease. Run by the
  // thread; public for tests (with a FakeClock).
  void Step();
  // Starts the thread (first Step at once).
  void Start();
  // Stops the thread and releases the lease if held (clean shutdown: a
  // standby takes over at its next try instead of after the ttl).
  void Stop();

  LeaseState state() override;
  std::string Describe() override;
  const std::string& owner() const { return owner_; }
  // tagflow_writer_lease{state=...} gauges and takeover counters.
  void ExportTo(Metrics& out);

 private:
  registry::RedisClient& redis_;
  Clock& clock_;
  const std::string name_;
  const std::string key_;
  const std::string owner_;
  const LeaseOptions options_;
  std::function<void()> on_acquired_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;                // guarded by mu_: we took it and did not lose it
  bool other_holds_ = false;         // guarded by mu_: the last answer named another owner
  Clock::time_point valid_until_{};  // guarded by mu_
  bool stop_ = false;                // guarded by mu_
  std::atomic<uint64_t> acquired_{0};
  std::atomic<uint64_t> lost_{0};
  std::thread thread_;
};

}  // namespace tagflow::daemon
