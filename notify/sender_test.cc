#include "notify/sender.h"

#include <gtest/gtest.h>

namespace tagflow::notify {
namespace {

TEST(RedactUrlTest, HidesPathQueryAndUserinfo) {
  EXPECT_EQ(RedactUrl("https://hooks.slack.com/services/T000/B000/XXXX"),
            "https://hooks.slack.com/***");
  EXPECT_EQ(RedactUrl("https://user:pw@hook.example:8443/p?token=abc"),
            "https://hook.example:8443/***");
  EXPECT_EQ(RedactUrl("http://127.0.0.1:3030?x=1"), "http://127.0.0.1:3030/***");
  EXPECT_EQ(RedactUrl("http://example.com/"), "http://example.com");
  EXPECT_EQ(RedactUrl("http://example.com"), "http://example.com");
}

TEST(RedactUrlTest, GarbageBecomesStars) {
  EXPECT_EQ(RedactUrl("hooks.slack.com/services/T/B/X"), "***");
  EXPECT_EQ(RedactUrl(""), "***");
  EXPECT_EQ(RedactUrl("https:///path"), "***");
  EXPECT_EQ(RedactUrl("a b://host/x"), "***");
}

TEST(ScrubUrlTest, RemovesEveryTraceOfTheSecretParts) {
  std::string url = "https://bot:pw@hooks.slack.com/services/T0/B0/secret";
  EXPECT_EQ(ScrubUrl("failed " + url + " and /services/T0/B0/secret again; bot:pw", url),
            "failed https://hooks.slack.com/*** and /*** again; ***");
  EXPECT_EQ(ScrubUrl("nothing to see", url), "nothing to see");
}

TEST(IsHttpUrlTest, OnlyAbsoluteHttpAndHttps) {
  EXPECT_TRUE(IsHttpUrl("https://hooks.slack.com/services/x"));
  EXPECT_TRUE(IsHttpUrl("HTTP://127.0.0.1:8080"));
  EXPECT_FALSE(IsHttpUrl("ftp://example.com/x"));
  EXPECT_FALSE(IsHttpUrl("hooks.slack.com/services/x"));
  EXPECT_FALSE(IsHttpUrl("https://"));
  EXPECT_FALSE(IsHttpUrl(""));
}

}  // namespace
}  // namespace tagflow::notify
