#include "notify/notifier.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <utility>

#include "notify/links.h"

namespace tagflow::notify {
namespace {

using std::chrono::milliseconds;

bool IsSuccess(int status) { return status >= 200 && status < 300; }
bool IsRetryableStatus(int status) { return status == 408 || status == 429 || status >= 500; }

// The first line of a response body, at most 200 bytes: Slack says what is
// wrong there ("invalid_token", "channel_not_found").
std::string BodySnippet(std::string_view body) {
  body = body.substr(0, std::min(body.find_first_of("\r\n"), size_t{200}));
  return body.empty() ? "" : fmt::format(": {}", body);
}

std::string ReplaceAll(std::string text, std::string_view what, std::string_view with) {
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + with.size())) {
    text.replace(at, what.size(), with);
  }
  return text;
}

milliseconds Backoff(int attempts, milliseconds initial, milliseconds max,
                     std::optional<std::chrono::seconds> retry_after) {
  milliseconds delay = initial;
  for (int i = 1; i < attempts && delay < max; ++i) delay *= 2;
  if (retry_after) delay = std::max<milliseconds>(delay, *retry_after);
  return std::min(delay, max);
}

}  // namespace

Result<std::unique_ptr<Notifier>> Notifier::Create(NotifierOptions options, Sender& sender,
                                                   Clock& clock) {
  auto check_url = [](std::string_view flag, const std::string& url) -> Result<void> {
    if (url.empty() || IsHttpUrl(url)) return {};
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("{}: not an http:// or https:// URL: {}", flag,
                            RedactUrl(url, UrlRedaction::kCredentialsAndPath)));
  };
  for (auto [flag, url] :
       {std::pair<std::string_view, const std::string&>{"--slack-url", options.slack_url},
        {"--slack-icon-url", options.slack_icon_url},
        {"--notify-webhook", options.webhook_url},
        {"--teams-url", options.teams_url},
        {"--discord-url", options.discord_url},
        {"--googlechat-url", options.googlechat_url},
        {"--slack-api-url", options.slack_api_url},
        {"--git-web-url", options.git_web_url}}) {
    if (auto ok = check_url(flag, url); !ok) return Fail(ok.error());
  }
  if (!options.slack_token.empty()) {
    if (!options.slack_url.empty()) {
      return Fail(ErrorKind::kInvalidInput,
                  "--slack-token and --slack-url: use one (the Web API or an incoming webhook)");
    }
    if (options.slack_channel.empty()) {
      return Fail(ErrorKind::kInvalidInput,
                  "--slack-token needs --slack-channel (where messages without a "
                  "tagflow.io/notify-channel go)");
    }
    if (Result<void> ok = CheckSlackToken(options.slack_token); !ok) return Fail(ok.error());
  }
  if (options.repeat_interval.count() < 0) {
    return Fail(ErrorKind::kInvalidInput, "--notify-repeat-interval: must not be negative");
  }
  if (options.queue_capacity == 0 || options.max_attempts < 1 ||
      options.request_timeout.count() <= 0 || options.initial_backoff.count() <= 0 ||
      options.max_backoff < options.initial_backoff || options.max_wait.count() <= 0 ||
      options.min_interval.count() < 0) {
    return Fail(ErrorKind::kInvalidInput,
                "notifier: queue capacity, attempts, timeout and backoff "
                "must be positive (max_backoff >= initial_backoff)");
  }
  auto messages = Messages::Create(options.slack_template_success, options.slack_template_failure);
  if (!messages) return Fail(messages.error());
  std::vector<Destination> destinations;
  if (!options.slack_url.empty()) {
    destinations.push_back({DestinationKind::kSlack, options.slack_url, options.slack_channel,
                            options.slack_username, options.slack_icon_url, ""});
  }
  if (!options.slack_token.empty()) {
    destinations.push_back({DestinationKind::kSlackApi, options.slack_api_url,
                            options.slack_channel, options.slack_username, options.slack_icon_url,
                            "", options.slack_token});
  }
  if (!options.webhook_url.empty()) {
    destinations.push_back(
        {DestinationKind::kWebhook, options.webhook_url, "", "", "", options.webhook_secret});
  }
  for (auto [kind, url] : {std::pair{DestinationKind::kTeams, options.teams_url},
                           {DestinationKind::kDiscord, options.discord_url},
                           {DestinationKind::kGoogleChat, options.googlechat_url}}) {
    if (!url.empty()) destinations.push_back({kind, url, "", "", "", ""});
  }
  return std::unique_ptr<Notifier>(new Notifier(std::move(options), std::move(*messages),
                                                std::move(destinations), sender, clock));
}

