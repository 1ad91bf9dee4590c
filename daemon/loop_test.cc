#include "daemon/loop.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <thread>

#include "test/support/process.h"

namespace tagflow::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::ElementsAre;
using Action = Schedule::Action;

TEST(ScheduleTest, FirstCallRunsACycle) {
  Schedule s(minutes(5), minutes(1));
  FakeClock clock;
  EXPECT_EQ(s.Due(clock.Now(), std::nullopt), Action::kCycle);
}

TEST(ScheduleTest, CyclesEveryIntervalAndPollsInBetween) {
  Schedule s(minutes(5), minutes(2));
  FakeClock clock;
  auto t0 = clock.Now();
  s.Ran(Action::kCycle, t0);
  EXPECT_EQ(s.Due(t0 + minutes(1), std::nullopt), Action::kNone);
  EXPECT_EQ(s.NextWake(std::nullopt), t0 + minutes(2));
  EXPECT_EQ(s.Due(t0 + minutes(2), std::nullopt), Action::kGitPoll);
  s.Ran(Action::kGitPoll, t0 + minutes(2));
  EXPECT_EQ(s.Due(t0 + minutes(3), std::nullopt), Action::kNone);
  EXPECT_EQ(s.Due(t0 + minutes(4), std::nullopt), Action::kGitPoll);
  s.Ran(Action::kGitPoll, t0 + minutes(4));
  EXPECT_EQ(s.Due(t0 + minutes(5), std::nullopt), Action::kCycle);
}

TEST(ScheduleTest, RequestRunsACycleAtOnceWithoutBatching) {
  Schedule s(minutes(5), minutes(5));
  FakeClock clock;
  s.Ran(Action::kCycle, clock.Now());
  auto t = clock.Now() + seconds(1);
  EXPECT_EQ(s.Due(t, PendingRequests{t, t}), Action::kCycle);
}

TEST(ScheduleTest, BatchedRequestWaitsForQuietOrMaxDelay) {
  Schedule s(minutes(5), minutes(0), RequestBatching{seconds(1), seconds(10)});
  FakeClock clock;
  auto t0 = clock.Now();
  s.Ran(Action::kCycle, t0);
  // One request: due once a second passed without another.
  PendingRequests one{t0, t0};
  EXPECT_EQ(s.Due(t0 + milliseconds(999), one), Action::kNone);
  EXPECT_EQ(s.NextWake(one), t0 + seconds(1));
  EXPECT_EQ(s.Due(t0 + seconds(1), one), Action::kCycle);
  // A steady stream (the latest always recent): due 10 s after the first.
  PendingRequests stream{t0, t0 + seconds(9) + milliseconds(900)};
  EXPECT_EQ(s.Due(t0 + seconds(9) + milliseconds(950), stream), Action::kNone);
  EXPECT_EQ(s.NextWake(stream), t0 + seconds(10));
  EXPECT_EQ(s.Due(t0 + seconds(10), stream), Action::kCycle);
  // Without requests only the interval counts.
  EXPECT_EQ(s.NextWake(std::nullopt), t0 + minutes(5));
}

TEST(ScheduleTest, ZeroPollIntervalDisablesPolling) {
  Schedule s(minutes(5), minutes(0));
  FakeClock clock;
  s.Ran(Action::kCycle, clock.Now());
  EXPECT_EQ(s.Due(clock.Now() + minutes(4), std::nullopt), Action::kNone);
  EXPECT_EQ(s.NextWake(std::nullopt), clock.Now() + minutes(5));
}

