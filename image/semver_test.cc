#include "image/semver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tagflow::image {
namespace {

using ::testing::HasSubstr;

Version V(std::string_view text) {
  Result<Version> v = Version::Parse(text);
  EXPECT_TRUE(v.has_value()) << text << ": " << (v ? "" : v.error().message);
  return v.value_or(Version{});
}

// ---------------------------------------------------------------- versions

struct ParseCase {
  std::string text;
  uint64_t major, minor, patch;
  int parts;
  std::string pre, build, normal;
};

void PrintTo(const ParseCase& c, std::ostream* os) { *os << '"' << c.text << '"'; }

class VersionParseTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(VersionParseTest, Parses) {
  const ParseCase& c = GetParam();
  Result<Version> v = Version::Parse(c.text);
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(v->major(), c.major);
  EXPECT_EQ(v->minor(), c.minor);
  EXPECT_EQ(v->patch(), c.patch);
  EXPECT_EQ(v->parts(), c.parts);
  EXPECT_EQ(v->prerelease(), c.pre);
  EXPECT_EQ(v->build(), c.build);
  EXPECT_EQ(v->IsPrerelease(), !c.pre.empty());
  EXPECT_EQ(v->String(), c.normal);
  EXPECT_TRUE(Version::TryParse(c.text).has_value());
}

INSTANTIATE_TEST_SUITE_P(
    Valid, VersionParseTest,
    ::testing::Values(
        ParseCase{"1.2.3", 1, 2, 3, 3, "", "", "1.2.3"},
        ParseCase{"v1.2.3", 1, 2, 3, 3, "", "", "1.2.3"},
        ParseCase{"V1.2.3", 1, 2, 3, 3, "", "", "1.2.3"},
        ParseCase{"1", 1, 0, 0, 1, "", "", "1.0.0"}, ParseCase{"v2", 2, 0, 0, 1, "", "", "2.0.0"},
        ParseCase{"1.2", 1, 2, 0, 2, "", "", "1.2.0"},
        ParseCase{"0.0.0", 0, 0, 0, 3, "", "", "0.0.0"},
        ParseCase{"1.2.3-rc.1", 1, 2, 3, 3, "rc.1", "", "1.2.3-rc.1"},
        ParseCase{"1.2.3-rc.1+build.5", 1, 2, 3, 3, "rc.1", "build.5", "1.2.3-rc.1+build.5"},
        ParseCase{"1.2.3+build", 1, 2, 3, 3, "", "build", "1.2.3+build"},
        ParseCase{"1.2.3+001", 1, 2, 3, 3, "", "001", "1.2.3+001"},
        ParseCase{"1.2-rc1", 1, 2, 0, 2, "rc1", "", "1.2.0-rc1"},
        ParseCase{"v3-alpha", 3, 0, 0, 1, "alpha", "", "3.0.0-alpha"},
        ParseCase{"01.02.03", 1, 2, 3, 3, "", "", "1.2.3"},
        ParseCase{"1.0.0-alpha-1", 1, 0, 0, 3, "alpha-1", "", "1.0.0-alpha-1"},
        ParseCase{"1.0.0-0A.is.legal", 1, 0, 0, 3, "0A.is.legal", "", "1.0.0-0A.is.legal"},
        ParseCase{"1.0.0-x-y-z.--", 1, 0, 0, 3, "x-y-z.--", "", "1.0.0-x-y-z.--"},
        ParseCase{"1.0.0-0", 1, 0, 0, 3, "0", "", "1.0.0-0"},
        ParseCase{"2023.01.15", 2023, 1, 15, 3, "", "", "2023.1.15"},
        ParseCase{"18446744073709551615.0.0", 18446744073709551615ULL, 0, 0, 3, "", "",
                  "18446744073709551615.0.0"}));

struct BadCase {
  std::string text;
  std::string reason;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << '"' << c.text << '"'; }

class VersionRejectTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(VersionRejectTest, RejectsWithReason) {
  const BadCase& c = GetParam();
  Result<Version> v = Version::Parse(c.text);
  ASSERT_FALSE(v.has_value()) << c.text << " parsed as " << v->String();
  EXPECT_EQ(v.error().kind, ErrorKind::kInvalidInput);
  EXPECT_THAT(v.error().message, HasSubstr("\"" + c.text + "\""));
  EXPECT_THAT(v.error().message, HasSubstr(c.reason));
  EXPECT_FALSE(Version::TryParse(c.text).has_value());
}

INSTANTIATE_TEST_SUITE_P(
    Invalid, VersionRejectTest,
    ::testing::Values(BadCase{"", "empty version"}, BadCase{"v", "empty version"},
                      BadCase{"latest", "not a number"}, BadCase{"master-abc", "not a number"},
                      BadCase{"1.2.3.4", "too many parts"}, BadCase{"1..2", "empty version part"},
                      BadCase{"1.2.", "empty version part"}, BadCase{".1", "empty version part"},
                      BadCase{"1.2.3-", "empty pre-release identifier"},
                      BadCase{"1.2.3-rc..1", "empty pre-release identifier"},
                      BadCase{"1.2.3+", "empty build identifier"},
                      BadCase{"1.2.3-01", "leading zero"}, BadCase{"1.2.3-rc.007", "leading zero"},
                      BadCase{"1.2.3-rc_1", "[0-9A-Za-z-]"}, BadCase{"1.2.3+a+b", "[0-9A-Za-z-]"},
                      BadCase{"18446744073709551616", "too large"},
                      BadCase{"-1", "empty version part"}, BadCase{"1.x", "not a number"},
                      BadCase{"*", "not a number"}, BadCase{"v1.2.3 ", "not a number"},
                      BadCase{"vv1", "not a number"}, BadCase{"1.2.3a", "not a number"}));

// semver.org §11 example chain, then core parts.
TEST(PrecedenceTest, FollowsTheSpecChain) {
  const std::vector<std::string> ascending = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                              "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                                              "1.0.0-rc.1",  "1.0.0",         "1.0.1",
                                              "1.1.0",       "1.9.0",         "1.10.0",
                                              "2.0.0-0",     "2.0.0",         "10.0.0"};
  for (size_t i = 0; i < ascending.size(); ++i) {
    for (size_t j = 0; j < ascending.size(); ++j) {
      int c = ComparePrecedence(V(ascending[i]), V(ascending[j]));
      int want = i < j ? -1 : (i > j ? 1 : 0);
      EXPECT_EQ(c < 0 ? -1 : (c > 0 ? 1 : 0), want) << ascending[i] << " vs " << ascending[j];
    }
  }
}

