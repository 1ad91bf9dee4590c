// Politeness per registry host: a token bucket (--registry-rps,
// --registry-burst) and back-off after 429 / TOOMANYREQUESTS that honours
// Retry-After. One host backing off never slows another.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/error.h"
#include "base/http.h"
#include "base/time.h"
#include "registry/stats.h"

namespace tagflow::registry {

struct RateLimitOptions {
  double rps = 200;     // sustained requests per second per host; <= 0: unlimited
  int burst = 125;      // requests a host may receive at once
  int max_retries = 3;  // retries of one request after 429
  // Longest wait a request sits out; a longer Retry-After fails the request
  // (kTransient) and every request to that host until the time has passed.
  Clock::duration max_wait = std::chrono::seconds(60);
  // Back-off after a 429 without Retry-After: doubles with each retry.
  Clock::duration initial_backoff = std::chrono::seconds(1);
};

// Token buckets keyed by host. Acquire reserves a slot and sleeps (through
// the clock) until it is due, so concurrent callers queue fairly.
class HostRateLimiter {
 public:
  HostRateLimiter(Clock& clock, RateLimitOptions options);

  // Waits until `host` may receive one more request. Fails (kTransient,
  // naming the host and the time) without waiting when the host is backing
  // off for longer than max_wait, and at once (or within 100 ms of waiting)
  // once the cancel flag is set.
  [[nodiscard]] Result<void> Acquire(std::string_view host);
  // A flag that, once true, makes every Acquire fail: the daemon sets it on
  // SIGTERM so a scan in progress ends within a request. Borrowed; null = none.
  void set_cancel(const std::atomic<bool>* cancel) { cancel_ = cancel; }
  // No request goes to `host` before now + `wait` (extends, never shortens).
  void BackOff(std::string_view host, Clock::duration wait);
  // The end of the host's back-off, if one is in force.
  std::optional<Clock::time_point> BackoffUntil(std::string_view host);

  const RateLimitOptions& options() const { return options_; }

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point last{};
    Clock::time_point backoff_until{};
    bool fresh = true;
  };

  bool Cancelled() const { return cancel_ != nullptr && cancel_->load(); }

  Clock& clock_;
  RateLimitOptions options_;
  const std::atomic<bool>* cancel_ = nullptr;
  std::mutex mu_;
  std::map<std::string, Bucket, std::less<>> buckets_;
};

// True for 429 and for any 4xx/5xx whose body carries the TOOMANYREQUESTS
// error code (Docker Hub).
bool IsTooManyRequests(const HttpResponse& response);

// An HttpClient that sends through `inner` under the limiter's rules, retries
// rate-limited requests after the wait they ask for, and counts every request
// in `metrics` by host (the request URL's authority), kind and status.
class ThrottledHttpClient : public HttpClient {
 public:
  ThrottledHttpClient(HttpClient& inner, HostRateLimiter& limiter, RegistryStats& metrics,
                      Clock& clock);

  Result<HttpResponse> Send(const HttpRequest& request) override;

 private:
  HttpClient& inner_;
  HostRateLimiter& limiter_;
  RegistryStats& metrics_;
  Clock& clock_;
};

}  // namespace tagflow::registry
