#include "base/glob.h"

#include <gtest/gtest.h>

#include <string>

namespace tagflow {
namespace {

TEST(GlobTest, WholeStringWithStarAndQuestionMark) {
  EXPECT_TRUE(GlobMatch("master-*", "master-1a2b"));
  EXPECT_TRUE(GlobMatch("master-*", "master-"));
  EXPECT_FALSE(GlobMatch("master-*", "xmaster-1"));
  EXPECT_TRUE(GlobMatch("*/app", "ghcr.io/org/app"));  // `*` crosses '/'
  EXPECT_TRUE(GlobMatch("v?.0", "v1.0"));
  EXPECT_FALSE(GlobMatch("v?.0", "v10.0"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("", "x"));
}

TEST(GlobTest, CaseFoldingOnlyWhenAsked) {
  EXPECT_FALSE(GlobMatch("*.Example.com", "git.example.com"));
  EXPECT_TRUE(GlobMatch("*.Example.com", "git.example.com", GlobCase::kInsensitive));
}

TEST(GlobTest, ManyStarsStayPolynomial) {
  // A backtracking matcher without the last-star rule takes exponential time here.
  std::string pattern(30, '*');
  pattern += "b";
  EXPECT_FALSE(GlobMatch(pattern, std::string(5000, 'a')));
}

}  // namespace
}  // namespace tagflow