struct PrecedenceCase {
  std::string a, b;
  int want;
};

void PrintTo(const PrecedenceCase& c, std::ostream* os) { *os << c.a << " vs " << c.b; }

class PrecedencePairTest : public ::testing::TestWithParam<PrecedenceCase> {};

TEST_P(PrecedencePairTest, Compares) {
  const PrecedenceCase& c = GetParam();
  int got = ComparePrecedence(V(c.a), V(c.b));
  EXPECT_EQ(got < 0 ? -1 : (got > 0 ? 1 : 0), c.want);
  int back = ComparePrecedence(V(c.b), V(c.a));
  EXPECT_EQ(back < 0 ? -1 : (back > 0 ? 1 : 0), -c.want);
}

INSTANTIATE_TEST_SUITE_P(
    Pairs, PrecedencePairTest,
    ::testing::Values(PrecedenceCase{"1.2.3+a", "1.2.3+b", 0},          // build metadata ignored
                      PrecedenceCase{"1.2.3", "1.2.3+b", 0},            //
                      PrecedenceCase{"1.0.0-rc.1+x", "1.0.0-rc.1", 0},  //
                      PrecedenceCase{"1.2", "1.2.0", 0},                // partial = zeros
                      PrecedenceCase{"v1", "1.0.0", 0},                 //
                      PrecedenceCase{"1.10", "1.9.9", 1},               //
                      PrecedenceCase{"1.0.0-1", "1.0.0-a", -1},         // numeric < alphanumeric
                      PrecedenceCase{"1.0.0-2", "1.0.0-10", -1},        // numerically
                      PrecedenceCase{"1.0.0-a", "1.0.0-b", -1},         //
                      PrecedenceCase{"1.0.0-A", "1.0.0-a", -1},         // ASCII
                      PrecedenceCase{"1.0.0-rc10", "1.0.0-rc9", -1},    // alphanumeric: by bytes
                      PrecedenceCase{"1.0.0-a.1", "1.0.0-a.1.0", -1},   // shorter set lower
                      PrecedenceCase{"1.0.0-99999999999999999999", "1.0.0-100000000000000000000",
                                     -1},
                      PrecedenceCase{"1.0.0-rc.1", "0.9.9", 1},  //
                      PrecedenceCase{"18446744073709551615.0.0", "18446744073709551614.99.99", 1}));