Notifier::Notifier(NotifierOptions options, Messages messages,
                   std::vector<Destination> destinations, Sender& sender, Clock& clock)
    : options_(std::move(options)),
      messages_(std::move(messages)),
      destinations_(std::move(destinations)),
      repo_web_url_(RepoWebUrl(options_.git_url, options_.git_web_url)),
      sender_(sender),
      clock_(clock),
      alerts_(options_.repeat_interval),
      router_(options_.slack_channel),
      last_attempt_(destinations_.size()) {
  worker_ = std::thread([this] { Run(); });
}

Notifier::~Notifier() { Stop(clock_.Now()); }

void Notifier::Notify(const Event& reported) {
  Event event = reported;
  if (event.commit_url.empty()) event.commit_url = CommitWebUrl(repo_web_url_, event.commit);
  std::vector<Event> events;
  std::vector<RoutedMessage> routed;
  {
    std::lock_guard guard(mu_);
    if (stopping_) {
      ++stats_.dropped;
      return;
    }
    events = alerts_.OnEvent(event, clock_.Now());
    routed = RouteLocked(events);
  }
  Enqueue(events, routed);
}

void Notifier::CycleOk() {
  std::vector<Event> events;
  std::vector<RoutedMessage> routed;
  {
    std::lock_guard guard(mu_);
    if (stopping_) return;
    events = alerts_.OnCycleOk(clock_.Now());
    routed = RouteLocked(events);
  }
  Enqueue(events, routed);
}

std::vector<RoutedMessage> Notifier::RouteLocked(const std::vector<Event>& events) {
  bool slack = std::ranges::any_of(destinations_, [](const Destination& d) {
    return d.kind == DestinationKind::kSlack || d.kind == DestinationKind::kSlackApi;
  });
  std::vector<RoutedMessage> out;
  if (!slack) return out;
  for (const Event& event : events) {
    std::vector<RoutedMessage> messages = router_.Route(event, clock_.Now());
    std::move(messages.begin(), messages.end(), std::back_inserter(out));
  }
  return out;
}

void Notifier::Enqueue(const std::vector<Event>& events, const std::vector<RoutedMessage>& routed) {
  // Formatting happens outside the lock; it needs only immutable members.
  std::vector<Delivery> deliveries;
  for (size_t i = 0; i < destinations_.size(); ++i) {
    const Destination& d = destinations_[i];
    if (d.kind == DestinationKind::kSlackApi) {
      for (const RoutedMessage& r : routed) {
        Delivery delivery{i, r.event.kind, {}};
        delivery.slack =
            SlackCall{r.role, r.channel, SlackMessage(r.event, messages_, d, r.channel)};
        deliveries.push_back(std::move(delivery));
      }
    } else if (d.kind == DestinationKind::kSlack) {
      for (const RoutedMessage& r : routed) {
        if (r.role == SlackRole::kClose) continue;  // an incoming webhook cannot edit
        Destination to = d;
        to.channel = r.channel;  // the legacy `channel` field
        deliveries.push_back({i, r.event.kind, DeliveryRequest(to, r.event, messages_)});
      }
    } else {
      for (const Event& event : events) {
        deliveries.push_back({i, event.kind, DeliveryRequest(d, event, messages_)});
      }
    }
  }
  if (deliveries.empty()) return;
  {
    std::lock_guard guard(mu_);
    for (Delivery& delivery : deliveries) {
      if (stopping_) {
        ++stats_.dropped;
        continue;
      }
      if (queue_.size() >= options_.queue_capacity) DropOldestLocked();
      delivery.request.timeout = options_.request_timeout;
      delivery.request.cancel = &cancel_;
      delivery.due = clock_.Now();
      queue_.push_back(std::move(delivery));
    }
  }
  wake_.notify_all();
}

