#include "notify/alert_state.h"

#include <gtest/gtest.h>

#include "notify/message.h"
#include "notify/test_util.h"

namespace tagflow::notify {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

std::vector<EventKind> Kinds(const std::vector<Event>& events) {
  std::vector<EventKind> kinds;
  for (const Event& e : events) kinds.push_back(e.kind);
  return kinds;
}

class AlertStateTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  AlertState state_{minutes(60)};
};

TEST_F(AlertStateTest, SuccessIsAlwaysSentAndNeverResolvesAnything) {
  EXPECT_EQ(Kinds(state_.OnEvent(test::SuccessEvent(), clock_.Now())),
            std::vector{EventKind::kSuccess});
  EXPECT_EQ(Kinds(state_.OnEvent(test::SuccessEvent(), clock_.Now())),
            std::vector{EventKind::kSuccess});
  EXPECT_TRUE(state_.OnCycleOk(clock_.Now()).empty());
  EXPECT_FALSE(state_.failing());
}

TEST_F(AlertStateTest, SameFailureIsNotRepeatedWithinTheInterval) {
  EXPECT_EQ(state_.OnEvent(test::FailureEvent(), clock_.Now()).size(), 1u);
  EXPECT_TRUE(state_.failing());
  clock_.Advance(minutes(59));
  EXPECT_TRUE(state_.OnEvent(test::FailureEvent(), clock_.Now()).empty());
  clock_.Advance(minutes(1));
  EXPECT_EQ(state_.OnEvent(test::FailureEvent(), clock_.Now()).size(), 1u) << "interval passed";
  clock_.Advance(minutes(30));
  EXPECT_TRUE(state_.OnEvent(test::FailureEvent(), clock_.Now()).empty())
      << "the interval counts from the last failure sent";
}

TEST_F(AlertStateTest, ErrorSetIsComparedWithoutOrderOrDuplicates) {
  ASSERT_EQ(state_.OnEvent(test::FailureEvent({"a", "b"}), clock_.Now()).size(), 1u);
  EXPECT_TRUE(state_.OnEvent(test::FailureEvent({"b", "a", "a"}), clock_.Now()).empty());
}

TEST_F(AlertStateTest, DifferentFailureIsSentAtOnce) {
  ASSERT_EQ(state_.OnEvent(test::FailureEvent({"a"}), clock_.Now()).size(), 1u);
  auto out = state_.OnEvent(test::FailureEvent({"a", "c"}), clock_.Now());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].errors, (std::vector<EventError>{"a", "c"}));
  EXPECT_TRUE(state_.OnEvent(test::FailureEvent({"a", "c"}), clock_.Now()).empty());
  EXPECT_EQ(state_.OnEvent(test::FailureEvent({"a"}), clock_.Now()).size(), 1u)
      << "going back to an earlier error set is a change too";
}

TEST_F(AlertStateTest, ZeroIntervalSendsEveryFailure) {
  AlertState every(seconds(0));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(every.OnEvent(test::FailureEvent(), clock_.Now()).size(), 1u);
  }
}

TEST_F(AlertStateTest, CleanCycleAfterFailureResolvesOnce) {
  state_.OnEvent(test::FailureEvent({"x"}), clock_.Now());
  state_.OnEvent(test::FailureEvent({"y"}), clock_.Now());
  clock_.Advance(minutes(5));
  auto out = state_.OnCycleOk(clock_.Now());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, EventKind::kResolved);
  EXPECT_EQ(out[0].errors, std::vector<EventError>{"y"}) << "what was failing last";
  EXPECT_EQ(out[0].branch, "main");
  EXPECT_EQ(out[0].repo_url, "https://git.example.com/fleet.git");
  EXPECT_EQ(out[0].time, clock_.Now());
  EXPECT_FALSE(state_.failing());
  EXPECT_TRUE(state_.OnCycleOk(clock_.Now()).empty()) << "only once";
}

TEST_F(AlertStateTest, SuccessAfterFailureSendsResolvedThenSuccess) {
  state_.OnEvent(test::FailureEvent(), clock_.Now());
  Event success = test::SuccessEvent();
  auto out = state_.OnEvent(success, clock_.Now());
  EXPECT_EQ(Kinds(out), (std::vector{EventKind::kResolved, EventKind::kSuccess}));
  EXPECT_EQ(out[0].time, success.time);
  EXPECT_EQ(Kinds(state_.OnEvent(success, clock_.Now())), std::vector{EventKind::kSuccess});
}

TEST_F(AlertStateTest, SuccessWithErrorsIsSentButResolvesNothing) {
  state_.OnEvent(test::FailureEvent(), clock_.Now());
  Event partial = test::SuccessEvent();
  partial.errors = {"apps/broken.yaml: does not parse"};
  EXPECT_EQ(Kinds(state_.OnEvent(partial, clock_.Now())), std::vector{EventKind::kSuccess});
  EXPECT_TRUE(state_.failing());
  EXPECT_EQ(Kinds(state_.OnCycleOk(clock_.Now())), std::vector{EventKind::kResolved});
}