// ------------------------------------------------------------- constraints

struct CheckCase {
  std::string constraint;
  std::string version;
  bool want;
};

void PrintTo(const CheckCase& c, std::ostream* os) {
  *os << '"' << c.constraint << "\" on " << c.version << (c.want ? " passes" : " fails");
}

class ConstraintCheckTest : public ::testing::TestWithParam<CheckCase> {};

TEST_P(ConstraintCheckTest, Checks) {
  const CheckCase& c = GetParam();
  Result<Constraint> con = Constraint::Parse(c.constraint);
  ASSERT_TRUE(con.has_value()) << con.error().message;
  EXPECT_EQ(con->text(), c.constraint);
  EXPECT_EQ(con->Check(V(c.version)), c.want);
}

INSTANTIATE_TEST_SUITE_P(
    Exact, ConstraintCheckTest,
    ::testing::Values(CheckCase{"1.2.3", "1.2.3", true}, CheckCase{"1.2.3", "v1.2.3", true},
                      CheckCase{"1.2.3", "1.2.3+b", true}, CheckCase{"1.2.3", "1.2.4", false},
                      CheckCase{"1.2.3", "1.2.3-rc.1", false}, CheckCase{"=1.2.3", "1.2.3", true},
                      CheckCase{"= 1.2.3", "1.2.3", true}, CheckCase{"v1.2.3", "1.2.3", true},
                      CheckCase{"=V1.2.3", "1.2.3", true},
                      CheckCase{"1.2.3+abc", "1.2.3+xyz", true}, CheckCase{"=1.2", "1.2.0", true},
                      CheckCase{"=1.2", "1.2.9", true}, CheckCase{"=1.2", "1.3.0", false},
                      CheckCase{"=1.2", "1.1.9", false}, CheckCase{"1", "1.0.0", true},
                      CheckCase{"1", "1.9.9", true}, CheckCase{"1", "2.0.0", false},
                      CheckCase{"1", "0.9.9", false}, CheckCase{"  1.2.3  ", "1.2.3", true}));

INSTANTIATE_TEST_SUITE_P(
    NotEqual, ConstraintCheckTest,
    ::testing::Values(CheckCase{"!=1.2.3", "1.2.3", false}, CheckCase{"!=1.2.3", "1.2.4", true},
                      CheckCase{"!=1.2.3", "1.2.2", true}, CheckCase{"!=1.2.3", "1.2.3+x", false},
                      CheckCase{"!=1.2", "1.2.5", false}, CheckCase{"!=1.2", "1.3.0", true},
                      CheckCase{"!=1.2", "1.1.0", true}, CheckCase{"!=1.x", "1.5.0", false},
                      CheckCase{"!=1.x", "2.0.0", true}, CheckCase{"!=*", "1.0.0", false},
                      CheckCase{"!=1.2.3-rc.1", "1.2.3-rc.1", false},
                      CheckCase{"!=1.2.3-rc.1", "1.2.3-rc.2", true},
                      CheckCase{"!=1.2.3-rc.1", "1.2.3", true}));

