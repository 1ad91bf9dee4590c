#include "base/subprocess.h"

#include <gtest/gtest.h>

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

TEST(RunProcessTest, EnvironmentIsAdded) {
  auto r = RunProcess({.argv = {"sh", "-c", "printf %s \"$TAGFLOW_TEST_VAR\""},
                       .env = {{"TAGFLOW_TEST_VAR", "v1"}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, "v1");
}

}  // namespace
}  // namespace tagflow