TEST_F(AlertStateTest, SameMessagesInAnotherStageAreTheSameFailure) {
  ASSERT_EQ(state_.OnEvent(test::FailureEvent({"a"}), clock_.Now()).size(), 1u);
  EXPECT_TRUE(state_.OnEvent(test::FailureEvent({EventError(Stage::kRegistry, "a")}), clock_.Now())
                  .empty());
}

TEST_F(AlertStateTest, ResolvedSaysHowLongItWasFailing) {
  clock_.Advance(minutes(1));
  state_.OnEvent(test::FailureEvent(), clock_.Now());  // the incident starts here
  clock_.Advance(minutes(10));
  state_.OnEvent(test::FailureEvent(), clock_.Now());
  clock_.Advance(minutes(5));
  auto out = state_.OnCycleOk(clock_.Now());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].duration, minutes(15));
  state_.OnEvent(test::FailureEvent(), clock_.Now());
  clock_.Advance(minutes(2));
  EXPECT_EQ(state_.OnCycleOk(clock_.Now()).at(0).duration, minutes(2)) << "a new incident";
}

TEST_F(AlertStateTest, PushWithErrorsThenTheSameFailureNeverResolvesInBetween) {
  // The cycle pushed one fix and still has an error: a success with errors
  // and the failure, cycle after cycle. No "resolved" while the error stays.
  Event partial = test::SuccessEvent();
  partial.errors = {"apps/broken.yaml: does not parse"};
  Event failure = test::FailureEvent({"apps/broken.yaml: does not parse"});
  std::vector<EventKind> kinds;
  for (int cycle = 0; cycle < 3; ++cycle) {
    for (const Event& e : {partial, failure}) {
      for (EventKind k : Kinds(state_.OnEvent(e, clock_.Now()))) kinds.push_back(k);
    }
  }
  EXPECT_EQ(kinds, (std::vector{EventKind::kSuccess, EventKind::kFailure, EventKind::kSuccess,
                                EventKind::kSuccess}));
  EXPECT_TRUE(state_.failing());
}

TEST_F(AlertStateTest, SuppressedFailuresStillNeedResolving) {
  state_.OnEvent(test::FailureEvent(), clock_.Now());
  state_.OnEvent(test::FailureEvent(), clock_.Now());  // suppressed
  EXPECT_EQ(Kinds(state_.OnCycleOk(clock_.Now())), std::vector{EventKind::kResolved});
}

TEST_F(AlertStateTest, FailureAfterResolveIsSentEvenIfIdenticalAndRecent) {
  state_.OnEvent(test::FailureEvent(), clock_.Now());
  state_.OnCycleOk(clock_.Now());
  EXPECT_EQ(state_.OnEvent(test::FailureEvent(), clock_.Now()).size(), 1u);
}

TEST_F(AlertStateTest, ResolvedEventFromCallerActsAsCleanCycle) {
  Event resolved;
  resolved.kind = EventKind::kResolved;
  EXPECT_TRUE(state_.OnEvent(resolved, clock_.Now()).empty()) << "nothing to resolve";
  state_.OnEvent(test::FailureEvent(), clock_.Now());
  EXPECT_EQ(Kinds(state_.OnEvent(resolved, clock_.Now())), std::vector{EventKind::kResolved});
}

}  // namespace
}  // namespace tagflow::notify

namespace tagflow::notify {
namespace {

TEST(AlertStateNoticeTest, NoticeIsSentAndLeavesTheIncidentAsItWas) {
  FakeClock clock;
  AlertState state{std::chrono::minutes(60)};
  Event notice;
  notice.kind = EventKind::kNotice;
  notice.errors = {EventError(Stage::kOther, "rollback of a from v2 to v1 detected")};
  EXPECT_EQ(Kinds(state.OnEvent(notice, clock.Now())), std::vector{EventKind::kNotice});
  EXPECT_FALSE(state.failing());
  EXPECT_TRUE(state.OnCycleOk(clock.Now()).empty()) << "a notice opens no incident";
  ASSERT_EQ(state.OnEvent(test::FailureEvent(), clock.Now()).size(), 1u);
  EXPECT_EQ(Kinds(state.OnEvent(notice, clock.Now())), std::vector{EventKind::kNotice});
  EXPECT_TRUE(state.failing()) << "nor closes one";
  EXPECT_EQ(Kinds(state.OnCycleOk(clock.Now())), std::vector{EventKind::kResolved});
}

TEST(NoticeMessageTest, RendersTheRollbackLines) {
  Event notice;
  notice.kind = EventKind::kNotice;
  notice.branch = "main";
  notice.errors = {EventError(Stage::kOther,
                              "rollback of ns:deployment/web from v1.3.0 to "
                              "v1.2.0 detected; holding until a tag newer than "
                              "v1.3.0")};
  Message m = BuildMessage(notice, 20);
  EXPECT_EQ(m.tone, Tone::kWarning);
  EXPECT_EQ(m.title, "Holding on main: 1 rollback");
  ASSERT_EQ(m.sections.size(), 1u);
  EXPECT_EQ(m.sections[0].lines, std::vector<std::string>{notice.errors[0].message});
  EXPECT_EQ(EventKindName(EventKind::kNotice), "notice");
}

}  // namespace
}  // namespace tagflow::notify
