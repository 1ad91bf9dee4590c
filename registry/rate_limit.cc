#include "registry/rate_limit.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "base/strings.h"

namespace tagflow::registry {
namespace {}  // namespace

HostRateLimiter::HostRateLimiter(Clock& clock, RateLimitOptions options)
    : clock_(clock), options_(options) {}

Result<void> HostRateLimiter::Acquire(std::string_view host) {
  auto cancelled = [&] {
    return Fail(ErrorKind::kTransient,
                fmt::format("registry request to {} cancelled: shutting down", host));
  };
  if (Cancelled()) return cancelled();
  Clock::duration wait{};
  {
    std::lock_guard lock(mu_);
    auto it = buckets_.find(host);
    if (it == buckets_.end()) it = buckets_.emplace(std::string(host), Bucket{}).first;
    Bucket& b = it->second;
    Clock::time_point now = clock_.Now();
    if (b.backoff_until > now) {
      wait = b.backoff_until - now;
      if (wait > options_.max_wait) {
        return Fail(ErrorKind::kTransient,
                    fmt::format("registry {} is rate-limiting us; backing off until {}", host,
                                FormatRfc3339(b.backoff_until, TimePrecision::kSeconds)));
      }
    }
    if (options_.rps > 0) {
      double burst = std::max(1, options_.burst);
      if (b.fresh) {
        b.tokens = burst;
        b.fresh = false;
      } else {
        double elapsed = std::chrono::duration<double>(now - b.last).count();
        b.tokens = std::min(burst, b.tokens + std::max(0.0, elapsed) * options_.rps);
      }
      b.last = now;
      b.tokens -= 1;
      if (b.tokens < 0) {
        auto deficit = std::chrono::duration<double>(-b.tokens / options_.rps);
        wait = std::max(wait, std::chrono::duration_cast<Clock::duration>(deficit));
      }
    }
  }
  // Sleep in slices so a cancel is seen quickly.
  const Clock::duration slice = std::chrono::milliseconds(100);
  while (wait > Clock::duration::zero()) {
    if (Cancelled()) return cancelled();
    Clock::duration step = std::min(wait, slice);
    clock_.SleepFor(step);
    wait -= step;
  }
  return {};
}

void HostRateLimiter::BackOff(std::string_view host, Clock::duration wait) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(host);
  if (it == buckets_.end()) it = buckets_.emplace(std::string(host), Bucket{}).first;
  it->second.backoff_until = std::max(it->second.backoff_until, clock_.Now() + wait);
}

std::optional<Clock::time_point> HostRateLimiter::BackoffUntil(std::string_view host) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(host);
  if (it == buckets_.end() || it->second.backoff_until <= clock_.Now()) return std::nullopt;
  return it->second.backoff_until;
}

bool IsTooManyRequests(const HttpResponse& response) {
  if (response.status == 429) return true;
  if (response.status < 400) return false;
  return Lower(std::string_view(response.body).substr(0, 4096)).find("toomanyrequests") !=
         std::string::npos;
}

ThrottledHttpClient::ThrottledHttpClient(HttpClient& inner, HostRateLimiter& limiter,
                                         RegistryStats& metrics, Clock& clock)
    : inner_(inner), limiter_(limiter), metrics_(metrics), clock_(clock) {}

Result<HttpResponse> ThrottledHttpClient::Send(const HttpRequest& request) {
  auto url = ParseUrl(request.url);
  if (!url) return Fail(url.error());
  const std::string& host = url->authority;
  RequestKind kind = ClassifyRequest(request.method, request.url);
  const RateLimitOptions& opts = limiter_.options();
  for (int attempt = 0;; ++attempt) {
    if (auto ok = limiter_.Acquire(host); !ok) return Fail(ok.error());
    auto response = inner_.Send(request);
    metrics_.CountRequest(host, kind, response ? response->status : 0);
    if (!response || !IsTooManyRequests(*response)) return response;
    auto wait = ParseRetryAfter(response->Header("retry-after"), clock_.Now());
    if (!wait) wait = opts.initial_backoff * (1 << std::min(attempt, 10));
    limiter_.BackOff(host, *wait);
    if (attempt >= opts.max_retries || *wait > opts.max_wait) return response;
  }
}

}  // namespace tagflow::registry
