// Shared by the notify tests: sample events and a fixture that runs a
// Notifier over a given clock and sender.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/http.h"
#include "notify/event.h"
#include "notify/http_sender.h"
#include "notify/notifier.h"
#include "test/support/process.h"

namespace tagflow::notify::test {

// 2023-11-14T22:13:20Z
inline std::chrono::system_clock::time_point SampleTime() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
}

inline Event SuccessEvent() {
  Event e;
  e.kind = EventKind::kSuccess;
  e.changes = {{"default:deployment/web", "web", "nginx:1.25.1", "nginx:1.25.2"},
               {"prod:statefulset/db", "pg", "postgres:15.3", "postgres:15.4"}};
  e.commit = "0123456789abcdef0123456789abcdef01234567";
  e.branch = "main";
  e.repo_url = "https://git.example.com/fleet.git";
  e.time = SampleTime();
  return e;
}

inline Event FailureEvent(std::vector<EventError> errors = {
                              "apps/web.yaml: line 3: mapping values are not allowed here",
                              "registry.example.com: HTTP 503 <Service Unavailable>"}) {
  Event e;
  e.kind = EventKind::kFailure;
  e.errors = std::move(errors);
  e.branch = "main";
  e.repo_url = "https://git.example.com/fleet.git";
  e.time = SampleTime();
  return e;
}

// A registry error about a workload whose messages go to `channel`.
inline EventError ErrorIn(std::string channel, std::string message) {
  EventError e(Stage::kRegistry, std::move(message));
  e.channel = std::move(channel);
  return e;
}

// The daemon's sender, HttpSender over a CurlHttpClient of its own:
// default-constructible for fixtures.
class RealSender final : public Sender {
 public:
  [[nodiscard]] Result<PostResponse> Post(const PostRequest& request) override {
    return sender_.Post(request);
  }

 private:
  CurlHttpClient client_{CurlHttpClient::Options{}};
  HttpSender sender_{client_};
};

// Owns a clock, a sender and the Notifier under test (destroyed first).
template <class ClockT, class SenderT>
class NotifierFixture : public ::testing::Test {
 protected:
  void TearDown() override { notifier_.reset(); }

  void Start(NotifierOptions options) {
    auto created = Notifier::Create(std::move(options), sender_, clock_);
    ASSERT_TRUE(created.has_value()) << created.error().message;
    notifier_ = std::move(*created);
  }

  // Waits (real time, generously) until the worker's counters satisfy
  // `condition`.
  template <class F>
  bool WaitStats(F condition) {
    return tagflow::testing::WaitFor([&] { return condition(notifier_->stats()); },
                                     std::chrono::seconds(10));
  }

  ClockT clock_;
  SenderT sender_;
  std::unique_ptr<Notifier> notifier_;
};

}  // namespace tagflow::notify::test