TEST(TruncateReasonTest, CutsOnACharacterBoundary) {
  EXPECT_EQ(TruncateReason("short", 10), "short");
  EXPECT_EQ(TruncateReason("abcdefghijkl", 10), "abcdefg...");
  // "\xc3\xa9" is one character (e-acute): never cut in half.
  EXPECT_EQ(TruncateReason("abcdef\xc3\xa9zzzz", 10), "abcdef...");
  EXPECT_EQ(TruncateReason("abcde\xc3\xa9zzzz", 10), "abcde\xc3\xa9...");
  EXPECT_EQ(TruncateReason("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 8),
            "\xf0\x9f\x98\x80...");
}

TEST(RequestQueueTest, DeduplicatesAndRemembersWhen) {
  FakeClock clock;
  RequestQueue q;
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.pending().has_value());
  auto t0 = clock.Now();
  q.Add("hook registry a", t0);
  q.Add("hook registry a", t0 + seconds(1));
  q.Add("sync", t0 + seconds(2));
  ASSERT_TRUE(q.pending().has_value());
  EXPECT_EQ(q.pending()->first, t0);
  EXPECT_EQ(q.pending()->last, t0 + seconds(2));
  EXPECT_THAT(q.Take(), ElementsAre("hook registry a", "sync"));
  EXPECT_TRUE(q.empty());
  EXPECT_TRUE(q.Take().empty());
}

TEST(RequestQueueTest, KeepsBoundedReasonsAndCountsTheRest) {
  FakeClock clock;
  RequestQueue q;
  std::string huge(1 << 20, 'r');  // a 1 MiB repository name
  for (int i = 0; i < 300; ++i) q.Add(std::to_string(i) + huge, clock.Now());
  std::vector<std::string> reasons = q.Take();
  ASSERT_EQ(reasons.size(), RequestQueue::kMaxReasons + 1);
  size_t bytes = 0;
  for (const std::string& r : reasons) {
    EXPECT_LE(r.size(), RequestQueue::kMaxReasonBytes);
    bytes += r.size();
  }
  EXPECT_LE(bytes, (RequestQueue::kMaxReasons + 1) * RequestQueue::kMaxReasonBytes);
  EXPECT_EQ(reasons.back(), "and 290 more requests");
}

// The loop on a thread, driven by a FakeClock.
class LoopTest : public ::testing::Test {
 protected:
  void Start(bool poll_moves = false, RequestBatching batching = {}) {
    poll_moves_ = poll_moves;
    Loop::Callbacks cb;
    cb.cycle = [this](const std::vector<std::string>& reasons) {
      std::unique_lock lock(mu_);
      cycles_.push_back(reasons);
      in_cycle_++;
      max_in_cycle_ = std::max(max_in_cycle_, in_cycle_);
      // A test may hold the cycle open (release_ false) to queue requests.
      gate_.wait(lock, [this] { return release_; });
      in_cycle_--;
    };
    cb.git_poll = [this] {
      polls_++;
      return poll_moves_.load();
    };
    loop_ = std::make_unique<Loop>(cb, clock_, Schedule(minutes(5), minutes(1), batching));
    thread_ = std::thread([this] { loop_->Run(); });
  }
  void TearDown() override {
    Hold(false);
    if (loop_) loop_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  // While held, a cycle that starts stays open until Hold(false).
  void Hold(bool hold) {
    {
      std::lock_guard lock(mu_);
      release_ = !hold;
    }
    gate_.notify_all();
  }
  bool InCycle() {
    std::lock_guard lock(mu_);
    return in_cycle_ > 0;
  }
  size_t Cycles() {
    std::lock_guard lock(mu_);
    return cycles_.size();
  }
  std::vector<std::string> LastReasons() {
    std::lock_guard lock(mu_);
    return cycles_.back();
  }

  FakeClock clock_;
  std::unique_ptr<Loop> loop_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable gate_;
  bool release_ = true;  // guarded by mu_
  std::vector<std::vector<std::string>> cycles_;
  int in_cycle_ = 0, max_in_cycle_ = 0;
  std::atomic<int> polls_{0};
  std::atomic<bool> poll_moves_{false};
};

TEST_F(LoopTest, RunsAtStartThenOnTheInterval) {
  Start();
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 1; }));
  clock_.Advance(minutes(5));
  loop_->Wake();
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 2; }));
  EXPECT_THAT(LastReasons(), ::testing::ElementsAre("interval"));
  // The cycle was due as well as a git poll: the cycle syncs git itself, so
  // no separate poll ran.
  EXPECT_EQ(polls_.load(), 0);
}

