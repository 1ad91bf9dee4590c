#include "notify/template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "notify/test_util.h"

namespace tagflow::notify {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string Render(std::string_view text, const Event& event, bool slack = false) {
  auto parsed = Template::Parse(text, "--slack-template-success");
  EXPECT_TRUE(parsed.has_value()) << parsed.error().message;
  return parsed ? parsed->Render(event, slack) : "";
}

TEST(TemplateTest, SubstitutesEveryPlaceholder) {
  Event e = test::SuccessEvent();
  EXPECT_EQ(Render("{{.Kind}}|{{.Commit}}|{{.ShortCommit}}|{{.Branch}}|{{.Repo}}|{{.Count}}|"
                   "{{.Time}}",
                   e),
            "success|0123456789abcdef0123456789abcdef01234567|0123456|main|"
            "https://git.example.com/fleet.git|2|2023-11-14T22:13:20Z");
  EXPECT_EQ(Render("{{.Changes}}", e),
            "default:deployment/web web: nginx:1.25.1 -> nginx:1.25.2\n"
            "prod:statefulset/db pg: postgres:15.3 -> postgres:15.4");
}

TEST(TemplateTest, CountIsErrorsForFailureAndResolved) {
  Event e = test::FailureEvent({"a", "b", "c"});
  EXPECT_EQ(Render("{{.Count}}: {{.Errors}}", e), "3: a\nb\nc");
  e.kind = EventKind::kResolved;
  EXPECT_EQ(Render("{{.Count}}", e), "3");
}

TEST(TemplateTest, SpacesInsideBracesAndPlainTextAreKept) {
  Event e = test::SuccessEvent();
  EXPECT_EQ(Render("Deployed {{ .ShortCommit }} to {{.Branch\t}} }} {", e),
            "Deployed 0123456 to main }} {");
  EXPECT_EQ(Render("", e), "");
  EXPECT_EQ(Render("no placeholders", e), "no placeholders");
}

TEST(TemplateTest, EmptyValuesRenderEmpty) {
  Event e;
  e.kind = EventKind::kSuccess;
  EXPECT_EQ(Render("[{{.Commit}}][{{.ShortCommit}}][{{.Changes}}][{{.Count}}]", e), "[][][][0]");
}

TEST(TemplateTest, SlackEscapingAppliesToValuesOnly) {
  Event e = test::FailureEvent({"a <b> & c"});
  auto t = Template::Parse("<https://ci.example.com|CI>: {{.Errors}}", "--slack-template-failure");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->Render(e, /*escape_for_slack=*/true),
            "<https://ci.example.com|CI>: a &lt;b&gt; &amp; c");
  EXPECT_EQ(t->Render(e, /*escape_for_slack=*/false), "<https://ci.example.com|CI>: a <b> & c");
}

TEST(TemplateTest, UnknownPlaceholderNamesFlagAndPlaceholder) {
  auto t = Template::Parse("ok {{.Commit}} then {{.Author}}", "--slack-template-success");
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().kind, ErrorKind::kInvalidInput);
  EXPECT_THAT(t.error().message,
              AllOf(HasSubstr("--slack-template-success"), HasSubstr("{{.Author}}"),
                    HasSubstr("offset 20"), HasSubstr("{{.Changes}}")));
}

TEST(TemplateTest, RejectsMalformedPlaceholders) {
  for (std::string_view text : {"{{.Commit", "{{}}", "{{ }}", "{{Commit}}", "{{.commit}}",
                                "{{.Commit}} {{", "{{{.Commit}}}"}) {
    auto t = Template::Parse(text, "--slack-template-failure");
    ASSERT_FALSE(t.has_value()) << text;
    EXPECT_EQ(t.error().kind, ErrorKind::kInvalidInput) << text;
    EXPECT_THAT(t.error().message, HasSubstr("--slack-template-failure")) << text;
  }
}

TEST(TemplateTest, BuiltInTemplatesParse) {
  for (std::string_view text :
       {kDefaultSuccessTemplate, kDefaultFailureTemplate, kDefaultResolvedTemplate}) {
    EXPECT_TRUE(Template::Parse(text, "built-in").has_value()) << text;
  }
}

TEST(EscapeSlackTest, EscapesTheThreeControlCharacters) {
  EXPECT_EQ(EscapeSlack("a&b<c>d"), "a&amp;b&lt;c&gt;d");
  EXPECT_EQ(EscapeSlack("plain -> text"), "plain -&gt; text");
  EXPECT_EQ(EscapeSlack(""), "");
}

}  // namespace
}  // namespace tagflow::notify
