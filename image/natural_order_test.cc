#include "image/natural_order.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace tagflow::image {
namespace {

struct OrderCase {
  std::string a, b;  // a < b
};

void PrintTo(const OrderCase& c, std::ostream* os) { *os << '"' << c.a << "\" < \"" << c.b << '"'; }

class NaturalLessTest : public ::testing::TestWithParam<OrderCase> {};

TEST_P(NaturalLessTest, OrdersBothWays) {
  const OrderCase& c = GetParam();
  EXPECT_LT(NaturalCompare(c.a, c.b), 0);
  EXPECT_GT(NaturalCompare(c.b, c.a), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Pairs, NaturalLessTest,
    ::testing::Values(OrderCase{"1.9", "1.10"}, OrderCase{"1.10", "1.10.0"}, OrderCase{"2", "10"},
                      OrderCase{"build-2", "build-10"}, OrderCase{"0.0.1", "0.0.3"},
                      OrderCase{"a", "b"}, OrderCase{"", "a"}, OrderCase{"", "0"},
                      OrderCase{"1", "v1"}, OrderCase{"1a", "1b"}, OrderCase{"a9c", "a10b"},
                      OrderCase{"01", "1"},  // same value: bytes
                      OrderCase{"1", "1a"}, OrderCase{"A", "a"},
                      OrderCase{"x99999999999999999999999", "x100000000000000000000000"},
                      OrderCase{"master-9f3", "master-10a"}, OrderCase{"1-", "1."},
                      OrderCase{"1.0", "1.0-rc1"}, OrderCase{"r007", "r8"}));

TEST(NaturalCompareTest, EqualOnlyForIdenticalStrings) {
  EXPECT_EQ(NaturalCompare("", ""), 0);
  EXPECT_EQ(NaturalCompare("v1.2.3", "v1.2.3"), 0);
  EXPECT_NE(NaturalCompare("1.02", "1.2"), 0);
  EXPECT_NE(NaturalCompare("007", "7"), 0);
}

TEST(NaturalCompareTest, IsATotalOrderOnAMixedSet) {
  std::vector<std::string> tags = {"1.10", "1.9", "1.10.0", "01",          "1",         "v1",
                                   "a",    "A",   "",       "0",           "00",        "1a",
                                   "1-rc", "1.0", "10",     "9",           "master-1",  "master-01",
                                   "z",    "~",   "-",      "1.2.3-rc.10", "1.2.3-rc.9"};
  for (const auto& a : tags) {
    for (const auto& b : tags) {
      int ab = NaturalCompare(a, b);
      int ba = NaturalCompare(b, a);
      EXPECT_EQ(ab > 0, ba < 0) << a << " vs " << b;
      EXPECT_EQ(ab == 0, a == b) << a << " vs " << b;
      for (const auto& c : tags) {
        if (ab < 0 && NaturalCompare(b, c) < 0) {
          EXPECT_LT(NaturalCompare(a, c), 0) << a << " < " << b << " < " << c;
        }
      }
    }
  }
}

}  // namespace
}  // namespace tagflow::image
