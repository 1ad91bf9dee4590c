// Running a helper program without a shell (ssh-keygen, gpgconf, Docker
// credential helpers): argv is exec'd directly (argv[0] looked up on a
// search path), stdin is fed from a string, stdout and stderr are captured up
// to a bound, and the child runs in its own process group, which is killed as
// a whole when a deadline passes. Nothing of the input or the output is
// logged here: the caller decides what may be shown (signing payloads, key
// paths, credentials).
//
// SIGPIPE: the child's stdin is one end of a socket pair, written with
// send(MSG_NOSIGNAL), so a child that exits without reading its input makes
// the write fail with EPIPE instead of raising SIGPIPE in the caller. The
// process-wide SIGPIPE disposition is left alone.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace tagflow {

struct ProcessOptions {
  // argv[0] containing a '/' is run as given; otherwise it is looked up in
  // `search_path` (see below). Never through a shell.
  std::vector<std::string> argv;
  std::string input;  // written to the child's stdin, then stdin is closed
  std::chrono::milliseconds timeout{std::chrono::seconds(20)};
  size_t max_output = 1 << 20;             // per stream; the rest is read and dropped
  std::map<std::string, std::string> env;  // added to (or replacing in) the environment
  // ':'-separated directories searched for argv[0] (an empty entry is the
  // current directory, as with execvp). "" = env["PATH"] when `env` sets it,
  // else the caller's $PATH, else "/usr/local/bin:/usr/bin:/bin".
  std::string search_path;
};

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;     // stdout, at most max_output bytes
  std::string err;     // stderr, at most max_output bytes
};

// Runs the program to completion: until it has exited and closed its
// stdout and stderr (and so have its descendants that inherited them). A
// non-zero exit is not an error (the caller reads exit_code). kNotFound when
// the program cannot be executed (not on the search path, not executable);
// kTransient when it ran past `timeout` (its whole process group is killed
// with SIGKILL and the child reaped, so a grandchild holding the output open
// cannot keep the call waiting); kInternal when pipes or the spawn fail.
// Errors name argv[0]; never the input or the output. Thread-safe.
[[nodiscard]] Result<ProcessResult> RunProcess(const ProcessOptions& options);

// The path of the first executable `file` in the ':'-separated `dirs` (an
// empty entry is "."); nullopt when none.
[[nodiscard]] std::optional<std::string> FindOnPath(std::string_view file, std::string_view dirs);

}  // namespace tagflow
