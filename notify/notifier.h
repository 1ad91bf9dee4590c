// The notifier: turns cycle outcomes into messages for Slack, Teams,
// Discord, Google Chat and the generic webhook, and delivers them from a
// background thread, so the automation loop never waits on a chat server.
//
// The daemon calls, once per cycle:
//   Notify(event)  when the cycle pushed a commit (kSuccess) or had errors
//                  (kFailure). A cycle that did both reports both: a success
//                  whose `errors` holds the cycle's errors, and a failure.
//   CycleOk()      when the cycle ended without errors and without a commit.
// A success without errors, or CycleOk, after failures sends one "resolved".
// AlertState decides what is worth a message (repeat interval, "resolved");
// each message becomes one delivery per configured destination
// (notify/payload.h). A success's commit gets a link to its web page when
// the repository's forge is known (notify/links.h).
//
// Slack (the incoming webhook or the Web API) gets one message per channel
// concerned (notify/channels.h: per-workload channels, an incident per
// channel). With --slack-token the Web API is used (notify/slack_api.h): a
// failure opens a thread, its repeats and its resolution are replies in it,
// and the resolution edits the thread's first message (chat.update). An
// answer {"ok":false,"error":<code>} counts as a failed attempt, logged with
// Slack's code (retried for ratelimited and Slack's own outages); the token
// is never logged.
//
// Deliveries wait in a bounded queue. When it is full the oldest is dropped
// (counted, logged). A worker thread sends them in order per destination,
// at most one per `min_interval` to each chat destination (Slack allows one
// message per second per webhook; the generic webhook is not limited); a
// transport error, 408, 429 or 5xx is retried with exponential backoff
// (doubling from `initial_backoff` up to `max_backoff`, at least Retry-After,
// whose seconds and HTTP-date forms both count) up to `max_attempts` tries;
// any other status is a permanent failure. A destination that is down holds
// back only its own messages. Retries go on during Stop, as long as they
// can start before its deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "notify/alert_state.h"
#include "notify/channels.h"
#include "notify/event.h"
#include "notify/payload.h"
#include "notify/sender.h"
#include "notify/slack_api.h"

namespace tagflow::notify {

struct NotifierOptions {
  std::string slack_url;    // --slack-url ("" = no Slack webhook)
  std::string slack_token;  // --slack-token: the token itself ("" = no Web API)
  std::string slack_api_url{kDefaultSlackApiUrl};  // --slack-api-url
  std::string slack_channel;                       // --slack-channel (required with a token)
  std::string slack_username;                      // --slack-username
  std::string slack_icon_url;                      // --slack-icon-url
  std::string slack_template_success;              // --slack-template-success ("" = built-in)
  std::string slack_template_failure;              // --slack-template-failure ("" = built-in)
  std::string webhook_url;                         // --notify-webhook ("" = none)
  std::string webhook_secret;                      // --notify-webhook-secret ("" = unsigned)
  std::chrono::seconds repeat_interval{3600};      // --notify-repeat-interval (0 = every failure)
  std::string teams_url;                           // --teams-url ("" = none)
  std::string discord_url;                         // --discord-url ("" = none)
  std::string googlechat_url;                      // --googlechat-url ("" = none)
  // For commit links only (never sent or logged): the configured --git-url
  // and --git-web-url (notify/links.h).
  std::string git_url;
  std::string git_web_url;

