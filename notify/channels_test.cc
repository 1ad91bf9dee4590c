// ChannelRouter from values: which channel hears what, and when an incident
// of a channel opens and closes.
#include "notify/channels.h"

#include <gtest/gtest.h>

#include "notify/test_util.h"

namespace tagflow::notify {
namespace {

using std::chrono::minutes;
using test::ErrorIn;

// "channel:role" of each message, role as a letter (P, I, R, C).
std::vector<std::string> Shape(const std::vector<RoutedMessage>& messages) {
  std::vector<std::string> out;
  for (const RoutedMessage& m : messages) {
    out.push_back(m.channel + ":" + "PIRC"[static_cast<int>(m.role)]);
  }
  return out;
}

using Shapes = std::vector<std::string>;

TEST(ChannelRouterTest, ChangesWithoutAChannelGoToTheDefault) {
  ChannelRouter router("#ops");
  Event success = test::SuccessEvent();
  success.changes[1].channel = "#team-db";
  auto messages = router.Route(success, test::SampleTime());
  ASSERT_EQ(Shape(messages), (Shapes{"#ops:P", "#team-db:P"}));
  ASSERT_EQ(messages[0].event.changes.size(), 1u);
  EXPECT_EQ(messages[0].event.changes[0].workload, "default:deployment/web");
  ASSERT_EQ(messages[1].event.changes.size(), 1u);
  EXPECT_EQ(messages[1].event.changes[0].workload, "prod:statefulset/db");
  EXPECT_EQ(messages[1].event.commit, success.commit);
}

TEST(ChannelRouterTest, OneDefaultChannelPassesEventsThrough) {
  ChannelRouter router("");
  Event failure = test::FailureEvent();
  auto messages = router.Route(failure, test::SampleTime());
  ASSERT_EQ(Shape(messages), (Shapes{":I"}));
  EXPECT_EQ(messages[0].event.errors, failure.errors);
  EXPECT_EQ(messages[0].event.branch, failure.branch);
  Event resolved;
  resolved.kind = EventKind::kResolved;
  resolved.errors = failure.errors;
  messages = router.Route(resolved, test::SampleTime());
  ASSERT_EQ(Shape(messages), (Shapes{":R", ":C"}));
  EXPECT_EQ(messages[0].event.errors, failure.errors);
}

TEST(ChannelRouterTest, EachChannelHasItsOwnIncident) {
  ChannelRouter router("#ops");
  auto t0 = test::SampleTime();
  Event both = test::FailureEvent({ErrorIn("#team-a", "a is down"), ErrorIn("", "git is down")});
  EXPECT_EQ(Shape(router.Route(both, t0)), (Shapes{"#ops:I", "#team-a:I"}));

  // git recovered, a did not: #ops is resolved, #team-a hears nothing new.
  Event only_a = test::FailureEvent({ErrorIn("#team-a", "a is down")});
  auto messages = router.Route(only_a, t0 + minutes(5));
  ASSERT_EQ(Shape(messages), (Shapes{"#ops:R", "#ops:C"}));
  EXPECT_EQ(messages[0].event.kind, EventKind::kResolved);
  EXPECT_EQ(messages[0].event.errors, (std::vector<EventError>{ErrorIn("", "git is down")}));
  EXPECT_EQ(messages[0].event.duration, minutes(5));

  // The same failure again (the repeat interval passed): a repeat for #team-a.
  EXPECT_EQ(Shape(router.Route(only_a, t0 + minutes(70))), (Shapes{"#team-a:I"}));
  // A new error for #team-a: a message there only.
  Event worse = test::FailureEvent({ErrorIn("#team-a", "a is down"), ErrorIn("#team-a", "a2")});
  EXPECT_EQ(Shape(router.Route(worse, t0 + minutes(75))), (Shapes{"#team-a:I"}));

  Event resolved;
  resolved.kind = EventKind::kResolved;
  resolved.errors = worse.errors;
  messages = router.Route(resolved, t0 + minutes(80));
  ASSERT_EQ(Shape(messages), (Shapes{"#team-a:R", "#team-a:C"}));
  EXPECT_EQ(messages[1].event.errors.size(), 2u);
}

TEST(ChannelRouterTest, ResolvedWithNoIncidentGoesToTheDefault) {
  ChannelRouter router("#ops");
  Event resolved;
  resolved.kind = EventKind::kResolved;
  EXPECT_EQ(Shape(router.Route(resolved, test::SampleTime())), (Shapes{"#ops:R"}));
}

TEST(ChannelRouterTest, SuccessWithErrorsKeepsEachChannelsErrors) {
  ChannelRouter router("#ops");
  Event success = test::SuccessEvent();
  success.changes[0].channel = "#team-a";
  success.errors = {ErrorIn("#team-a", "a2 is down")};
  auto messages = router.Route(success, test::SampleTime());
  ASSERT_EQ(Shape(messages), (Shapes{"#ops:P", "#team-a:P"}));
  EXPECT_TRUE(messages[0].event.errors.empty());
  EXPECT_EQ(messages[1].event.errors.size(), 1u);
}

}  // namespace
}  // namespace tagflow::notify
