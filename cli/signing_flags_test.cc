#include "cli/signing_flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "cli/flags.h"

namespace tagflow::cli {
namespace {

using ::testing::HasSubstr;

// Parses `args` (after the program name) into fresh SigningFlags.
SigningFlags Parse(std::vector<std::string> args) {
  CLI::App app;
  SigningFlags f;
  AddSigningFlags(app, f);
  BindEnvironment(app);
  std::vector<std::string> argv = {"tagflow"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<const char*> raw;
  for (const std::string& a : argv) raw.push_back(a.c_str());
  app.parse(static_cast<int>(raw.size()), raw.data());
  return f;
}

TEST(SigningFlagsTest, RespectRollbacksIsOnByDefaultAndTurnsOffWithFalse) {
  EXPECT_TRUE(Parse({}).respect_rollbacks);
  EXPECT_FALSE(Parse({"--respect-rollbacks=false"}).respect_rollbacks);
  setenv("TAGFLOW_RESPECT_ROLLBACKS", "false", 1);
  EXPECT_FALSE(Parse({}).respect_rollbacks);
  unsetenv("TAGFLOW_RESPECT_ROLLBACKS");
}

TEST(SigningFlagsTest, VerifyModeFollowsFluxV1) {
  auto mode = [](std::vector<std::string> args) {
    auto opened = OpenSigning(Parse(args), std::chrono::seconds(5));
    return opened ? opened->verify_mode : git::VerifyMode::kNone;
  };
  EXPECT_EQ(mode({}), git::VerifyMode::kNone);
  EXPECT_EQ(mode({"--git-verify-signatures-mode", "none"}), git::VerifyMode::kNone);
  EXPECT_THROW(Parse({"--git-verify-signatures-mode", "some"}), CLI::ValidationError);
  EXPECT_THROW(Parse({"--git-signing-format", "x509"}), CLI::ValidationError);
}

TEST(SigningFlagsTest, VerificationWithoutTrustedKeysIsAUsageError) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--git-verify-signatures"},
        std::vector<std::string>{"--git-verify-signatures-mode", "first-parent"}}) {
    auto opened = OpenSigning(Parse(args), std::chrono::seconds(5));
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().kind, ErrorKind::kInvalidInput);
    EXPECT_THAT(opened.error().message, HasSubstr("--git-allowed-signers"));
  }
}

TEST(SigningFlagsTest, GpgKeyIdWithoutImportedKeysIsAUsageError) {
  auto opened =
      OpenSigning(Parse({"--git-signing-key", "0123456789ABCDEF"}), std::chrono::seconds(5));
  ASSERT_FALSE(opened);
  EXPECT_THAT(opened.error().message, HasSubstr("--git-gpg-key-import"));
  EXPECT_THAT(opened.error().message, HasSubstr("0123456789ABCDEF"));
}

}  // namespace
}  // namespace tagflow::cli
