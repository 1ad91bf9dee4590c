#include "base/strings.h"

#include <gtest/gtest.h>

namespace tagflow {
namespace {

TEST(StringsTest, AsciiOnlyCaseAndDigits) {
  EXPECT_EQ(Lower("Docker-Content-DIGEST"), "docker-content-digest");
  EXPECT_EQ(Lower("\xc3\x84X"), "\xc3\x84x");  // UTF-8 bytes untouched
  EXPECT_TRUE(IEquals("WWW-Authenticate", "www-authenticate"));
  EXPECT_FALSE(IEquals("abc", "abcd"));
  EXPECT_TRUE(IsDigit('7'));
  EXPECT_FALSE(IsDigit('a'));
  EXPECT_FALSE(IsDigit(static_cast<char>(0xb2)));  // '²' in Latin-1 is no digit
}

TEST(StringsTest, EscapeControlKeepsTextOnOneLine) {
  EXPECT_EQ(EscapeControl("a\nb\r\tc\x1b[0m\x7f \xc3\xa4"), "a\\nb\\r\\tc\\x1b[0m\\x7f \xc3\xa4");
}

TEST(StringsTest, TrimAndSplit) {
  EXPECT_EQ(Trim(" \t value \r\n"), "value");
  EXPECT_EQ(Trim("   "), "");
  EXPECT_EQ(Split("a,,b", ','), (std::vector<std::string_view>{"a", "", "b"}));
  EXPECT_EQ(Split("", ','), (std::vector<std::string_view>{""}));
}

}  // namespace
}  // namespace tagflow
