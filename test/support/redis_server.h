// Redis for tests (issue 14): Debian's redis-server on 127.0.0.1, no
// persistence, optionally with a password; it can be killed (SIGKILL) and
// started again on the same port. And a SilentListener: a TCP port that
// accepts connections and never answers, the worst Redis there is.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "test/support/process.h"

namespace tagflow::testing {

class RedisServer {
 public:
  struct Options {
    std::string password;  // "" = none
  };
  // Starts redis-server on a free port and waits until it answers PING.
  // Throws std::runtime_error with its output when it cannot.
  explicit RedisServer(Options options);
  RedisServer() : RedisServer(Options{}) {}
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  // redis://127.0.0.1:<port>/0, with the password when there is one.
  std::string Url(bool with_password = true) const;
  // SIGKILL (no clean shutdown; the data is gone, as after a crash).
  void Kill();
  // Starts it again on the same port (after Kill).
  void Restart();
  bool running();
  // Runs `redis-cli <args>` against it; returns stdout (trailing newline kept).
  std::string Cli(const std::string& args) const;
  // Keys matching `pattern` (KEYS, fine for tests).
  std::vector<std::string> Keys(const std::string& pattern) const;

 private:
  void Start();

  Options options_;
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

// Accepts TCP connections on 127.0.0.1 and never reads or writes: a Redis
// that hangs. Connections stay open until destruction.
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

  int port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<int> clients_;  // owned by the thread until it is joined
  std::thread thread_;
};

}  // namespace tagflow::testing
