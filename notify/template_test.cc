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

TEST(TemplateTest, UnknownFieldNamesFlagLineColumnAndKnownFields) {
  auto t = Template::Parse("ok {{.Commit}}\nthen {{.Author}}", "--slack-template-success");
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().kind, ErrorKind::kInvalidInput);
  EXPECT_THAT(t.error().message,
              AllOf(HasSubstr("--slack-template-success:2:6: unknown field .Author"),
                    HasSubstr(".Changes")));
}

TEST(TemplateTest, RangeOverChangesAndErrorsWithTheirFields) {
  Event e = test::SuccessEvent();
  e.changes[0].image = "nginx";
  EXPECT_EQ(Render("{{range .Changes}}[{{.Workload}}|{{.Container}}|{{.Image}}|{{.OldTag}}|"
                   "{{.NewTag}}|{{.OldRef}}|{{.NewRef}}|{{$.Branch}}]{{end}}",
                   e),
            "[default:deployment/web|web|nginx|1.25.1|1.25.2|nginx:1.25.1|nginx:1.25.2|main]"
            "[prod:statefulset/db|pg|postgres|15.3|15.4|postgres:15.3|postgres:15.4|main]");
  Event f = test::FailureEvent({EventError(Stage::kRegistry, "registry.example.com: 503")});
  f.errors[0].host = "registry.example.com";
  f.errors[0].workload = "default:deployment/web";
  f.errors[0].container = "web";
  f.errors[0].file = "apps/web.yaml";
  EXPECT_EQ(Render("{{range .Errors}}{{.Stage}}|{{.Message}}|{{.File}}|{{.Workload}}|"
                   "{{.Container}}|{{.Host}}|{{.}}{{end}}",
                   f),
            "registry|registry.example.com: 503|apps/web.yaml|default:deployment/web|web|"
            "registry.example.com|registry.example.com: 503");
}

TEST(TemplateTest, IfElseChooseOnEmptiness) {
  std::string_view text =
      "{{if .Errors}}{{.Count}} errors{{else if .Changes}}{{.Count}} changes{{else}}quiet{{end}}";
  EXPECT_EQ(Render(text, test::FailureEvent()), "2 errors");
  EXPECT_EQ(Render(text, test::SuccessEvent()), "2 changes");
  EXPECT_EQ(Render(text, Event{}), "quiet");
  EXPECT_EQ(Render("{{range .Errors}}x{{else}}none{{end}}", Event{}), "none");
  EXPECT_EQ(Render("{{if .CommitURL}}<{{.CommitURL}}|{{.ShortCommit}}>{{else}}{{.ShortCommit}}"
                   "{{end}}",
                   test::SuccessEvent()),
            "0123456");
}

TEST(TemplateTest, TrimMarkersEatWhiteSpaceLikeGo) {
  EXPECT_EQ(Render("Changes:\n{{- range .Changes }}\n  - {{ .Container -}}\n{{ end }}",
                   test::SuccessEvent()),
            "Changes:\n  - web\n  - pg");
}

TEST(TemplateTest, DurationAndCommitUrl) {
  Event e = test::SuccessEvent();
  e.duration = std::chrono::milliseconds(90'400);
  e.commit_url = "https://github.com/org/fleet/commit/0123456789";
  EXPECT_EQ(Render("{{.Duration}} {{.CommitURL}}", e),
            "1m30s https://github.com/org/fleet/commit/0123456789");
}

TEST(TemplateTest, StructuralErrorsSayWhere) {
  struct Case {
    std::string_view text;
    std::string_view message;
  };
  for (const Case& c : std::vector<Case>{
           {"{{range .Changes}}\n{{.Message}}{{end}}", ":2:1: unknown field .Message of a change"},
           {"{{range .Errors}}{{.Branch}}{{end}}", "the event's is $.Branch"},
           {"a\n  {{range .Changes}}x", ":2:3: {{range}} has no {{end}}"},
           {"{{end}}", ":1:1: {{end}} without"},
           {"{{if .Errors}}{{else}}{{else}}{{end}}", "a second {{else}}"},
           {"{{range .Branch}}{{end}}", "only .Changes and .Errors are lists"},
           {"{{.}}", "only allowed inside {{range}}"},
           {"{{template \"x\"}}", "unsupported action"},
           {"x {{.Branch", ":1:3: action is not closed"},
       }) {
    auto t = Template::Parse(c.text, "--slack-template-failure");
    ASSERT_FALSE(t.has_value()) << c.text;
    EXPECT_THAT(t.error().message,
                AllOf(HasSubstr("--slack-template-failure"), HasSubstr(c.message)))
        << c.text;
  }
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