TEST_F(LoopTest, RequestedCycleRunsWithoutWaitingForTheInterval) {
  Start();
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 1; }));
  loop_->RequestCycle("webhook localhost:5000/app");
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 2; }));
  EXPECT_THAT(LastReasons(), ::testing::ElementsAre("webhook localhost:5000/app"));
}

TEST_F(LoopTest, GitPollThatSeesAMoveRunsACycle) {
  Start(/*poll_moves=*/true);
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 1; }));
  clock_.Advance(minutes(1));
  loop_->Wake();
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 2; }));
  EXPECT_EQ(polls_.load(), 1);
  EXPECT_THAT(LastReasons(), ::testing::ElementsAre("git branch moved"));
}

TEST_F(LoopTest, GitPollWithoutAMoveRunsNoCycle) {
  Start(/*poll_moves=*/false);
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 1; }));
  clock_.Advance(minutes(1));
  loop_->Wake();
  ASSERT_TRUE(testing::WaitFor([&] { return polls_.load() == 1; }));
  EXPECT_EQ(Cycles(), 1u);
}

TEST_F(LoopTest, ManyRequestsNeverOverlap) {
  Start();
  std::vector<std::thread> senders;
  for (int i = 0; i < 8; ++i)
    senders.emplace_back([this, i] { loop_->RequestCycle("hook " + std::to_string(i % 2)); });
  for (auto& t : senders) t.join();
  ASSERT_TRUE(testing::WaitFor([&] {
    std::lock_guard lock(mu_);
    return !cycles_.empty();
  }));
  std::lock_guard lock(mu_);
  EXPECT_EQ(max_in_cycle_, 1);
}

TEST_F(LoopTest, ABurstOfRequestsRunsOneCycle) {
  Start(false, RequestBatching{seconds(1), seconds(10)});
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 1; }));
  std::vector<std::thread> senders;
  for (int i = 0; i < 4; ++i) {
    senders.emplace_back([this] {
      for (int j = 0; j < 250; ++j) loop_->RequestCycle("hook registry localhost:5000/web");
    });
  }
  for (auto& t : senders) t.join();
  loop_->RequestCycle("sync");
  // The clock has not moved: the burst waits for a quiet second.
  EXPECT_EQ(Cycles(), 1u);
  clock_.Advance(seconds(1));
  loop_->Wake();
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 2; }));
  EXPECT_THAT(LastReasons(), ElementsAre("hook registry localhost:5000/web", "sync"));
  // A later request runs a cycle of its own, and nothing ran in between.
  loop_->RequestCycle("marker");
  clock_.Advance(seconds(1));
  loop_->Wake();
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 3; }));
  EXPECT_THAT(LastReasons(), ElementsAre("marker"));
}

TEST_F(LoopTest, RequestsDuringACycleCollapseIntoOneFollowUp) {
  Start();
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 1; }));
  Hold(true);
  loop_->RequestCycle("first");
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 2 && InCycle(); }));
  for (int i = 0; i < 100; ++i) loop_->RequestCycle("during " + std::to_string(i % 3));
  Hold(false);
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 3; }));
  EXPECT_THAT(LastReasons(), ElementsAre("during 0", "during 1", "during 2"));
  // Cycles run one after another, so if the requests above had run a fourth
  // cycle it would come before the marker's.
  loop_->RequestCycle("marker");
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 4; }));
  EXPECT_THAT(LastReasons(), ElementsAre("marker"));
}

TEST_F(LoopTest, StopEndsRun) {
  Start();
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 1; }));
  loop_->Stop();
  thread_.join();
  EXPECT_TRUE(loop_->stopping());
}

}  // namespace
}  // namespace tagflow::daemon
