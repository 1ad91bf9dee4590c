// Issue 11 item 3: one file must never crash or exhaust the daemon. Deep
// nesting and alias bombs are refused with the limit named, at the parser,
// by the scan of one file, and by a scan of a whole tree that goes on with
// the other files.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "manifest/extract.h"
#include "manifest/memory_filesystem.h"
#include "manifest/scan.h"
#include "manifest/yaml_tree.h"

namespace tagflow::manifest {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

// `a0: &a0 x`, then `aN: &aN [*aN-1]`: each alias one level deeper.
std::string ChainedAliases(int n) {
  std::string text = "a0: &a0 x\n";
  for (int i = 1; i < n; ++i) text += fmt::format("a{}: &a{} [*a{}]\n", i, i, i - 1);
  return text;
}

// `a: &a x`, then n aliases of it.
std::string FlatAliases(int n) {
  std::string text = "a: &a x\n";
  for (int i = 0; i < n; ++i) text += fmt::format("b{}: *a\n", i);
  return text;
}

std::string NestedFlow(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[') +
         std::string(static_cast<std::size_t>(depth), ']') + "\n";
}

std::string NestedDashes(int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) text += "- ";
  return text + "x\n";
}

std::string NestedKeys(int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) text += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
  return text + std::string(static_cast<std::size_t>(depth), ' ') + "v\n";
}

ParseFailure Refusal(const std::string& text) {
  ParseFailure failure;
  Result<YamlStream> s = ParseYaml(text, &failure);
  EXPECT_FALSE(s) << "parsed " << text.size() << " bytes";
  if (!s) {
    EXPECT_EQ(s.error().kind, ErrorKind::kInvalidInput);
    EXPECT_THAT(s.error().message, HasSubstr("tagflow's limit"));
  }
  EXPECT_TRUE(failure.limit) << failure.what;
  return failure;
}

TEST(YamlLimits, NestingUpToTheLimitParses) {
  for (const std::string& text :
       {NestedFlow(kMaxNesting), NestedDashes(kMaxNesting), NestedKeys(kMaxNesting)}) {
    Result<YamlStream> s = ParseYaml(text);
    EXPECT_TRUE(s) << s.error().message;
  }
}

TEST(YamlLimits, DeeperNestingIsRefusedNamingTheLimitAndWhere) {
  for (int depth : {kMaxNesting + 1, 100'000}) {
    SCOPED_TRACE(depth);
    ParseFailure flow = Refusal(NestedFlow(depth));
    EXPECT_EQ(flow.what, "nesting deeper than 64 levels (tagflow's limit for a manifest)");
    EXPECT_EQ(flow.line, 1);
    ParseFailure dashes = Refusal(NestedDashes(depth));
    EXPECT_THAT(dashes.what, HasSubstr("nesting deeper than 64 levels"));
    EXPECT_EQ(dashes.line, 1);
  }
  ParseFailure keys = Refusal(NestedKeys(3000));
  EXPECT_THAT(keys.what, HasSubstr("nesting deeper than 64 levels"));
  EXPECT_EQ(keys.line, kMaxNesting + 1) << "the line of the first mapping too deep";
}

TEST(YamlLimits, ChainedAliasesStopAtTheAliasLimitWithoutCrashing) {
  // 60,000 chained anchors crashed the daemon (stack overflow) every cycle.
  for (int n : {kMaxAliases + 2, 60'000, 200'000}) {
    ParseFailure failure = Refusal(ChainedAliases(n));
    EXPECT_EQ(failure.what,
              "more than 500 aliases in one document (tagflow's limit for a manifest)");
    EXPECT_EQ(failure.line, kMaxAliases + 2) << "the line of alias number 501";
  }
  EXPECT_TRUE(ParseYaml(FlatAliases(kMaxAliases)));
  EXPECT_THAT(Refusal(FlatAliases(kMaxAliases + 1)).what, HasSubstr("more than 500 aliases"));
  // Each document has its own count.
  EXPECT_TRUE(ParseYaml(FlatAliases(kMaxAliases) + "---\n" + FlatAliases(kMaxAliases)));
}

TEST(YamlLimits, NestingThroughAliasesCounts) {
  // 100 aliases, each nesting the previous one a level deeper.
  ParseFailure failure = Refusal(ChainedAliases(100));
  EXPECT_THAT(failure.what, HasSubstr("nesting deeper than 64 levels through aliases"));
  EXPECT_EQ(failure.line, kMaxNesting + 1);
}

TEST(YamlLimits, AliasesThatExpandTooFarAreRefused) {
  // "Billion laughs": each level holds ten aliases of the one before.
  std::string text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    text += fmt::format("l{}: &l{} [", i, i);
    for (int k = 0; k < 10; ++k) text += fmt::format("{}*l{}", k == 0 ? "" : ", ", i - 1);
    text += "]\n";
  }
  ParseFailure failure = Refusal(text);
  EXPECT_THAT(failure.what, HasSubstr("aliases that stand for more than 1000000 nodes"));
  EXPECT_EQ(failure.line, 6) << "the first alias past the budget (in l5)";
}