INSTANTIATE_TEST_SUITE_P(
    Relational, ConstraintCheckTest,
    ::testing::Values(CheckCase{">1.2.3", "1.2.4", true}, CheckCase{">1.2.3", "1.2.3", false},
                      CheckCase{">1.2.3", "2.0.0", true}, CheckCase{">1.2.3", "1.2.3+b", false},
                      CheckCase{">1.2", "1.2.9", false}, CheckCase{">1.2", "1.3.0", true},
                      CheckCase{">1", "1.9.9", false}, CheckCase{">1", "2.0.0", true},
                      CheckCase{">1.x", "1.9.9", false}, CheckCase{">1.x", "2.0.0", true},
                      CheckCase{">*", "1.0.0", false}, CheckCase{">*", "0.0.0", false},
                      CheckCase{">=1.2.3", "1.2.3", true}, CheckCase{">=1.2.3", "1.2.2", false},
                      CheckCase{">=1.2.3", "9.0.0", true}, CheckCase{">=1.2", "1.2.0", true},
                      CheckCase{">=1.2", "1.1.9", false}, CheckCase{"=>1.2", "1.2.0", true},
                      CheckCase{">= 1.2", "1.2.0", true}, CheckCase{">=*", "0.0.0", true},
                      CheckCase{">=V1.2", "1.3.0", true}, CheckCase{"<1.2.3", "1.2.2", true},
                      CheckCase{"<1.2.3", "1.2.3", false}, CheckCase{"<1.2.3", "0.0.0", true},
                      CheckCase{"<1.2", "1.1.99", true}, CheckCase{"<1.2", "1.2.0", false},
                      CheckCase{"<*", "0.0.0", false}, CheckCase{"<=1.2.3", "1.2.3", true},
                      CheckCase{"<=1.2.3", "1.2.4", false}, CheckCase{"<=1.2", "1.2.99", true},
                      CheckCase{"<=1.2", "1.3.0", false}, CheckCase{"<=1", "1.99.0", true},
                      CheckCase{"<=1", "2.0.0", false}, CheckCase{"=<1.2.3", "1.2.3", true},
                      CheckCase{"<=*", "99.0.0", true}));

INSTANTIATE_TEST_SUITE_P(
    Tilde, ConstraintCheckTest,
    ::testing::Values(CheckCase{"~1.2.3", "1.2.3", true}, CheckCase{"~1.2.3", "1.2.9", true},
                      CheckCase{"~1.2.3", "1.3.0", false}, CheckCase{"~1.2.3", "1.2.2", false},
                      CheckCase{"~1.2", "1.2.0", true}, CheckCase{"~1.2", "1.2.9", true},
                      CheckCase{"~1.2", "1.3.0", false}, CheckCase{"~1", "1.0.0", true},
                      CheckCase{"~1", "1.9.0", true}, CheckCase{"~1", "2.0.0", false},
                      CheckCase{"~1", "0.9.0", false}, CheckCase{"~1.x", "1.9.0", true},
                      CheckCase{"~1.x", "2.0.0", false}, CheckCase{"~>1.2.3", "1.2.5", true},
                      CheckCase{"~>1.2.3", "1.3.0", false}, CheckCase{"~ 1.2", "1.2.4", true},
                      CheckCase{"~0.0.1", "0.0.1", true}, CheckCase{"~0.0.1", "0.0.5", true},
                      CheckCase{"~0.0.1", "0.1.0", false}, CheckCase{"~0.0.0", "0.0.9", true},
                      CheckCase{"~0.0.0", "0.1.0", false}, CheckCase{"~*", "5.0.0", true}));

INSTANTIATE_TEST_SUITE_P(
    Caret, ConstraintCheckTest,
    ::testing::Values(CheckCase{"^1.2.3", "1.2.3", true}, CheckCase{"^1.2.3", "1.9.9", true},
                      CheckCase{"^1.2.3", "2.0.0", false}, CheckCase{"^1.2.3", "1.2.2", false},
                      CheckCase{"^1.2", "1.2.0", true}, CheckCase{"^1.2", "1.99.0", true},
                      CheckCase{"^1.2", "2.0.0", false}, CheckCase{"^1.2", "1.1.0", false},
                      CheckCase{"^1", "1.0.0", true}, CheckCase{"^1", "2.0.0", false},
                      CheckCase{"^0.2.3", "0.2.3", true}, CheckCase{"^0.2.3", "0.2.9", true},
                      CheckCase{"^0.2.3", "0.3.0", false}, CheckCase{"^0.2.3", "0.2.2", false},
                      CheckCase{"^0.2", "0.2.0", true}, CheckCase{"^0.2", "0.3.0", false},
                      CheckCase{"^0.0.3", "0.0.3", true}, CheckCase{"^0.0.3", "0.0.4", false},
                      CheckCase{"^0.0.3", "0.0.2", false}, CheckCase{"^0.0", "0.0.0", true},
                      CheckCase{"^0.0", "0.0.9", true}, CheckCase{"^0.0", "0.1.0", false},
                      CheckCase{"^0", "0.0.0", true}, CheckCase{"^0", "0.9.9", true},
                      CheckCase{"^0", "1.0.0", false}, CheckCase{"^0.x", "0.9.0", true},
                      CheckCase{"^0.x", "1.0.0", false}, CheckCase{"^0.0.x", "0.0.9", true},
                      CheckCase{"^0.0.x", "0.1.0", false}, CheckCase{"^0.0.0", "0.0.0", true},
                      CheckCase{"^0.0.0", "0.0.1", false}, CheckCase{"^*", "3.0.0", true},
                      CheckCase{"^18446744073709551615", "18446744073709551615.5.0", true}));

