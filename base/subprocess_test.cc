#include "base/subprocess.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "test/support/process.h"

namespace tagflow {
namespace {

TEST(RunProcessTest, FeedsStdinAndCapturesBothStreams) {
  auto r = RunProcess({.argv = {"sh", "-c", "cat; echo oops >&2; exit 3"}, .input = "payload\n"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "payload\n");
  EXPECT_EQ(r->err, "oops\n");
}

TEST(RunProcessTest, ArgumentsAreNotInterpretedByAShell) {
  auto r = RunProcess({.argv = {"echo", "$HOME; rm -rf /"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, "$HOME; rm -rf /\n");
}

TEST(RunProcessTest, LargeInputAndOutputDoNotDeadlock) {
  std::string big(1 << 20, 'x');
  auto r = RunProcess({.argv = {"cat"}, .input = big, .max_output = 1000});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out.size(), 1000u);  // bounded, the rest drained
}

TEST(RunProcessTest, MissingProgramIsNotFound) {
  auto r = RunProcess({.argv = {"tagflow-no-such-program-xyz"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
}

TEST(RunProcessTest, ChildPastTheDeadlineIsKilled) {
  auto started = std::chrono::steady_clock::now();
  auto r = RunProcess({.argv = {"sleep", "30"}, .timeout = std::chrono::milliseconds(200)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(RunProcessTest, ChildThatClosesItsOutputsIsStillBoundedByTheDeadline) {
  auto r = RunProcess(
      {.argv = {"sh", "-c", "exec >&- 2>&-; sleep 30"}, .timeout = std::chrono::milliseconds(300)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
}

TEST(RunProcessTest, ChildThatIgnoresItsInputDoesNotKillTheCaller) {
  std::string big(4 << 20, 'y');
  auto r = RunProcess({.argv = {"true"}, .input = big});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 0);
}

// True once `pid` is gone or a zombie (killed, waiting for whoever
// inherited it to reap it), checked for up to 3 s.
bool DiesSoon(pid_t pid) {
  for (int i = 0; i < 300; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!stat || !std::getline(stat, line)) return true;
    size_t paren = line.rfind(')');
    if (paren != std::string::npos && line.size() > paren + 2 && line[paren + 2] == 'Z') {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

pid_t ReadPid(const std::filesystem::path& file) {
  for (int i = 0; i < 100 && !std::filesystem::exists(file); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return static_cast<pid_t>(std::stoi(testing::ReadFile(file)));
}

TEST(RunProcessTest, AGrandchildHoldingTheOutputOpenIsKilledWithItsGroup) {
  // The shell exits at once; its background child keeps stdout and stderr
  // open for 30 s. Only killing the process group ends it at the deadline.
  testing::TempDir dir;
  auto pid_file = dir.path() / "grandchild";
  auto started = std::chrono::steady_clock::now();
  auto r = RunProcess({.argv = {"sh", "-c", "sleep 30 & echo $! > \"$1\"", "sh", pid_file.string()},
                       .timeout = std::chrono::milliseconds(300)});
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_NE(r.error().message.find("sh"), std::string::npos);
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_TRUE(DiesSoon(ReadPid(pid_file))) << "the grandchild outlived the timeout";
}

TEST(RunProcessTest, AHangingChildIsKilledWithItsChildren) {
  // The shell waits for its child: both are in the group that is killed.
  testing::TempDir dir;
  auto pid_file = dir.path() / "grandchild";
  auto r = RunProcess(
      {.argv = {"sh", "-c", "sleep 30 & echo $! > \"$1\"; wait", "sh", pid_file.string()},
       .timeout = std::chrono::milliseconds(300)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_TRUE(DiesSoon(ReadPid(pid_file)));
}

TEST(RunProcessTest, ChildThatIgnoresItsInputLeavesSigpipeAlone) {
  // The input is written with MSG_NOSIGNAL: nothing is ignored process-wide.
  struct sigaction before {};
  ASSERT_EQ(sigaction(SIGPIPE, nullptr, &before), 0);
  for (int i = 0; i < 5; ++i) {
    auto r = RunProcess({.argv = {"sh", "-c", "exit 7"}, .input = std::string(1 << 20, 'z')});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->exit_code, 7);
  }
  struct sigaction after {};
  ASSERT_EQ(sigaction(SIGPIPE, nullptr, &after), 0);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
}

class RunProcessSearchPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(bin_);
    Tool(bin_ / "tagflow-test-tool", "echo \"found $1\"\n");
  }
  static void Tool(const std::filesystem::path& path, const std::string& body) {
    testing::WriteFile(path, "#!/bin/sh\n" + body);
    chmod(path.c_str(), 0755);
  }
  testing::TempDir dir_;
  std::filesystem::path bin_ = dir_.path() / "bin";
};

TEST_F(RunProcessSearchPathTest, TheSearchPathIsUsedForArgv0) {
  std::string dirs = (dir_.path() / "missing").string() + ":" + bin_.string();
  auto r = RunProcess({.argv = {"tagflow-test-tool", "x"}, .search_path = dirs});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out, "found x\n");
}

TEST_F(RunProcessSearchPathTest, TheSearchPathReplacesPath) {
  // sh is on $PATH but not on the search path.
  auto r = RunProcess({.argv = {"sh", "-c", "true"}, .search_path = bin_.string()});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(r.error().message.find("sh"), std::string::npos);
  auto tool = RunProcess({.argv = {"tagflow-test-tool"}});
  ASSERT_FALSE(tool);  // not on the caller's $PATH
  EXPECT_EQ(tool.error().kind, ErrorKind::kNotFound);
}

TEST_F(RunProcessSearchPathTest, APathInTheEnvironmentIsTheSearchPath) {
  auto r = RunProcess({.argv = {"tagflow-test-tool", "y"}, .env = {{"PATH", bin_.string()}}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->out, "found y\n");
}

TEST_F(RunProcessSearchPathTest, FirstExecutableWinsAndPlainFilesAreSkipped) {
  auto other = dir_.path() / "other";
  std::filesystem::create_directories(other);
  testing::WriteFile(other / "tagflow-test-tool", "#!/bin/sh\necho wrong\n");  // not executable
  auto r = RunProcess(
      {.argv = {"tagflow-test-tool", "z"}, .search_path = other.string() + ":" + bin_.string()});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->out, "found z\n");
  EXPECT_EQ(FindOnPath("tagflow-test-tool", other.string()), std::nullopt);
  EXPECT_EQ(FindOnPath("tagflow-test-tool", other.string() + ":" + bin_.string()),
            (bin_ / "tagflow-test-tool").string());
}

TEST_F(RunProcessSearchPathTest, AnArgv0WithASlashIsRunAsGiven) {
  auto r = RunProcess(
      {.argv = {(bin_ / "tagflow-test-tool").string(), "w"}, .search_path = "/nonexistent"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->out, "found w\n");
  auto missing = RunProcess({.argv = {(bin_ / "nope").string()}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST(RunProcessTest, EnvironmentIsAdded) {
  auto r = RunProcess({.argv = {"sh", "-c", "printf %s \"$TAGFLOW_TEST_VAR\""},
                       .env = {{"TAGFLOW_TEST_VAR", "v1"}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, "v1");
}

}  // namespace
}  // namespace tagflow
