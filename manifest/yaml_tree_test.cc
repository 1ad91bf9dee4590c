#include "manifest/yaml_tree.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tagflow::manifest {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

TEST(ParseYaml, OffsetsAreBytesIncludingBomCrlfAndMultibyteCharacters) {
  std::string text = "\xEF\xBB\xBF# é\r\nkey: \"välue\"\r\nnext: x\r\n";
  Result<YamlStream> s = ParseYaml(text);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->bom, 3u);
  ASSERT_THAT(s->documents, SizeIs(1));
  const YamlNode& root = s->documents[0].root;
  const YamlNode* value = root.Get("key");
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(text.substr(value->offset, 8), "\"välue\"");
  EXPECT_EQ(value->tag, "!");
  const YamlNode* next = root.Get("next");
  EXPECT_EQ(text[next->offset], 'x');
  EXPECT_EQ(next->line, 2);
  EXPECT_EQ(next->tag, "?");
}

TEST(ParseYaml, KeepsEveryDocumentIncludingEmptyOnes) {
  Result<YamlStream> s = ParseYaml("a: 1\n---\n---\nb: [1, 2]\n...\n");
  ASSERT_TRUE(s);
  ASSERT_THAT(s->documents, SizeIs(3));
  EXPECT_EQ(s->documents[1].root.kind, YamlNode::Kind::kNull);
  EXPECT_TRUE(s->documents[2].root.Get("b")->flow);
}

TEST(ParseYaml, AliasesShareTheirTargetAndLookupsResolveThem) {
  Result<YamlStream> s = ParseYaml("base: &b {image: x:1}\nuse: *b\n");
  ASSERT_TRUE(s);
  const YamlNode* use = s->documents[0].root.Get("use");
  ASSERT_NE(use, nullptr);
  EXPECT_EQ(*use->GetString("image"), "x:1");
  EXPECT_EQ(s->documents[0].root.KeyNode("use")[1].kind, YamlNode::Kind::kAlias);
}

TEST(ParseYaml, SyntaxErrorsNameLineAndColumn) {
  ParseFailure failure;
  Result<YamlStream> s = ParseYaml("a: 1\nb: [1, 2\nc: }\n", &failure);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kInvalidInput);
  EXPECT_THAT(s.error().message, HasSubstr("line "));
  EXPECT_GT(failure.line, 1);
  EXPECT_GT(failure.column, 0);
  EXPECT_FALSE(failure.what.empty());
}

TEST(ParseYaml, RefusesTextThatIsNotUtf8) {
  ParseFailure failure;
  EXPECT_FALSE(ParseYaml("a: 1\nb: caf\xE9\n", &failure));
  EXPECT_EQ(failure.line, 2);
  EXPECT_EQ(failure.column, 7);
  EXPECT_FALSE(ParseYaml(std::string("a: \0", 4)));
  EXPECT_FALSE(
      ParseYaml("\xFF\xFE"
                "a\0:\0 \0"
                "1\0"));
}

TEST(ParseYaml, AStrayCommaIsAnErrorNotAnEndlessStreamOfDocuments) {
  // yaml-cpp 0.7 alone loops forever on these.
  for (std::string text : {",\n", ",a\n", "a: 1\n---\n, x\n"}) {
    ParseFailure failure;
    Result<YamlStream> s = ParseYaml(text, &failure);
    ASSERT_FALSE(s) << text;
    EXPECT_THAT(failure.what, HasSubstr("unexpected ','"));
  }
}

TEST(ParseYaml, DeepNestingIsAnErrorNotACrash) {
  std::string deep(20000, '[');
  EXPECT_FALSE(ParseYaml(deep));
}

TEST(SameTree, IgnoresPositionsButNotValuesOrStyle) {
  auto a = ParseYaml("x: 1\ny: {a: b}\n");
  auto b = ParseYaml("x:     1\ny: {a:    b}\n");
  auto c = ParseYaml("x: \"1\"\ny: {a: b}\n");
  auto d = ParseYaml("x: 1\ny:\n  a: b\n");
  ASSERT_TRUE(a && b && c && d);
  EXPECT_TRUE(SameTree(a->documents[0].root, b->documents[0].root));
  EXPECT_FALSE(SameTree(a->documents[0].root, c->documents[0].root));
  EXPECT_FALSE(SameTree(a->documents[0].root, d->documents[0].root));
}

TEST(EncodeTree, EqualExactlyWhenSameTreeAndWithReplacements) {
  std::vector<std::string> texts = {
      "x: 1\ny: {a: b}\n",  "x:     1\ny: {a:    b}\n", "x: \"1\"\ny: {a: b}\n",
      "x: 1\ny:\n  a: b\n", "x: 1\ny: [a, b]\n",        "x: 1\ny: {a: b, c: ~}\n",
      "x: &r 1\ny: *r\n",   "x: &r 1\ny: *r\nz: 2\n",   "x: 11\ny: {a: b}\n"};
  std::vector<YamlStream> streams;
  std::vector<std::string> codes;
  for (const std::string& t : texts) {
    Result<YamlStream> s = ParseYaml(t);
    ASSERT_TRUE(s) << t;
    codes.emplace_back();
    EncodeTree(s->documents[0].root, {}, codes.back());
    streams.push_back(std::move(*s));
  }
  for (std::size_t i = 0; i < texts.size(); ++i) {
    for (std::size_t j = 0; j < texts.size(); ++j) {
      EXPECT_EQ(codes[i] == codes[j],
                SameTree(streams[i].documents[0].root, streams[j].documents[0].root))
          << texts[i] << " vs " << texts[j];
    }
  }
  // "x: 1" with its value replaced by "11" encodes as "x: 11".
  const YamlNode* one = streams[0].documents[0].root.Get("x");
  YamlNode eleven = *one;
  eleven.value = "11";
  NodeReplacements replaced;
  replaced.emplace(one, eleven);
  std::string code;
  EncodeTree(streams[0].documents[0].root, replaced, code);
  EXPECT_EQ(code, codes.back());
  EXPECT_NE(code, codes[0]);
}

TEST(PlainScalarIsNonString, Yaml11And12Types) {
  for (std::string s : {"", "~", "null", "true", "False", "yes", "off", "1", "-2", "0x1F", "0o17",
                        "1.5", ".5", "1e3", "-.inf", ".NaN", "1_000", "1:30", "190:20:30.15"}) {
    EXPECT_TRUE(PlainScalarIsNonString(s)) << s;
  }
  for (std::string s :
       {"v1", "1.2.3", "nginx:1.2", "1.2-alpine", "abc", "0xZZ", "1:2:3:x", "latest", "1e", "e3"}) {
    EXPECT_FALSE(PlainScalarIsNonString(s)) << s;
  }
}

}  // namespace
}  // namespace tagflow::manifest
