// Running a helper program without a shell (ssh-keygen, gpgconf): argv is
// exec'd directly (looked up on PATH), stdin is fed from a string, stdout
// and stderr are captured up to a bound, and the child is killed when a
// deadline passes. Nothing of the input or the output is logged here: the
// caller decides what may be shown (signing payloads, key paths).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"

namespace tagflow {

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH; never through a shell
  std::string input;              // written to the child's stdin, then stdin is closed
  std::chrono::milliseconds timeout{std::chrono::seconds(20)};
  size_t max_output = 1 << 20;             // per stream; the rest is read and dropped
  std::map<std::string, std::string> env;  // added to (or replacing in) the environment
};

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;     // stdout, at most max_output bytes
  std::string err;     // stderr, at most max_output bytes
};

// Runs the program to completion. A non-zero exit is not an error (the
// caller reads exit_code). kNotFound when the program cannot be executed
// (missing from PATH, not executable), kTransient when it ran past
// `timeout` (it is killed with SIGKILL and reaped), kInternal when pipes or
// fork fail. SIGPIPE is ignored process-wide from the first call on (a
// child that exits before reading its input must not kill the caller).
// Thread-safe.
[[nodiscard]] Result<ProcessResult> RunProcess(const ProcessOptions& options);

}  // namespace tagflow