void Notifier::DropOldestLocked() {
  const Delivery& oldest = queue_.front();
  ++stats_.dropped;
  spdlog::warn("notify: queue full, dropped oldest target={} kind={} dropped_total={}",
               DestinationName(destinations_[oldest.target].kind), EventKindName(oldest.kind),
               stats_.dropped);
  queue_.pop_front();
}

Clock::time_point Notifier::DueLocked(const Delivery& delivery) const {
  const std::optional<Clock::time_point>& last = last_attempt_[delivery.target];
  bool limited = destinations_[delivery.target].kind != DestinationKind::kWebhook;
  if (!last || !limited) return delivery.due;
  return std::max(delivery.due, *last + options_.min_interval);
}

std::optional<size_t> Notifier::NextLocked() const {
  std::optional<size_t> best;
  std::vector<bool> seen(destinations_.size(), false);
  for (size_t i = 0; i < queue_.size(); ++i) {
    if (seen[queue_[i].target]) continue;
    seen[queue_[i].target] = true;
    if (!best || DueLocked(queue_[i]) < DueLocked(queue_[*best])) best = i;
  }
  return best;
}

void Notifier::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    Clock::time_point now = clock_.Now();
    if (stopping_ && (queue_.empty() || now >= stop_deadline_)) break;
    std::optional<size_t> next = NextLocked();
    if (!next) {
      wake_.wait(lock);  // Notify and Stop wake us
      continue;
    }
    if (Clock::time_point due = DueLocked(queue_[*next]); due > now) {
      WaitLocked(lock, wake_, (stopping_ ? std::min(due, stop_deadline_) : due) - now);
      continue;
    }
    Delivery delivery = std::move(queue_[*next]);
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(*next));
    if (delivery.slack && !PrepareLocked(delivery)) {
      threads_.Closed(*delivery.slack);  // a kClose whose thread never opened
      continue;
    }
    if (stopping_) {  // the last attempt must end by the deadline
      auto left = std::chrono::duration_cast<milliseconds>(stop_deadline_ - now);
      delivery.request.timeout = std::clamp(left, milliseconds(1), delivery.request.timeout);
    }
    in_flight_ = true;
    last_attempt_[delivery.target] = now;
    lock.unlock();
    Result<PostResponse> result = sender_.Post(delivery.request);
    lock.lock();
    in_flight_ = false;
    FinishLocked(std::move(delivery), result, clock_.Now());
  }
  worker_done_ = true;
  done_cv_.notify_all();
}

bool Notifier::PrepareLocked(Delivery& delivery) const {
  const Destination& d = destinations_[delivery.target];
  std::optional<PostRequest> request = threads_.Request(*delivery.slack, d.url, d.token);
  if (!request) return false;
  delivery.request.url = std::move(request->url);
  delivery.request.body = std::move(request->body);
  delivery.request.headers = std::move(request->headers);
  return true;
}

void Notifier::WaitLocked(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          Clock::duration left) {
  cv.wait_for(lock, std::min<Clock::duration>(left, options_.max_wait));
}