TEST(YamlLimits, AliasesResolveAndOneInsideItsOwnAnchorStaysUnresolved) {
  Result<YamlStream> s = ParseYaml("a: &a {image: x:1}\nb: *a\nc: &c [1, *c]\n");
  ASSERT_TRUE(s) << s.error().message;
  const YamlNode& root = s->documents[0].root;
  const YamlNode& b = root.KeyNode("b")[1];
  ASSERT_EQ(b.kind, YamlNode::Kind::kAlias);
  EXPECT_EQ(b.target, root.Get("a"));
  EXPECT_EQ(root.Get("c")->children[1].target, nullptr) << "no cycle";
}

TEST(YamlLimits, ScanTextNamesTheFileLineAndLimit) {
  FileScan s = ScanText("apps/bomb.yaml", ChainedAliases(60'000));
  EXPECT_THAT(s.workloads, SizeIs(0));
  ASSERT_THAT(s.problems, SizeIs(1));
  EXPECT_EQ(s.problems[0].severity, Severity::kError);
  EXPECT_EQ(s.problems[0].ToString(),
            "apps/bomb.yaml:502:14: is refused: more than 500 aliases in one document (tagflow's "
            "limit for a manifest); file skipped");
}

TEST(YamlLimits, AScanGoesOnWithTheOtherFiles) {
  InMemoryFilesystem fs;
  fs.AddFile("/repo/a-bomb.yaml", ChainedAliases(200'000));
  fs.AddFile("/repo/b-deep.yaml", NestedFlow(100'000));
  fs.AddFile("/repo/c-dashes.yaml", NestedDashes(100'000));
  fs.AddFile("/repo/d-app.yaml",
             "kind: Pod\nmetadata: {name: app}\nspec:\n  containers:\n  - {name: c, image: "
             "app:1}\n");
  Result<ScanResult> r = Scan(fs, "/repo", {});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_NE(r->Find("default:pod/app"), nullptr);
  ASSERT_THAT(r->problems, SizeIs(3));
  EXPECT_THAT(r->problems[0].ToString(),
              AllOf(StartsWith("a-bomb.yaml:502:"), HasSubstr("more than 500 aliases")));
  EXPECT_THAT(r->problems[1].ToString(),
              AllOf(StartsWith("b-deep.yaml:1:"), HasSubstr("nesting deeper than 64 levels")));
  EXPECT_THAT(r->problems[2].ToString(),
              AllOf(StartsWith("c-dashes.yaml:1:"), HasSubstr("nesting deeper than 64 levels")));
  EXPECT_TRUE(r->HasErrors());
}

}  // namespace
}  // namespace tagflow::manifest
