// ExecCredentialHelper against real processes: stand-in helper scripts in a
// temp directory, run through RunProcess exactly as a cloud helper would be.
#include "registry/credential_helper.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test/support/process.h"

namespace tagflow::registry {
namespace {

class ExecCredentialHelperTest : public ::testing::Test {
 protected:
  // Writes docker-credential-<name> with `script` as its body (sh).
  void Helper(const std::string& name, const std::string& script) {
    auto path = dir_.path() / ("docker-credential-" + name);
    testing::WriteFile(path, "#!/bin/sh\n" + script);
    chmod(path.c_str(), 0755);
  }
  ExecCredentialHelper Runner(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return ExecCredentialHelper({.timeout = timeout, .search_path = dir_.path().string()});
  }

  testing::TempDir dir_;
};

TEST_F(ExecCredentialHelperTest, ReadsTheServerUrlOnStdinAndTheAnswerOnStdout) {
  Helper("echo", R"(read url
printf '{"ServerURL":"%s","Username":"user-for-%s","Secret":"s3cret"}' "$url" "$url"
[ "$1" = get ] || exit 3
)");
  auto creds = Runner().Get("echo", "127.0.0.1:5000");
  ASSERT_TRUE(creds) << creds.error().message;
  ASSERT_TRUE(*creds);
  EXPECT_EQ((*creds)->username, "user-for-127.0.0.1:5000");
  EXPECT_EQ((*creds)->password, "s3cret");
}

TEST_F(ExecCredentialHelperTest, NotFoundInTheStoreIsNoCredentials) {
  Helper("empty", "echo 'credentials not found in native keychain'\nexit 1\n");
  auto creds = Runner().Get("empty", "r.io");
  ASSERT_TRUE(creds) << creds.error().message;
  EXPECT_FALSE(*creds);
}

TEST_F(ExecCredentialHelperTest, AFailureShowsStderrRedactedAndCutShort) {
  Helper("fail",
         "echo 'login failed: Bearer abc.def.ghi rejected' >&2\n"
         "head -c 5000 /dev/zero | tr '\\0' x >&2\nexit 4\n");
  auto creds = Runner().Get("fail", "r.io");
  ASSERT_FALSE(creds);
  EXPECT_EQ(creds.error().kind, ErrorKind::kUnauthorized);
  const std::string& m = creds.error().message;
  EXPECT_NE(m.find("docker-credential-fail"), std::string::npos) << m;
  EXPECT_NE(m.find("exit 4"), std::string::npos) << m;
  EXPECT_NE(m.find("login failed"), std::string::npos) << m;
  EXPECT_EQ(m.find("abc.def.ghi"), std::string::npos) << m;
  EXPECT_LT(m.size(), 500u);
}

TEST_F(ExecCredentialHelperTest, AMissingHelperNamesItself) {
  auto creds = Runner().Get("nowhere", "r.io");
  ASSERT_FALSE(creds);
  EXPECT_EQ(creds.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(creds.error().message.find("docker-credential-nowhere"), std::string::npos);
}

TEST_F(ExecCredentialHelperTest, AHangingHelperIsKilledWithItsChildrenAtTheDeadline) {
  // The shell's child keeps stdout open: only killing the group ends it.
  Helper("hang", "echo $$ > " + (dir_.path() / "pid").string() + "\nsleep 60\necho never\n");
  auto start = std::chrono::steady_clock::now();
  auto creds = Runner(std::chrono::milliseconds(300)).Get("hang", "r.io");
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(creds);
  EXPECT_EQ(creds.error().kind, ErrorKind::kTransient);
  EXPECT_NE(creds.error().message.find("docker-credential-hang"), std::string::npos);
  EXPECT_LT(took, std::chrono::seconds(5));
  pid_t pid = std::stoi(testing::ReadFile(dir_.path() / "pid"));
  EXPECT_NE(kill(pid, 0), 0);  // gone (reaped)
}

TEST_F(ExecCredentialHelperTest, NoShellInterpretsTheServerUrl) {
  Helper("literal", R"(read url
printf '%s' "$url" > )" +
                        (dir_.path() / "seen").string() + R"(
echo '{"Username":"u","Secret":"p"}'
)");
  std::string hostile = "r.io; touch " + (dir_.path() / "pwned").string();
  ASSERT_TRUE(Runner().Get("literal", hostile));
  EXPECT_EQ(testing::ReadFile(dir_.path() / "seen"), hostile);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "pwned"));
}

TEST_F(ExecCredentialHelperTest, GarbageOutputIsAnError) {
  Helper("garbage", "echo 'not json'\n");
  auto creds = Runner().Get("garbage", "r.io");
  ASSERT_FALSE(creds);
  EXPECT_NE(creds.error().message.find("docker-credential-garbage"), std::string::npos);
  EXPECT_FALSE(ParseHelperOutput(R"({"Username":"u"})", "x"));
  EXPECT_TRUE(ParseHelperOutput(R"({"Username":"<token>","Secret":"t"})", "x"));
}

}  // namespace
}  // namespace tagflow::registry

namespace tagflow::registry {
namespace {

TEST(ExecCredentialHelperSignalTest, AHelperThatNeverReadsStdinCannotKillTheDaemon) {
  testing::TempDir dir;
  auto path = dir.path() / "docker-credential-quick";
  testing::WriteFile(path, "#!/bin/sh\nexec false\n");
  chmod(path.c_str(), 0755);
  ExecCredentialHelper runner({.search_path = dir.path().string()});
  for (int i = 0; i < 20; ++i) {
    auto creds = runner.Get("quick", std::string(4096, 'h'));
    ASSERT_FALSE(creds);
    EXPECT_NE(creds.error().message.find("exit 1"), std::string::npos) << creds.error().message;
  }
}

}  // namespace
}  // namespace tagflow::registry