INSTANTIATE_TEST_SUITE_P(
    Wildcards, ConstraintCheckTest,
    ::testing::Values(CheckCase{"1.2.x", "1.2.0", true}, CheckCase{"1.2.x", "1.2.99", true},
                      CheckCase{"1.2.x", "1.3.0", false}, CheckCase{"1.2.X", "1.2.5", true},
                      CheckCase{"1.2.*", "1.2.5", true}, CheckCase{"1.2.*", "1.1.5", false},
                      CheckCase{"1.*", "1.0.0", true}, CheckCase{"1.*", "1.99.0", true},
                      CheckCase{"1.*", "2.0.0", false}, CheckCase{"1.x.x", "1.5.5", true},
                      CheckCase{"1.x.3", "1.5.0", true}, CheckCase{"*", "0.0.0", true},
                      CheckCase{"*", "99.1.2", true}, CheckCase{"x", "3.2.1", true},
                      CheckCase{"X", "3.2.1", true}, CheckCase{"v1.x", "1.4.0", true}));

INSTANTIATE_TEST_SUITE_P(
    HyphenRanges, ConstraintCheckTest,
    ::testing::Values(
        CheckCase{"1.2 - 1.4", "1.2.0", true}, CheckCase{"1.2 - 1.4", "1.4.99", true},
        CheckCase{"1.2 - 1.4", "1.5.0", false}, CheckCase{"1.2 - 1.4", "1.1.9", false},
        CheckCase{"1.2.3 - 2.3.4", "1.2.3", true}, CheckCase{"1.2.3 - 2.3.4", "2.3.4", true},
        CheckCase{"1.2.3 - 2.3.4", "2.3.5", false}, CheckCase{"1.2.3 - 2.3.4", "1.2.2", false},
        CheckCase{"1.2.3 - 2", "2.9.9", true}, CheckCase{"1.2.3 - 2", "3.0.0", false},
        CheckCase{"v1.2.3 - v1.2.5", "1.2.4", true}, CheckCase{"1.x - 2.x", "2.5.0", true},
        CheckCase{"1.2.3  -  1.2.5", "1.2.5", true}, CheckCase{"1.2 - 1.4 !=1.3.0", "1.3.0", false},
        CheckCase{"1.2 - 1.4, !=1.3.0", "1.3.1", true}));

INSTANTIATE_TEST_SUITE_P(
    AndOr, ConstraintCheckTest,
    ::testing::Values(
        CheckCase{">=1.2 <2", "1.5.0", true}, CheckCase{">=1.2 <2", "2.0.0", false},
        CheckCase{">=1.2 <2", "1.1.0", false}, CheckCase{">=1.2, <2", "1.5.0", true},
        CheckCase{">=1.2,<2", "2.1.0", false}, CheckCase{">=1.2 , <2", "1.5.0", true},
        CheckCase{">= 1.2, < 2", "1.9.9", true}, CheckCase{">1.2.3 !=1.2.5 <1.3", "1.2.4", true},
        CheckCase{">1.2.3 !=1.2.5 <1.3", "1.2.5", false},
        CheckCase{">1.2.3 !=1.2.5 <1.3", "1.2.6", true},
        CheckCase{">1.2.3 !=1.2.5 <1.3", "1.3.0", false}, CheckCase{"<1.0 || >=2.0", "0.9.0", true},
        CheckCase{"<1.0 || >=2.0", "1.5.0", false}, CheckCase{"<1.0 || >=2.0", "2.0.0", true},
        CheckCase{"<1.0||>=2.0", "2.0.0", true}, CheckCase{"1.2.3 || 1.2.5", "1.2.4", false},
        CheckCase{"1.2.3 || 1.2.5", "1.2.5", true}, CheckCase{"^1.2 || ^2.0", "2.3.0", true},
        CheckCase{"^1.2 || ^2.0", "3.0.0", false}, CheckCase{"1.2.3 - 1.2.5 || >=3", "3.1.0", true},
        CheckCase{"1.2.3 - 1.2.5 || >=3", "1.2.4", true},
        CheckCase{"1.2.3 - 1.2.5 || >=3", "2.0.0", false}));

