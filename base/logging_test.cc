#include "base/logging.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

namespace tagflow {
namespace {

TEST(RedactSecretsTest, RemovesUrlUserinfo) {
  EXPECT_EQ(RedactSecrets("fetch https://bot:s3cr3t@git.example.com/repo.git failed"),
            "fetch https://***@git.example.com/repo.git failed");
  // The ssh login name is not a secret (the one URL redaction, base/url.h);
  // a password is.
  EXPECT_EQ(RedactSecrets("ssh://git@host:2222/x"), "ssh://git@host:2222/x");
  EXPECT_EQ(RedactSecrets("ssh://git:pw@host:2222/x"), "ssh://git:***@host:2222/x");
}

TEST(RedactSecretsTest, RemovesTokensAndPasswords) {
  EXPECT_EQ(RedactSecrets("Authorization: Bearer eyJhbGciOi.abc.def"), "Authorization: Bearer ***");
  EXPECT_EQ(RedactSecrets("basic dXNlcjpwYXNz"), "basic ***");
  EXPECT_EQ(RedactSecrets("GET /token?account=a&password=hunter2&scope=x"),
            "GET /token?account=a&password=***&scope=x");
}

TEST(RedactSecretsTest, RemovesSlackHookPath) {
  EXPECT_EQ(RedactSecrets("post to https://hooks.slack.com/services/T000/B000/XXXX: 500"),
            "post to https://hooks.slack.com/services/***: 500");
}

TEST(RedactSecretsTest, LeavesOrdinaryTextAlone) {
  std::string s =
      "cycle done changes=3 image=localhost:5000/app:v1.2.3 workload=default:deployment/app";
  EXPECT_EQ(RedactSecrets(s), s);
}

TEST(FormatLogLineTest, ControlCharactersCannotForgeALine) {
  TimePoint t{std::chrono::seconds(1'700'000'000)};
  std::string text = FormatLogLine(LogFormat::kText, t, "error",
                                   "apps/evil\n2023-11-14T22:13:20.000Z info  cycle done\x1b[2J");
  EXPECT_EQ(text,
            "2023-11-14T22:13:20.000Z error apps/evil\\n2023-11-14T22:13:20.000Z info  cycle "
            "done\\x1b[2J\n");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  std::string json = FormatLogLine(LogFormat::kJson, t, "info", "a\nb");
  EXPECT_EQ(std::count(json.begin(), json.end(), '\n'), 1);
  EXPECT_NE(json.find(R"("msg":"a\nb")"), std::string::npos) << json;
}

TEST(SetupLoggingTest, RejectsUnknownFormatAndLevel) {
  EXPECT_FALSE(SetupLogging("xml", "info").has_value());
  EXPECT_FALSE(SetupLogging("text", "loud").has_value());
  EXPECT_TRUE(SetupLogging("json", "off").has_value());
  EXPECT_TRUE(SetupLogging("text", "info").has_value());
}

}  // namespace
}  // namespace tagflow
