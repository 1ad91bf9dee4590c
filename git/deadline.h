// `--git-timeout` for libgit2 1.5, which has no network timeouts of its own.
//
// tagflow registers its own plain-socket stream with libgit2 (used for git://,
// http://, under TLS for https://, and as the socket of ssh://). While a
// `NetworkDeadline` is alive on a thread, every socket that thread opens
// connects within the remaining time and is shut down when the deadline
// passes, which makes a blocked read, write or ssh handshake fail at once.
// Sockets opened on threads without a deadline behave like libgit2's own.
// Name resolution (getaddrinfo) is bounded only by the system resolver.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "base/error.h"

namespace tagflow::git {

class NetworkDeadline {
 public:
  // Starts the clock; binds the sockets this thread opens until destruction.
  // Deadlines do not nest: the innermost one wins.
  explicit NetworkDeadline(std::chrono::milliseconds timeout);
  ~NetworkDeadline();
  NetworkDeadline(const NetworkDeadline&) = delete;
  NetworkDeadline& operator=(const NetworkDeadline&) = delete;

  // True once the deadline has passed (sockets were shut down).
  bool Expired() const;
  std::chrono::milliseconds timeout() const { return timeout_; }
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }

  // The deadline of the calling thread, or null.
  static NetworkDeadline* Current();

  // Used by the stream: sockets to shut down when the deadline passes. A
  // socket added after expiry is shut down at once.
  void AddSocket(int fd);
  void RemoveSocket(int fd);

 private:
  void Watch();

  std::chrono::milliseconds timeout_;
  std::chrono::steady_clock::time_point deadline_;
  NetworkDeadline* previous_;
  mutable std::mutex mutex_;
  std::condition_variable done_;
  bool stopping_ = false;
  bool expired_ = false;
  std::set<int> sockets_;
  std::thread watchdog_;
};

// Initialises libgit2 and registers the deadline-aware socket stream, once
// per process (later calls return the first result).
[[nodiscard]] Result<void> InitLibgit2();

}  // namespace tagflow::git