void Notifier::FinishLocked(Delivery delivery, const Result<PostResponse>& result,
                            Clock::time_point now) {
  ++delivery.attempts;
  const Destination& destination = destinations_[delivery.target];
  std::string_view target = DestinationName(destination.kind);
  std::optional<SlackAnswer> answer;
  if (delivery.slack && result) answer = ReadSlackAnswer(*result);
  if (result && IsSuccess(result->status) && (!answer || answer->ok)) {
    ++stats_.sent;
    if (delivery.slack) {
      threads_.Answered(*delivery.slack, answer->channel, answer->ts);
      if (delivery.slack->role == SlackRole::kClose) threads_.Closed(*delivery.slack);
    }
    spdlog::debug("notify: sent target={} kind={} attempts={}", target,
                  EventKindName(delivery.kind), delivery.attempts);
    return;
  }
  const std::string& url = delivery.request.url;
  std::string error;
  bool retryable = false;
  if (answer) {  // Slack's own code says what went wrong; the token is never part of it
    error = fmt::format("{} channel={}: slack_error={} http_status={}",
                        SlackMethod(delivery.slack->role), delivery.slack->channel, answer->error,
                        result->status);
    retryable = IsRetryableStatus(result->status) || IsRetryableSlackError(answer->error);
  } else {
    error = result ? fmt::format("POST {}: HTTP {}{}",
                                 RedactUrl(url, UrlRedaction::kCredentialsAndPath), result->status,
                                 BodySnippet(result->body))
                   : result.error().message;
    retryable =
        result ? IsRetryableStatus(result->status) : result.error().kind == ErrorKind::kTransient;
  }
  error = ScrubUrl(std::move(error), url);
  if (!destination.token.empty()) error = ReplaceAll(std::move(error), destination.token, "***");
  stats_.last_error = error;
  milliseconds delay = Backoff(delivery.attempts, options_.initial_backoff, options_.max_backoff,
                               result ? result->retry_after : std::nullopt);
  bool in_time = !stopping_ || now + delay < stop_deadline_;
  if (retryable && in_time && delivery.attempts < options_.max_attempts) {
    ++stats_.retried;
    spdlog::warn(
        "notify: send failed, will retry target={} kind={} attempt={}/{} retry_in_ms={} "
        "error=\"{}\"",
        target, EventKindName(delivery.kind), delivery.attempts, options_.max_attempts,
        delay.count(), error);
    delivery.due = now + delay;
    queue_.push_front(std::move(delivery));  // still the oldest of its target
    if (queue_.size() > options_.queue_capacity) DropOldestLocked();
    return;
  }
  ++stats_.failed;
  if (delivery.slack && delivery.slack->role == SlackRole::kClose) threads_.Closed(*delivery.slack);
  spdlog::error("notify: giving up target={} kind={} attempts={} error=\"{}\"", target,
                EventKindName(delivery.kind), delivery.attempts, error);
}

size_t Notifier::Stop(Clock::time_point deadline) {
  {
    std::unique_lock lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = deadline;
      Clock::time_point now = clock_.Now();
      for (Delivery& d : queue_) d.due = std::min(d.due, now);  // no more waiting on backoff
    }
    wake_.notify_all();
    for (auto now = clock_.Now(); !worker_done_ && now < stop_deadline_; now = clock_.Now()) {
      WaitLocked(lock, done_cv_, stop_deadline_ - now);
    }
  }
  cancel_ = true;  // ends an attempt still in flight at the deadline
  if (worker_.joinable()) worker_.join();
  std::lock_guard guard(mu_);
  size_t left = queue_.size();
  stats_.dropped += left;
  queue_.clear();
  if (left > 0) spdlog::warn("notify: stopped with {} notification(s) unsent", left);
  return left;
}

NotifierStats Notifier::stats() const {
  std::lock_guard guard(mu_);
  NotifierStats stats = stats_;
  stats.queued = queue_.size() + (in_flight_ ? 1 : 0);
  return stats;
}

bool Notifier::failing() const {
  std::lock_guard guard(mu_);
  return alerts_.failing();
}

}  // namespace tagflow::notify
