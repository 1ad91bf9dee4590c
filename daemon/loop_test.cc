#include "daemon/loop.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "test/support/process.h"

namespace tagflow::daemon {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using Action = Schedule::Action;

TEST(ScheduleTest, FirstCallRunsACycle) {
  Schedule s(minutes(5), minutes(1));
  FakeClock clock;
  EXPECT_EQ(s.Due(clock.Now(), false), Action::kCycle);
}

TEST(ScheduleTest, CyclesEveryIntervalAndPollsInBetween) {
  Schedule s(minutes(5), minutes(2));
  FakeClock clock;
  auto t0 = clock.Now();
  s.Ran(Action::kCycle, t0);
  EXPECT_EQ(s.Due(t0 + minutes(1), false), Action::kNone);
  EXPECT_EQ(s.NextWake(), t0 + minutes(2));
  EXPECT_EQ(s.Due(t0 + minutes(2), false), Action::kGitPoll);
  s.Ran(Action::kGitPoll, t0 + minutes(2));
  EXPECT_EQ(s.Due(t0 + minutes(3), false), Action::kNone);
  EXPECT_EQ(s.Due(t0 + minutes(4), false), Action::kGitPoll);
  s.Ran(Action::kGitPoll, t0 + minutes(4));
  EXPECT_EQ(s.Due(t0 + minutes(5), false), Action::kCycle);
}

TEST(ScheduleTest, RequestRunsACycleAtOnce) {
  Schedule s(minutes(5), minutes(5));
  FakeClock clock;
  s.Ran(Action::kCycle, clock.Now());
  EXPECT_EQ(s.Due(clock.Now() + seconds(1), true), Action::kCycle);
}

TEST(ScheduleTest, ZeroPollIntervalDisablesPolling) {
  Schedule s(minutes(5), minutes(0));
  FakeClock clock;
  s.Ran(Action::kCycle, clock.Now());
  EXPECT_EQ(s.Due(clock.Now() + minutes(4), false), Action::kNone);
  EXPECT_EQ(s.NextWake(), clock.Now() + minutes(5));
}

// The loop on a thread, driven by a FakeClock.
class LoopTest : public ::testing::Test {
 protected:
  void Start(bool poll_moves = false) {
    poll_moves_ = poll_moves;
    Loop::Callbacks cb;
    cb.cycle = [this](const std::vector<std::string>& reasons) {
      std::lock_guard lock(mu_);
      cycles_.push_back(reasons);
      in_cycle_++;
      max_in_cycle_ = std::max(max_in_cycle_, in_cycle_);
      in_cycle_--;
    };
    cb.git_poll = [this] {
      polls_++;
      return poll_moves_.load();
    };
    loop_ = std::make_unique<Loop>(cb, clock_, Schedule(minutes(5), minutes(1)));
    thread_ = std::thread([this] { loop_->Run(); });
  }
  void TearDown() override {
    if (loop_) loop_->Stop();
    if (thread_.joinable()) thread_.join();
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

TEST_F(LoopTest, StopEndsRun) {
  Start();
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 1; }));
  loop_->Stop();
  thread_.join();
  EXPECT_TRUE(loop_->stopping());
}

}  // namespace
}  // namespace tagflow::daemon
