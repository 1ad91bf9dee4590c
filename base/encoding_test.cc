#include "base/encoding.h"

#include <gtest/gtest.h>

namespace tagflow {
namespace {

TEST(Base64Test, RoundTripsEveryLength) {
  std::string data;
  for (int i = 0; i < 40; ++i) {
    data += static_cast<char>(i * 37);
    auto decoded = Base64Decode(Base64Encode(data));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, data);
  }
  EXPECT_EQ(Base64Encode("user:pass"), "dXNlcjpwYXNz");
}

TEST(Base64Test, AcceptsUrlSafeUnpaddedAndWhitespace) {
  EXPECT_EQ(Base64Decode("dXNlcjpwYXNz"), "user:pass");
  EXPECT_EQ(Base64Decode("dXNl\ncjpw YXNz"), "user:pass");
  EXPECT_EQ(Base64Decode("-_8"), std::string("\xfb\xff"));
  EXPECT_EQ(Base64Decode("YQ"), "a");
}

TEST(Base64Test, RejectsGarbage) {
  EXPECT_FALSE(Base64Decode("abc!").has_value());
  EXPECT_FALSE(Base64Decode("YQ==YQ").has_value());
  EXPECT_FALSE(Base64Decode("Y").has_value());
}

TEST(DigestTest, Sha256OfKnownInput) {
  EXPECT_EQ(Sha256Digest(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(DigestTest, VerifyAcceptsMatchAndRejectsMismatch) {
  EXPECT_TRUE(VerifyDigest(Sha256Digest("abc"), "abc").has_value());
  auto bad = VerifyDigest(Sha256Digest("abc"), "abd");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInternal);
  EXPECT_NE(bad.error().message.find("mismatch"), std::string::npos);
  EXPECT_EQ(VerifyDigest("md5:abc", "abc").error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(VerifyDigest("nocolon", "abc").error().kind, ErrorKind::kInvalidInput);
  EXPECT_TRUE(VerifyDigest("sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                           "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
                           "abc")
                  .has_value());
}

}  // namespace
}  // namespace tagflow