INSTANTIATE_TEST_SUITE_P(
    PreReleases, ConstraintCheckTest,
    ::testing::Values(
        // Not named on the same MAJOR.MINOR.PATCH: excluded.
        CheckCase{"^1.2", "1.2.3-rc.1", false}, CheckCase{"*", "1.0.0-rc.1", false},
        CheckCase{">=0", "1.0.0-rc.1", false}, CheckCase{"<1.2.3", "1.2.3-rc.1", false},
        CheckCase{"~1.2", "1.2.0-rc.1", false}, CheckCase{"1.2.x", "1.2.4-beta", false},
        // Named: admitted, then compared by precedence.
        CheckCase{">=1.2.3-rc.0 <1.2.4", "1.2.3-rc.1", true},
        CheckCase{">=1.2.3-rc.0 <1.2.4", "1.2.3", true},
        CheckCase{">=1.2.3-rc.0 <1.2.4", "1.2.3-alpha", false},
        CheckCase{">=1.2.3-rc.0 <1.2.4", "1.2.4-rc.1", false},
        CheckCase{">=1.2.3-rc.0", "1.2.3-rc.1", true},
        CheckCase{">=1.2.3-rc.0", "1.2.4-rc.1", false}, CheckCase{">=1.2.3-rc.0", "1.3.0", true},
        CheckCase{"^1.2.3-beta.2", "1.2.3-beta.3", true},
        CheckCase{"^1.2.3-beta.2", "1.2.3-beta.11", true},
        CheckCase{"^1.2.3-beta.2", "1.2.3-beta.1", false},
        CheckCase{"^1.2.3-beta.2", "1.2.3", true}, CheckCase{"^1.2.3-beta.2", "1.2.4-beta", false},
        CheckCase{"^1.2.3-beta.2", "1.9.0", true}, CheckCase{"^1.2.3-beta.2", "2.0.0-beta", false},
        CheckCase{"~1.2.3-beta.2", "1.2.3-beta.11", true},
        CheckCase{"~1.2.3-beta.2", "1.2.3-alpha", false},
        CheckCase{"1.2.3-rc.1", "1.2.3-rc.1", true}, CheckCase{"1.2.3-rc.1", "1.2.3-rc.1+b", true},
        CheckCase{"1.2.3-rc.1", "1.2.3-rc.2", false}, CheckCase{"1.2.3-rc.1", "1.2.3", false},
        CheckCase{">1.0.0-alpha <1.0.0", "1.0.0-beta", true},
        CheckCase{">1.0.0-alpha <1.0.0", "1.0.0-alpha", false},
        CheckCase{"1.2-rc.1", "1.2.0-rc.2", true},  // partial with pre-release
        CheckCase{"1.2.3-rc.1 || ^1.2", "1.2.3-rc.1", true},
        CheckCase{"1.2.3-rc.1 || ^1.2", "1.2.3-rc.2", false},  // per alternative
        CheckCase{"1.2.3-rc.1 - 1.2.3", "1.2.3-rc.5", true},
        CheckCase{">=1.2.3-rc.1 || <1.0", "1.2.3-rc.2", true}));

struct InvalidConstraint {
  std::string text;
  std::string reason;
};

void PrintTo(const InvalidConstraint& c, std::ostream* os) { *os << '"' << c.text << '"'; }

class ConstraintRejectTest : public ::testing::TestWithParam<InvalidConstraint> {};

