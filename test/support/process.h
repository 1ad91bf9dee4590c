// Helpers for tests that run real servers on loopback: child processes that
// die with the test, free ports, waiting for a port with a deadline, and
// scratch directories that clean up after themselves.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace tagflow::testing {

// A child process started with execvp. Its stdout and stderr go to `log_path`
// (or are discarded when empty). The destructor sends SIGTERM, waits up to two
// seconds, then SIGKILLs: a failing test never leaves a server behind.
class Subprocess {
 public:
  struct Options {
    std::vector<std::string> argv;              // argv[0] is looked up on PATH
    std::filesystem::path cwd;                  // empty: inherit
    std::map<std::string, std::string> env;     // added to (or replacing in) the environment
    std::filesystem::path log_path;             // empty: /dev/null
  };

  explicit Subprocess(Options options);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // True while the child has not exited.
  bool Running();
  // Sends `signal` to the child.
  void Signal(int signal);
  // Waits for exit up to `timeout`; returns the exit code (128+N for signal N)
  // or -1 on timeout.
  int Wait(std::chrono::milliseconds timeout);
  // The child's combined output so far (empty when not logged).
  std::string Output() const;

 private:
  Options options_;
  pid_t pid_ = -1;
  int status_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it
// back, close).
int FreePort();

// Polls until something accepts TCP connections on 127.0.0.1:port or the
// deadline passes. Returns true when it did.
bool WaitForPort(int port, std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Polls `condition` every 20 ms until it returns true or `timeout` passes.
template <class F>
bool WaitFor(F condition, std::chrono::milliseconds timeout = std::chrono::seconds(20));

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on
// destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Reads a whole file ("" when missing); writes one, creating parent folders.
std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, const std::string& contents);

// Runs a shell command (bash -c) with a deadline; returns its exit code and
// fills *output with stdout+stderr when non-null. For setup steps only (git
// init, htpasswd), never for the code under test.
int RunShell(const std::string& command, std::string* output = nullptr,
             std::chrono::seconds timeout = std::chrono::seconds(60));

// Single-quotes `s` for bash.
std::string ShellQuote(const std::string& s);

template <class F>
bool WaitFor(F condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    struct timespec ts{0, 20'000'000};
    nanosleep(&ts, nullptr);
  }
  return condition();
}

}  // namespace tagflow::testing
