#include "image/tag_filter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace tagflow::image {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

TagFilter F(std::string_view spec) {
  Result<TagFilter> f = TagFilter::Parse(spec);
  EXPECT_TRUE(f.has_value()) << spec << ": " << (f ? "" : f.error().message);
  return f.value_or(TagFilter());
}

system_clock::time_point T(int s) { return system_clock::time_point(seconds(1'700'000'000 + s)); }

TagInfo At(std::string tag, int s) { return TagInfo{std::move(tag), T(s)}; }
TagInfo NoTime(std::string tag) { return TagInfo{std::move(tag), std::nullopt}; }

std::vector<std::string> Tags(const std::vector<TagInfo>& infos) {
  std::vector<std::string> out;
  for (const auto& i : infos) out.push_back(i.tag);
  return out;
}

std::vector<TagInfo> Untimed(const std::vector<std::string>& tags) {
  std::vector<TagInfo> out;
  for (const auto& t : tags) out.push_back(NoTime(t));
  return out;
}

// ------------------------------------------------------------------ parsing

struct KindCase {
  std::string spec;
  FilterKind kind;
  TagOrder order;
};

void PrintTo(const KindCase& c, std::ostream* os) { *os << '"' << c.spec << '"'; }

class FilterKindTest : public ::testing::TestWithParam<KindCase> {};

TEST_P(FilterKindTest, ParsesKindAndOrder) {
  const KindCase& c = GetParam();
  TagFilter f = F(c.spec);
  EXPECT_EQ(f.spec(), c.spec);
  EXPECT_EQ(f.kind(), c.kind);
  EXPECT_EQ(f.order(), c.order);
  EXPECT_EQ(f.NeedsCreationTime(), c.order == TagOrder::kCreated);
}

INSTANTIATE_TEST_SUITE_P(
    Specs, FilterKindTest,
    ::testing::Values(KindCase{"", FilterKind::kGlob, TagOrder::kCreated},
                      KindCase{"glob:*", FilterKind::kGlob, TagOrder::kCreated},
                      KindCase{"glob:", FilterKind::kGlob, TagOrder::kCreated},
                      KindCase{"master-*", FilterKind::kGlob, TagOrder::kCreated},
                      KindCase{"latest", FilterKind::kGlob, TagOrder::kCreated},
                      KindCase{"regex:^v", FilterKind::kRegex, TagOrder::kCreated},
                      KindCase{"regexp:^v", FilterKind::kRegex, TagOrder::kCreated},
                      KindCase{"semver:^1", FilterKind::kSemver, TagOrder::kSemver},
                      KindCase{"semver:*", FilterKind::kSemver, TagOrder::kSemver},
                      KindCase{"alphabetical:*", FilterKind::kAlphabetical,
                               TagOrder::kAlphabetical},
                      KindCase{"alphabetical:", FilterKind::kAlphabetical, TagOrder::kAlphabetical},
                      KindCase{"numerical:*", FilterKind::kNumerical, TagOrder::kNumerical},
                      KindCase{"numerical:", FilterKind::kNumerical, TagOrder::kNumerical}));

struct InvalidFilter {
  std::string spec;
  std::string reason;
};

void PrintTo(const InvalidFilter& c, std::ostream* os) { *os << '"' << c.spec << '"'; }

class InvalidFilterTest : public ::testing::TestWithParam<InvalidFilter> {};

TEST_P(InvalidFilterTest, FailsNamingTheFilter) {
  const InvalidFilter& c = GetParam();
  Result<TagFilter> f = TagFilter::Parse(c.spec);
  ASSERT_FALSE(f.has_value()) << c.spec << " was accepted";
  EXPECT_EQ(f.error().kind, ErrorKind::kInvalidInput);
  EXPECT_THAT(f.error().message, HasSubstr("invalid tag filter \"" + c.spec + "\""));
  EXPECT_THAT(f.error().message, HasSubstr(c.reason));
}

INSTANTIATE_TEST_SUITE_P(
    Specs, InvalidFilterTest,
    ::testing::Values(InvalidFilter{"foo:bar", "unknown kind \"foo\""},
                      InvalidFilter{"Glob:*", "unknown kind \"Glob\""},
                      InvalidFilter{":x", "unknown kind \"\""},
                      InvalidFilter{"sem:1.2", "unknown kind \"sem\""},
                      InvalidFilter{"semver:", "empty constraint"},
                      InvalidFilter{"semver:  ", "empty constraint"},
                      InvalidFilter{"semver:>=x.y", "invalid version \"x.y\""},
                      InvalidFilter{"semver:=~1", "unknown operator"},
                      InvalidFilter{"semver:^1 ||", "empty alternative"},
                      InvalidFilter{"regex:(", "invalid regular expression: missing )"},
                      InvalidFilter{"regexp:[a-", "invalid regular expression"},
                      InvalidFilter{"regex:a**", "invalid regular expression"},
                      InvalidFilter{"regex:", "empty regular expression"}));

// ----------------------------------------------------------------- matching

struct MatchCase {
  std::string spec;
  std::string tag;
  bool want;
};

void PrintTo(const MatchCase& c, std::ostream* os) {
  *os << '"' << c.spec << "\" on \"" << c.tag << (c.want ? "\" matches" : "\" does not match");
}

class MatchTest : public ::testing::TestWithParam<MatchCase> {};

TEST_P(MatchTest, Matches) {
  const MatchCase& c = GetParam();
  TagFilter f = F(c.spec);
  EXPECT_EQ(f.Matches(c.tag), c.want);
  // Select agrees with Matches (times given so time-ordered filters keep it).
  std::vector<TagInfo> in = {At(c.tag, 0)};
  EXPECT_EQ(f.Select(in).size(), c.want ? 1u : 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Glob, MatchTest,
    ::testing::Values(
        MatchCase{"*", "anything", true}, MatchCase{"*", "", true}, MatchCase{"*", "a.b/c", true},
        MatchCase{"", "1.2.3", true}, MatchCase{"glob:", "1.2.3", true},
        MatchCase{"glob:*", "x", true}, MatchCase{"master-*", "master-abc123", true},
        MatchCase{"master-*", "master-", true}, MatchCase{"master-*", "main-abc", false},
        MatchCase{"master-*", "xmaster-a", false}, MatchCase{"*-rc*", "1.0-rc1", true},
        MatchCase{"*-rc*", "1.0", false}, MatchCase{"v1.*", "v1.2.3", true},
        MatchCase{"v1.*", "v2.0", false}, MatchCase{"v1.*", "v1", false},
        MatchCase{"1.?", "1.2", true}, MatchCase{"1.?", "1.22", false},
        MatchCase{"1.?", "1.", false}, MatchCase{"?", "", false}, MatchCase{"??", "ab", true},
        MatchCase{"a*b*c", "aXbYc", true}, MatchCase{"a*b*c", "abc", true},
        MatchCase{"a*b*c", "aXbY", false}, MatchCase{"*.*.*", "1.2.3", true},
        MatchCase{"*.*.*", "1.2", false}, MatchCase{"foo/*", "foo/bar/baz", true},
        MatchCase{"*baz", "foo/bar/baz", true}, MatchCase{"1.2", "1x2", false},
        MatchCase{"1.2", "1.2", true}, MatchCase{"1.2", "1.2.3", false},
        MatchCase{"*a", "bbba", true}, MatchCase{"a*", "ba", false}, MatchCase{"**", "x", true},
        MatchCase{"*?*", "", false},
        MatchCase{"a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
        MatchCase{"glob:1.*-rc.?", "1.4.0-rc.3", true}));

INSTANTIATE_TEST_SUITE_P(
    Latest, MatchTest,
    ::testing::Values(
        MatchCase{"latest", "latest", true}, MatchCase{"glob:latest", "latest", true},
        MatchCase{"*", "latest", false}, MatchCase{"", "latest", false},
        MatchCase{"lat*", "latest", false}, MatchCase{"late?t", "latest", false},
        MatchCase{"regex:latest", "latest", false}, MatchCase{"regex:.*", "latest", false},
        MatchCase{"alphabetical:*", "latest", false},
        MatchCase{"alphabetical:latest", "latest", false}, MatchCase{"semver:*", "latest", false},
        MatchCase{"numerical:*", "latest", false}, MatchCase{"latest", "latest-1", false},
        MatchCase{"*", "latest-1", true}, MatchCase{"*", "Latest", true}));

INSTANTIATE_TEST_SUITE_P(
    Regex, MatchTest,
    ::testing::Values(
        MatchCase{"regex:rc", "1.0-rc1", true}, MatchCase{"regexp:rc", "1.0-rc1", true},
        MatchCase{"regex:rc", "1.0", false}, MatchCase{"regex:^v1\\.", "v1.2", true},
        MatchCase{"regex:^v1\\.", "xv1.2", false}, MatchCase{"regex:^v1\\.", "v1x2", false},
        MatchCase{"regex:^[0-9]+$", "123", true}, MatchCase{"regex:^[0-9]+$", "12a", false},
        MatchCase{"regex:^master-[0-9a-f]{7}$", "master-abc1234", true},
        MatchCase{"regex:^master-[0-9a-f]{7}$", "master-abc12345", false},
        MatchCase{"regex:a|b", "xbx", true}, MatchCase{"regex:.", "", false},
        MatchCase{"regex:^$", "", true}, MatchCase{"regex:x:y", "ax:yb", true}));

INSTANTIATE_TEST_SUITE_P(
    Semver, MatchTest,
    ::testing::Values(MatchCase{"semver:^1.2", "v1.2.3", true},
                      MatchCase{"semver:^1.2", "1.2", true}, MatchCase{"semver:^1.2", "1.3", true},
                      MatchCase{"semver:^1.2", "2.0.0", false},
                      MatchCase{"semver:^1.2", "1.2.3-rc.1", false},
                      MatchCase{"semver:^1.2", "master-abc", false},
                      MatchCase{"semver:^1.2", "1.2.3.4", false}, MatchCase{"semver:*", "", false},
                      MatchCase{"semver:>=1.2.3-rc.0 <1.2.4", "1.2.3-rc.1", true},
                      MatchCase{"semver:>=1.2.3-rc.0 <1.2.4", "v1.2.3", true},
                      MatchCase{"semver:~1.2", "V1.2.9", true},
                      MatchCase{"semver:1.2.x", "1.2.7+b", true},
                      MatchCase{"semver:1.2 - 1.4", "1.4.99", true},
                      MatchCase{"semver:1.2 - 1.4", "1.5.0", false},
                      MatchCase{"semver:<1 || >=3", "3.0.0", true}));

INSTANTIATE_TEST_SUITE_P(
    AlphabeticalAndNumerical, MatchTest,
    ::testing::Values(
        MatchCase{"alphabetical:*", "anything", true}, MatchCase{"alphabetical:", "anything", true},
        MatchCase{"alphabetical:RELEASE.*", "RELEASE.2023-01-01", true},
        MatchCase{"alphabetical:RELEASE.*", "v1", false}, MatchCase{"numerical:*", "123", true},
        MatchCase{"numerical:*", "0", true}, MatchCase{"numerical:*", "1.5", true},
        MatchCase{"numerical:*", "-1", true}, MatchCase{"numerical:*", "abc", false},
        MatchCase{"numerical:*", "1a", false}, MatchCase{"numerical:*", "", false},
        MatchCase{"numerical:*", "1.", false}, MatchCase{"numerical:*", ".5", false},
        MatchCase{"numerical:*", "1.2.3", false}, MatchCase{"numerical:*", "v1", false},
        MatchCase{"numerical:*", "1e5", false}, MatchCase{"numerical:*", "inf", false},
        MatchCase{"numerical:1*", "123", true}, MatchCase{"numerical:1*", "23", false},
        MatchCase{"numerical:build-*", "build-5", false}));

// ---------------------------------------------------------------- ordering

TEST(OrderTest, SemverTieBetweenPartialAndFullGoesToTheLongerTag) {
  TagFilter f = F("semver:*");
  EXPECT_TRUE(f.Newer(NoTime("1.10.0"), NoTime("1.10")));
  EXPECT_FALSE(f.Newer(NoTime("1.10"), NoTime("1.10.0")));
  EXPECT_TRUE(f.Newer(NoTime("v1.10.0"), NoTime("1.10.0")));  // 'v' sorts above digits
  EXPECT_TRUE(f.Newer(NoTime("1.10"), NoTime("1.9.9")));
  EXPECT_FALSE(f.Newer(NoTime("1.10.0"), NoTime("1.10.0")));  // strict
}

TEST(OrderTest, SemverSelectSortsByPrecedence) {
  TagFilter f = F("semver:*");
  auto out = f.Select(Untimed({"1.10", "1.2.3", "v1.11.0-rc.1", "1.10.0", "1.9.0", "latest",
                               "master-abc", "v2", "1.2.3+build"}));
  EXPECT_THAT(Tags(out), ElementsAre("v2", "1.10.0", "1.10", "1.9.0", "1.2.3+build", "1.2.3"));
}

TEST(OrderTest, SemverSelectOrdersPrereleasesBySpec) {
  TagFilter f = F("semver:>=1.0.0-alpha <1.0.1");
  std::vector<std::string> want = {"1.0.0",         "1.0.0-rc.1", "1.0.0-beta.11",
                                   "1.0.0-beta.2",  "1.0.0-beta", "1.0.0-alpha.beta",
                                   "1.0.0-alpha.1", "1.0.0-alpha"};
  std::vector<std::string> shuffled = {"1.0.0-beta",       "1.0.0-alpha.1", "1.0.0",
                                       "1.0.0-beta.11",    "1.0.0-alpha",   "1.0.0-rc.1",
                                       "1.0.0-alpha.beta", "1.0.0-beta.2",  "1.0.1-rc.1"};
  EXPECT_THAT(Tags(f.Select(Untimed(shuffled))), ElementsAreArray(want));
}

TEST(OrderTest, SemverUnparseableTagIsOlderThanAnyVersion) {
  TagFilter f = F("semver:*");
  EXPECT_TRUE(f.Newer(NoTime("0.0.1"), NoTime("junk")));
  EXPECT_FALSE(f.Newer(NoTime("junk"), NoTime("0.0.1")));
  EXPECT_TRUE(f.Newer(NoTime("junk2"), NoTime("junk10")) == false);
}

TEST(OrderTest, TimeOrderNewestFirst) {
  TagFilter f = F("glob:*");
  auto out = f.Select(std::vector<TagInfo>{At("2.0.0", 10), At("1.0.0", 30), At("3.0.0", 20)});
  EXPECT_THAT(Tags(out), ElementsAre("1.0.0", "3.0.0", "2.0.0"));
}

TEST(OrderTest, EqualTimesBreakByNaturalOrderLargerWins) {
  TagFilter f = F("glob:*");
  EXPECT_TRUE(f.Newer(At("0.0.3", 5), At("0.0.1", 5)));
  EXPECT_FALSE(f.Newer(At("0.0.1", 5), At("0.0.3", 5)));
  EXPECT_TRUE(f.Newer(At("build-10", 5), At("build-9", 5)));
  auto out = f.Select(std::vector<TagInfo>{At("0.0.1", 5), At("0.0.3", 5), At("0.0.2", 5)});
  EXPECT_THAT(Tags(out), ElementsAre("0.0.3", "0.0.2", "0.0.1"));
}

TEST(OrderTest, KnownTimeIsNewerThanUnknownAndUnknownsTieByNaturalOrder) {
  TagFilter f = F("regex:.");
  EXPECT_TRUE(f.Newer(At("a", 0), NoTime("z")));
  EXPECT_FALSE(f.Newer(NoTime("z"), At("a", 0)));
  EXPECT_TRUE(f.Newer(NoTime("v10"), NoTime("v9")));
}

TEST(SelectTest, UnknownTimesAreReportedNotCandidates) {
  TagFilter f = F("master-*");
  std::vector<TagInfo> in = {At("master-a", 1), NoTime("master-b"), At("master-c", 2),
                             NoTime("other"), NoTime("master-d")};
  std::vector<std::string> unknown;
  auto out = f.Select(in, &unknown);
  EXPECT_THAT(Tags(out), ElementsAre("master-c", "master-a"));
  EXPECT_THAT(unknown, ElementsAre("master-b", "master-d"));  // input order; "other" unmatched
  EXPECT_THAT(Tags(f.Select(in)), ElementsAre("master-c", "master-a"));  // null is fine
}

TEST(SelectTest, UntimedOrdersNeedNoCreationTime) {
  std::vector<std::string> unknown;
  auto out = F("semver:^1").Select(Untimed({"1.0.0", "1.1.0"}), &unknown);
  EXPECT_THAT(Tags(out), ElementsAre("1.1.0", "1.0.0"));
  EXPECT_TRUE(unknown.empty());
}

TEST(SelectTest, EmptyInputGivesEmptyOutput) {
  std::vector<std::string> unknown;
  EXPECT_TRUE(F("").Select({}, &unknown).empty());
  EXPECT_TRUE(unknown.empty());
}

TEST(SelectTest, KeepsCreationTimesOfSelectedTags) {
  auto out = F("*").Select(std::vector<TagInfo>{At("a", 7)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], At("a", 7));
}

TEST(OrderTest, AlphabeticalIsByteOrder) {
  TagFilter f = F("alphabetical:*");
  auto out = f.Select(Untimed({"b", "a", "c10", "c9", "B", "latest"}));
  EXPECT_THAT(Tags(out), ElementsAre("c9", "c10", "b", "a", "B"));
  EXPECT_TRUE(f.Newer(NoTime("RELEASE.2023-02"), NoTime("RELEASE.2023-01")));
}

TEST(OrderTest, NumericalByValueNonNumbersExcluded) {
  TagFilter f = F("numerical:*");
  auto out = f.Select(Untimed({"10", "9", "010", "1.5", "abc", "-3", "1.50", "v7", "100"}));
  EXPECT_THAT(Tags(out), ElementsAre("100", "10", "010", "9", "1.50", "1.5", "-3"));
  EXPECT_TRUE(f.Newer(NoTime("-1"), NoTime("-2")));
  EXPECT_TRUE(f.Newer(NoTime("0"), NoTime("-0.5")));
  EXPECT_TRUE(f.Newer(NoTime("0.25"), NoTime("0.125")));
  EXPECT_TRUE(f.Newer(NoTime("99999999999999999999999"), NoTime("99999999999999999999998")));
  EXPECT_TRUE(f.Newer(NoTime("1"), NoTime("abc")));
}

// Newer is a strict total order over distinct tags, and Select agrees with it.
TEST(OrderTest, NewerIsStrictAndSelectIsSortedForEveryKind) {
  std::vector<TagInfo> tags;
  const std::vector<std::string> names = {
      "1.10", "1.10.0",     "v1.10.0",    "1.9", "1.2.3-rc.1", "1.2.3",  "10",    "010",   "9",
      "1.5",  "master-abc", "master-abd", "a",   "B",          "latest", "0.0.1", "0.0.3", "2.0"};
  for (size_t i = 0; i < names.size(); ++i) {
    tags.push_back(i % 3 == 0 ? NoTime(names[i]) : At(names[i], static_cast<int>(i % 4)));
  }
  for (std::string_view spec :
       {"*", "regex:.", "semver:*", "semver:>=1.2.3-rc.0", "alphabetical:*", "numerical:*"}) {
    TagFilter f = F(spec);
    for (const auto& a : tags) {
      EXPECT_FALSE(f.Newer(a, a)) << spec << " " << a.tag;
      for (const auto& b : tags) {
        if (a.tag != b.tag) {
          EXPECT_NE(f.Newer(a, b), f.Newer(b, a)) << spec << ": " << a.tag << " vs " << b.tag;
        }
      }
    }
    std::vector<TagInfo> out = f.Select(tags);
    for (size_t i = 1; i < out.size(); ++i) {
      EXPECT_TRUE(f.Newer(out[i - 1], out[i]))
          << spec << ": " << out[i - 1].tag << " before " << out[i].tag;
    }
    for (const auto& t : out) EXPECT_TRUE(f.Matches(t.tag)) << spec << " " << t.tag;
  }
}

TEST(TagFilterTest, DefaultIsTheEmptySpec) {
  TagFilter f;
  EXPECT_EQ(f.spec(), "");
  EXPECT_EQ(f.kind(), FilterKind::kGlob);
  EXPECT_TRUE(f.NeedsCreationTime());
  EXPECT_TRUE(f.Matches("a.b/c"));
  EXPECT_FALSE(f.Matches("latest"));
}

TEST(TagFilterTest, CopiesShareTheCompiledRegex) {
  TagFilter f = F("regex:^v[0-9]+$");
  TagFilter copy = f;
  EXPECT_TRUE(copy.Matches("v12"));
  EXPECT_FALSE(copy.Matches("v12a"));
  EXPECT_EQ(copy.spec(), "regex:^v[0-9]+$");
}

// "flux:" filters: Flux v2 ImagePolicy semantics. The cases are the examples
// of Flux's ImagePolicy documentation (fluxcd.io/flux/components/image/
// imagepolicies/#filter-tags) and image-reflector-controller's policy tests.

TEST(FluxFilterTest, NumericalAscOnExtractedTimestamp) {
  TagFilter f = F(R"j(flux:{"pattern":"^main-[a-fA-F0-9]+-(?P<ts>.*)","extract":"$ts",)j"
                  R"j("policy":"numerical","order":"asc"})j");
  EXPECT_EQ(f.kind(), FilterKind::kNumerical);
  EXPECT_FALSE(f.NeedsCreationTime());
  std::vector<TagInfo> tags =
      Untimed({"main-9e11ab2-1611840000", "main-a1b2c3d-1611840005", "dev-ffffff0-1711840009",
               "main-0000000-notanumber", "main-1234567-1611839999", "latest"});
  EXPECT_THAT(
      Tags(f.Select(tags)),
      ElementsAre("main-a1b2c3d-1611840005", "main-9e11ab2-1611840000", "main-1234567-1611839999"));
  EXPECT_TRUE(f.Matches("main-abc-12"));
  EXPECT_FALSE(f.Matches("dev-abc-12"));
  EXPECT_FALSE(f.Matches("main-abc-x"));  // extracted value is not a number
}

TEST(FluxFilterTest, NumericalDescPicksTheSmallest) {
  TagFilter f = F(R"j(flux:{"policy":"numerical","order":"desc"})j");
  EXPECT_THAT(Tags(f.Select(Untimed({"3", "10", "1", "x"}))), ElementsAre("1", "3", "10"));
  EXPECT_TRUE(f.Newer(NoTime("2"), NoTime("5")));
  EXPECT_FALSE(f.Newer(NoTime("5"), NoTime("2")));
}

TEST(FluxFilterTest, AlphabeticalOnExtractedReleaseDate) {
  TagFilter f = F(R"j(flux:{"pattern":"^RELEASE\\.(?P<timestamp>.*)Z$","extract":"$timestamp",)j"
                  R"j("policy":"alphabetical","order":"asc"})j");
  std::vector<TagInfo> tags =
      Untimed({"RELEASE.2021-01-27T00-59-49Z", "RELEASE.2021-02-01T00-01-02Z",
               "RELEASE.2021-01-30T12-00-00Z", "RELEASE.broken", "2099-01-01"});
  EXPECT_THAT(Tags(f.Select(tags)),
              ElementsAre("RELEASE.2021-02-01T00-01-02Z", "RELEASE.2021-01-30T12-00-00Z",
                          "RELEASE.2021-01-27T00-59-49Z"));
}

TEST(FluxFilterTest, AlphabeticalDescOrdersByTheExtractedValueNotTheTag) {
  // The tags sort one way, the extracted values the other.
  TagFilter f = F(R"j(flux:{"pattern":"^(?P<a>[a-z])-(?<b>[a-z])$","extract":"${b}$a",)j"
                  R"j("policy":"alphabetical","order":"desc"})j");
  EXPECT_THAT(Tags(f.Select(Untimed({"a-z", "b-y", "c-x"}))), ElementsAre("c-x", "b-y", "a-z"));
}

TEST(FluxFilterTest, SemverOnTheWholeTagWithAPreFilter) {
  TagFilter f = F(R"j(flux:{"pattern":".*-rc.*","policy":"semver","range":">=1.0.0-rc.0"})j");
  // 1.0.0 fails the pattern; 1.1.0-rc.2 is a pre-release of another
  // version than the one the range names (DESIGN.md §3), so not a candidate.
  EXPECT_THAT(Tags(f.Select(Untimed({"1.0.0-rc.1", "1.0.0-rc.10", "1.0.0", "1.1.0-rc.2"}))),
              ElementsAre("1.0.0-rc.10", "1.0.0-rc.1"));
}

TEST(FluxFilterTest, SemverOnAnExtractedVersion) {
  TagFilter f = F(R"j(flux:{"pattern":"^app-(?P<v>.*)$","extract":"$v","policy":"semver",)j"
                  R"j("range":"^1.x"})j");
  EXPECT_THAT(Tags(f.Select(Untimed({"app-1.2.0", "app-2.0.0", "app-1.10.0", "1.11.0"}))),
              ElementsAre("app-1.10.0", "app-1.2.0"));
}

TEST(FluxFilterTest, ExpandFollowsGoTemplates) {
  TagFilter f = F(R"j(flux:{"pattern":"^(\\d+)-(\\d+)$","extract":"$2$$1${1}x$","policy":)j"
                  R"j("alphabetical"})j");
  // values: "<2>$1<1>x$": b-values compare by their second number first.
  EXPECT_THAT(Tags(f.Select(Untimed({"1-2", "2-1", "3-3"}))), ElementsAre("3-3", "1-2", "2-1"));
}

TEST(FluxFilterTest, InvalidFluxSpecsNameTheReason) {
  for (auto [spec, why] : std::vector<std::pair<std::string, std::string>>{
           {"flux:", "JSON object"},
           {"flux:[1]", "JSON object"},
           {R"j(flux:{"policy":"semver"})j", "semver"},
           {R"j(flux:{"policy":"calendar"})j", "is not semver, alphabetical or numerical"},
           {R"j(flux:{"policy":"numerical","order":"up"})j", "order \"up\""},
           {R"j(flux:{"policy":"numerical","range":"1"})j", "has no range"},
           {R"j(flux:{"policy":"semver","range":"1.x","order":"asc"})j", "has no order"},
           {R"j(flux:{"policy":"numerical","extract":"$x"})j", "extract needs a pattern"},
           {R"j(flux:{"policy":"numerical","pattern":"(?P<ts>.*)","extract":"$tss"})j",
            "$tss, which the pattern does not define"},
           {R"j(flux:{"policy":"numerical","pattern":"(["})j", "invalid pattern"},
           {R"j(flux:{"policy":"numerical","pattern":1})j", "must be a string"},
           {R"j(flux:{"policy":"numerical","filter":"x"})j", "unknown field \"filter\""}}) {
    Result<TagFilter> f = TagFilter::Parse(spec);
    ASSERT_FALSE(f.has_value()) << spec;
    EXPECT_THAT(f.error().message, HasSubstr(why)) << spec;
    EXPECT_THAT(f.error().message, HasSubstr("invalid tag filter")) << spec;
  }
}

}  // namespace
}  // namespace tagflow::image