TEST_P(ConstraintRejectTest, RejectsWithReason) {
  const InvalidConstraint& c = GetParam();
  Result<Constraint> con = Constraint::Parse(c.text);
  ASSERT_FALSE(con.has_value()) << c.text;
  EXPECT_EQ(con.error().kind, ErrorKind::kInvalidInput);
  EXPECT_THAT(con.error().message, HasSubstr("invalid semver constraint \"" + c.text + "\""));
  EXPECT_THAT(con.error().message, HasSubstr(c.reason));
}

INSTANTIATE_TEST_SUITE_P(
    Invalid, ConstraintRejectTest,
    ::testing::Values(InvalidConstraint{"", "empty constraint"},
                      InvalidConstraint{"   ", "empty constraint"},
                      InvalidConstraint{">=", "operator \">=\" has no version"},
                      InvalidConstraint{"=~1.2", "unknown operator \"=~\""},
                      InvalidConstraint{"<>1.2", "unknown operator \"<>\""},
                      InvalidConstraint{"!1.2", "unknown operator \"!\""},
                      InvalidConstraint{"1.2.3.4", "too many parts"},
                      InvalidConstraint{"foo", "invalid version \"foo\""},
                      InvalidConstraint{"latest", "invalid version \"latest\""},
                      InvalidConstraint{"1.2.y", "not a number"},
                      InvalidConstraint{">=1.2 ||", "empty alternative"},
                      InvalidConstraint{"|| 1.2", "empty alternative"},
                      InvalidConstraint{"1.2 || || 1.3", "empty alternative"},
                      InvalidConstraint{"1.2 | 1.3", "single '|'"},
                      InvalidConstraint{">=1.2,,<2", "misplaced ','"},
                      InvalidConstraint{",1.2", "misplaced ','"},
                      InvalidConstraint{"1.2,", "trailing ','"},
                      InvalidConstraint{">=1.2 - 1.4", "takes no operator"},
                      InvalidConstraint{"1.2 - >1.4", "takes no operator"},
                      InvalidConstraint{"1.2 -", "has no upper version"},
                      InvalidConstraint{"1.2 - ", "has no upper version"},
                      InvalidConstraint{"1.2 -1.4", "invalid version \"-1.4\""},
                      InvalidConstraint{"1.2.3-01", "leading zero"},
                      InvalidConstraint{"1.2.3-", "empty pre-release identifier"},
                      InvalidConstraint{">=1.2<2", "expected a space or ','"},
                      InvalidConstraint{"1.2.3=", "expected a space or ','"},
                      InvalidConstraint{"99999999999999999999", "too large"},
                      InvalidConstraint{"1.2 & 1.3", "invalid version \"&\""}));

TEST(ConstraintTest, ExposesAlternativesAndRanges) {
  Result<Constraint> c = Constraint::Parse("1.2 - 1.4 || ^0.0.3");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  ASSERT_EQ(c->alternatives().size(), 2u);
  ASSERT_EQ(c->alternatives()[0].size(), 2u);
  const Comparator& low = c->alternatives()[0][0];
  const Comparator& high = c->alternatives()[0][1];
  ASSERT_TRUE(low.lower && !low.upper);
  EXPECT_EQ(low.lower->String(), "1.2.0");
  EXPECT_TRUE(low.lower_inclusive);
  ASSERT_TRUE(high.upper && !high.lower);
  EXPECT_EQ(high.upper->String(), "1.5.0");
  EXPECT_FALSE(high.upper_inclusive);
  const Comparator& caret = c->alternatives()[1][0];
  ASSERT_TRUE(caret.lower && caret.upper);
  EXPECT_EQ(caret.lower->String(), "0.0.3");
  EXPECT_EQ(caret.upper->String(), "0.0.4");
  EXPECT_FALSE(caret.prerelease_base.has_value());
}

TEST(ConstraintTest, PrereleaseBaseIsTheNamedCore) {
  Result<Constraint> c = Constraint::Parse(">=1.2-rc.1");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  const Comparator& only = c->alternatives()[0][0];
  ASSERT_TRUE(only.prerelease_base.has_value());
  EXPECT_EQ(only.prerelease_base->String(), "1.2.0");
}

}  // namespace
}  // namespace tagflow::image
