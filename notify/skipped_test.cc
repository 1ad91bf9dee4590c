// The `skipped` event (a release gate held a tag back): news, not health.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "notify/alert_state.h"
#include "notify/channels.h"
#include "notify/message.h"
#include "notify/payload.h"
#include "notify/test_util.h"

namespace tagflow::notify {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

Event SkippedEvent() {
  Event e;
  e.kind = EventKind::kSkipped;
  e.branch = "main";
  e.time = test::SampleTime();
  e.errors = {test::ErrorIn("#team",
                            "workload default:deployment/web container app: skipped "
                            "registry.test/web:1.2.0: not signed"),
              test::ErrorIn("",
                            "workload prod:deployment/api container app: skipped "
                            "registry.test/api:2.0.0: bad signature")};
  return e;
}

TEST(SkippedTest, NeitherOpensNorClosesAnIncident) {
  AlertState alerts(std::chrono::seconds(3600));
  auto now = test::SampleTime();
  EXPECT_THAT(alerts.OnEvent(SkippedEvent(), now), SizeIs(1));
  EXPECT_FALSE(alerts.failing());
  ASSERT_THAT(alerts.OnEvent(test::FailureEvent(), now), SizeIs(1));
  EXPECT_THAT(alerts.OnEvent(SkippedEvent(), now), SizeIs(1));
  EXPECT_TRUE(alerts.failing()) << "a skip is no recovery";
}

TEST(SkippedTest, OneMessagePerChannelNamingTheTags) {
  ChannelRouter router("#deploys");
  std::vector<RoutedMessage> routed = router.Route(SkippedEvent(), test::SampleTime());
  ASSERT_THAT(routed, SizeIs(2));
  EXPECT_EQ(routed[0].channel, "#deploys");
  EXPECT_EQ(routed[1].channel, "#team");
  EXPECT_THAT(routed[1].event.errors, SizeIs(1));
  EXPECT_EQ(routed[1].role, SlackRole::kPlain);
}

TEST(SkippedTest, TextAndMessageSayWhatWasHeldBack) {
  Event e = SkippedEvent();
  EXPECT_EQ(EventKindName(e.kind), "skipped");
  Message m = BuildMessage(e);
  EXPECT_EQ(m.title, "Release gate held back 2 tags on main");
  EXPECT_EQ(m.tone, Tone::kWarning);
  ASSERT_THAT(m.sections, SizeIs(1));
  EXPECT_THAT(m.sections[0].lines[0], HasSubstr("registry.test/web:1.2.0: not signed"));
  Result<Messages> messages = Messages::Create("", "");
  ASSERT_TRUE(messages);
  std::string text = messages->Text(e, false);
  EXPECT_THAT(text, HasSubstr("Held back 2 tag(s) on main"));
  EXPECT_THAT(text, HasSubstr("registry.test/api:2.0.0: bad signature"));
}

}  // namespace
}  // namespace tagflow::notify
