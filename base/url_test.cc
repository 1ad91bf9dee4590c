#include "base/url.h"

#include <gtest/gtest.h>

namespace tagflow {
namespace {

TEST(RedactUrlTest, WebhookModeHidesPathQueryAndUserinfo) {
  EXPECT_EQ(RedactUrl("https://hooks.slack.com/services/T000/B000/XXXX",
                      UrlRedaction::kCredentialsAndPath),
            "https://hooks.slack.com/***");
  EXPECT_EQ(
      RedactUrl("https://user:pw@hook.example:8443/p?token=abc", UrlRedaction::kCredentialsAndPath),
      "https://hook.example:8443/***");
  EXPECT_EQ(RedactUrl("http://127.0.0.1:3030?x=1", UrlRedaction::kCredentialsAndPath),
            "http://127.0.0.1:3030/***");
  EXPECT_EQ(RedactUrl("http://example.com/", UrlRedaction::kCredentialsAndPath),
            "http://example.com");
  EXPECT_EQ(RedactUrl("http://example.com", UrlRedaction::kCredentialsAndPath),
            "http://example.com");
}

TEST(RedactUrlTest, WebhookModeTurnsGarbageIntoStars) {
  EXPECT_EQ(RedactUrl("hooks.slack.com/services/T/B/X", UrlRedaction::kCredentialsAndPath), "***");
  EXPECT_EQ(RedactUrl("", UrlRedaction::kCredentialsAndPath), "***");
  EXPECT_EQ(RedactUrl("https:///path", UrlRedaction::kCredentialsAndPath), "***");
  EXPECT_EQ(RedactUrl("a b://host/x", UrlRedaction::kCredentialsAndPath), "***");
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
}  // namespace tagflow
