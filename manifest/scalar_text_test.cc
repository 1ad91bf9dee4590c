#include "manifest/scalar_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tagflow::manifest {
namespace {

using ::testing::HasSubstr;

// The span of the value of key `k` in a one-document text.
Result<ScalarSpan> SpanOf(const std::string& text, std::string_view k) {
  Result<YamlStream> s = ParseYaml(text);
  EXPECT_TRUE(s) << s.error().message;
  return LocateScalar(text, s->documents[0].root.KeyNode(k)[1]);
}

TEST(LocateScalar, PlainSingleAndDoubleQuoted) {
  std::string text = "a: plain value # c\nb: 'it''s'\nc: \"tab\\there \\u00e9\"\nd: {x: y}\n";
  Result<ScalarSpan> a = SpanOf(text, "a");
  ASSERT_TRUE(a);
  EXPECT_EQ(text.substr(a->offset, a->length), "plain value");
  EXPECT_EQ(a->style, QuoteStyle::kPlain);
  Result<ScalarSpan> b = SpanOf(text, "b");
  ASSERT_TRUE(b);
  EXPECT_EQ(text.substr(b->offset, b->length), "'it''s'");
  EXPECT_EQ(b->style, QuoteStyle::kSingle);
  Result<ScalarSpan> c = SpanOf(text, "c");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->style, QuoteStyle::kDouble);
  EXPECT_EQ(text.substr(c->end() - 1, 1), "\"");
  EXPECT_FALSE(SpanOf(text, "d"));
}

TEST(LocateScalar, RefusesWithAReason) {
  std::string text = "a: !!str x\nb: &n x\nc: *n\nd: |\n  x\ne: two\n  lines\n";
  EXPECT_THAT(SpanOf(text, "a").error().message, HasSubstr("explicit tag"));
  EXPECT_THAT(SpanOf(text, "b").error().message, HasSubstr("anchor"));
  EXPECT_THAT(SpanOf(text, "c").error().message, HasSubstr("alias"));
  EXPECT_THAT(SpanOf(text, "d").error().message, HasSubstr("block scalar"));
  EXPECT_THAT(SpanOf(text, "e").error().message, HasSubstr("line 6, column 4"));
}

TEST(RenderScalar, KeepsTheStyleWhenItCan) {
  EXPECT_EQ(RenderScalar("nginx:1.2", QuoteStyle::kPlain, "nginx:1.1"), "nginx:1.2");
  EXPECT_EQ(RenderScalar("1.10", QuoteStyle::kPlain, "v1"), "\"1.10\"")
      << "would turn into a float";
  EXPECT_EQ(RenderScalar("1.10", QuoteStyle::kPlain, "1.9"), "1.10") << "was a number already";
  EXPECT_EQ(RenderScalar("a: b", QuoteStyle::kPlain, "x"), "\"a: b\"");
  EXPECT_EQ(RenderScalar("it's", QuoteStyle::kSingle, "x"), "'it''s'");
  EXPECT_EQ(RenderScalar("a\nb", QuoteStyle::kSingle, "x"), "\"a\\nb\"");
  EXPECT_EQ(RenderScalar("say \"hi\" \\o/", QuoteStyle::kDouble, "x"), "\"say \\\"hi\\\" \\\\o/\"");
}

TEST(FlowCollectionEnd, SkipsQuotesCommentsAndNesting) {
  std::string text = "{a: \"}\", b: ['x]', [1]], # }\n c: d} tail";
  EXPECT_EQ(text.substr(FlowCollectionEnd(text, 0)), " tail");
  EXPECT_EQ(FlowCollectionEnd("{a: [1}", 0), std::string_view::npos);
}

TEST(RenderScalarInStyleTest, KeepsTheStyleOrRefuses) {
  EXPECT_EQ(RenderScalarInStyle("nginx:1.2", QuoteStyle::kPlain, "nginx:1.1").value(), "nginx:1.2");
  EXPECT_EQ(RenderScalarInStyle("nginx:1.2", QuoteStyle::kSingle, "nginx:1.1").value(),
            "'nginx:1.2'");
  EXPECT_EQ(RenderScalarInStyle("nginx:1.2", QuoteStyle::kDouble, "nginx:1.1").value(),
            "\"nginx:1.2\"");
  // A plain scalar that would need quotes, or read as a number.
  EXPECT_FALSE(RenderScalarInStyle("x:zz #y", QuoteStyle::kPlain, "x:1"));
  EXPECT_FALSE(RenderScalarInStyle("x: y", QuoteStyle::kPlain, "x:1"));
  // Quotes that only keep a value a string are fine.
  EXPECT_EQ(RenderScalarInStyle("1.10", QuoteStyle::kPlain, "1.9x").value(), "\"1.10\"");
  // Control characters in any style.
  Result<std::string> newline =
      RenderScalarInStyle("x:zz\nkind: Secret", QuoteStyle::kDouble, "x:1");
  ASSERT_FALSE(newline);
  EXPECT_THAT(newline.error().message, ::testing::HasSubstr("control characters"));
  EXPECT_FALSE(RenderScalarInStyle("x:zz\nb", QuoteStyle::kSingle, "x:1"));
}

}  // namespace
}  // namespace tagflow::manifest