  // Tuning without flags.
  size_t queue_capacity = 100;                        // deliveries waiting, all targets
  std::chrono::milliseconds request_timeout{10'000};  // per attempt
  std::chrono::milliseconds initial_backoff{2'000};
  std::chrono::milliseconds max_backoff{300'000};
  int max_attempts = 8;
  // Least time between two attempts to one chat destination (0 = none).
  std::chrono::milliseconds min_interval{1'000};
  // Longest the worker sleeps before reading the clock again while a retry
  // or the shutdown deadline is pending: bounds the effect of wall-clock
  // jumps; tests with a FakeClock set it to a millisecond.
  std::chrono::milliseconds max_wait{1'000};
};

// Counters for /metrics. `failed` counts deliveries given up (permanent
// status, attempts exhausted, or the final attempt at shutdown failed);
// `retried` counts attempts that failed and were rescheduled; `dropped`
// counts deliveries thrown away unsent (queue full, after Stop, or left at
// the shutdown deadline).
struct NotifierStats {
  uint64_t sent = 0;
  uint64_t failed = 0;
  uint64_t retried = 0;
  uint64_t dropped = 0;
  size_t queued = 0;       // waiting or in flight
  std::string last_error;  // redacted; "" until the first failed attempt
};

class Notifier {
 public:
  // Validates `options` and starts the worker. Errors (kInvalidInput) name
  // the flag: a bad template (with line:column), a URL that is not http(s)
  // (quoted redacted), a negative interval, a token with --slack-url or
  // without --slack-channel, or unfit for a header (never quoted). `sender` and `clock` are
  // borrowed and must outlive the Notifier. With no target configured the Notifier accepts and
  // discards.
  [[nodiscard]] static Result<std::unique_ptr<Notifier>> Create(NotifierOptions options,
                                                                Sender& sender, Clock& clock);

  // Stops with an immediate deadline if Stop was not called.
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Reports a cycle outcome. Never blocks on the network: decides, formats,
  // enqueues and returns. Thread-safe.
  void Notify(const Event& event);
  // Reports a cycle with no errors and no commit. Thread-safe.
  void CycleOk();

  // Stops accepting events, then sends what is queued until the queue is
  // empty or `deadline` passes: waiting backoffs are cut short (each queued
  // delivery is due at once), the per-destination interval still holds, and
  // a failed attempt is retried after its backoff when that is before the
  // deadline (so a --once run survives one 500). An attempt in flight at the
  // deadline is cancelled (libcurl notices within about a second). What is
  // left is counted as dropped. Returns the number of deliveries dropped this
  // way. Idempotent; call it from one thread.
  size_t Stop(Clock::time_point deadline);

  NotifierStats stats() const;
  // True between a failure and the next success or clean cycle.
  bool failing() const;

 private:
  struct Delivery {
    size_t target;  // index into destinations_
    EventKind kind;
    PostRequest request;
    int attempts = 0;
    Clock::time_point due;
    // Web API deliveries: the call, made into `request` at each attempt
    // from what Slack answered before (threads_).
    std::optional<SlackCall> slack;
  };

  Notifier(NotifierOptions options, Messages messages, std::vector<Destination> destinations,
           Sender& sender, Clock& clock);
  // Queues a delivery of each event to each destination; Slack gets the
  // per-channel messages of `routed` instead.
  void Enqueue(const std::vector<Event>& events, const std::vector<RoutedMessage>& routed);
  // Routes `events` for Slack (none when Slack is not configured).
  std::vector<RoutedMessage> RouteLocked(const std::vector<Event>& events);
  // Makes the request of a Web API attempt; false when there is none to make.
  bool PrepareLocked(Delivery& delivery) const;
  void Run();
  // Drops the front of the queue (the oldest delivery), counted and logged.
  void DropOldestLocked();
  // The index of the next delivery to send (the head of each destination's
  // queue with the earliest due time), or nullopt when the queue is empty.
  std::optional<size_t> NextLocked() const;
  // When `delivery` may go: its due time, and not before min_interval after
  // the last attempt to its destination.
  Clock::time_point DueLocked(const Delivery& delivery) const;
  // Waits on `cv` for at most `left` and at most options_.max_wait.
  void WaitLocked(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                  Clock::duration left);
  // Books the outcome of one attempt; requeues it for a retry when allowed.
  void FinishLocked(Delivery delivery, const Result<PostResponse>& result, Clock::time_point now);

  const NotifierOptions options_;
  const Messages messages_;
  const std::vector<Destination> destinations_;
  const std::string repo_web_url_;  // "" = no commit links
  Sender& sender_;
  Clock& clock_;

  mutable std::mutex mu_;
  std::condition_variable wake_;     // work arrived, stop requested
  std::condition_variable done_cv_;  // worker finished
  AlertState alerts_;
  ChannelRouter router_;  // guarded by mu_
  SlackThreads threads_;  // guarded by mu_; only the worker changes it
  std::deque<Delivery> queue_;
  std::vector<std::optional<Clock::time_point>> last_attempt_;  // per destination
  NotifierStats stats_;
  bool in_flight_ = false;
  bool stopping_ = false;
  bool worker_done_ = false;
  Clock::time_point stop_deadline_{};
  std::atomic<bool> cancel_{false};
  std::thread worker_;
};

}  // namespace tagflow::notify
