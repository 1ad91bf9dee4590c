// Sockets for the daemon's HTTP endpoints, with every client's cost bounded
// (DESIGN.md §7: the health endpoints answer promptly whatever other clients
// do). httplib parses and routes requests (`Router`); this class owns the
// listening socket and the connections, because httplib 0.11's own server
// queues connections without limit behind a fixed pool of workers, so a few
// idle or slow clients hold every worker and starve /healthz.
//
// What a connection may cost:
//   - a thread of its own, so an idle or slow client never delays another;
//   - at most `max_connections` at once, kept well below the fd limit
//     (ConnectionCapForFileLimit). When full, a new connection takes the
//     place of the connection idle the longest (waiting for, or still
//     reading, a request head; one with unread bytes, such as a probe whose
//     request just arrived, only as a last resort); when none is idle it is
//     closed at once. Evicted connections may briefly add half the cap;
//     beyond that, too, a new connection is closed at once;
//   - `idle_timeout` waiting for a request, then `request_timeout` for the
//     whole request (head and body: a client trickling bytes gains nothing),
//     `write_timeout` for the response;
//   - at most kMaxHeadBytes of request head, and kMaxBodyWireBytes of body on
//     the wire (the decoded body is capped by the handlers, http_server.cc).
// A connection that sent a body is closed after its response (shut down for
// writing, then drained for at most a second, so the client reads the
// response rather than a reset).
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"

namespace tagflow::daemon {

// httplib's request parser and router; HttpListener feeds it one request at
// a time. Register handlers on it as on an httplib::Server, but never call
// its listen functions.
class Router : public httplib::Server {
 public:
  using httplib::Server::process_request;
};

struct ListenerLimits {
  size_t max_connections = 64;
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds write_timeout{std::chrono::seconds(5)};
  size_t max_requests_per_connection = 100;
};

// Request head bytes a connection may send (request line and headers).
inline constexpr size_t kMaxHeadBytes = 32 << 10;
// Body bytes on the wire, chunk framing included: room for a 1 MiB body in
// chunks of any sensible size.
inline constexpr size_t kMaxBodyWireBytes = (2 << 20) + (64 << 10);

// True when the request declares a body: Content-Length > 0 or any
// Transfer-Encoding.
bool DeclaresBody(const httplib::Request& req);

// The connection cap for a process allowed `open_files` descriptors: a
// quarter of them, between 4 and 512, so git, the registry clients and the
// cache always have descriptors left.
size_t ConnectionCapForFileLimit(uint64_t open_files);

class HttpListener {
 public:
  // Borrows `router`, which must outlive this object.
  HttpListener(Router& router, ListenerLimits limits);
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds host:port (port 0: any), listens, and accepts on a background
  // thread. Returns the bound port; kTransient when the address cannot be
  // bound (in use, not permitted, unknown host). Call once.
  [[nodiscard]] Result<int> Start(const std::string& host, int port);
  // Stops accepting, closes every connection, joins every thread. Safe to
  // call twice, and without Start().
  void Stop();

  // Connections open now, for tests.
  size_t connections() const;
  // Connections closed at once because the cap was reached, and connections
  // closed to make room for a newer one, since Start(); for tests and logs.
  uint64_t refused() const { return refused_.load(); }
  uint64_t evicted() const { return evicted_.load(); }

 private:
  struct Connection;

  void AcceptLoop();
  void Admit(int fd);
  void Serve(std::shared_ptr<Connection> connection);
  Connection* PickVictim();  // needs mu_
  void SetIdle(Connection& connection, bool idle);
  void SetIdleLocked(Connection& connection, bool idle);  // needs mu_
  void Finish(Connection& connection);
  void ReapFinished();
  void NoteRefused();

  Router& router_;
  const ListenerLimits limits_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;   // eventfd: Stop() wakes the accept loop
  int spare_fd_ = -1;  // closed to accept (and at once close) at the fd limit
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> evicted_{0};

  // The accept thread's own:
  std::chrono::steady_clock::time_point last_refusal_log_;
  uint64_t refusals_since_log_ = 0;

  mutable std::mutex mu_;
  std::condition_variable finished_cv_;                   // a connection left open_
  uint64_t next_id_ = 0;                                  // guarded by mu_
  std::map<uint64_t, std::shared_ptr<Connection>> open_;  // guarded by mu_
  std::list<Connection*> idle_;              // guarded by mu_: idle connections, longest idle first
  size_t evicted_open_ = 0;                  // guarded by mu_: evicted, still in open_
  std::map<uint64_t, std::thread> threads_;  // guarded by mu_
  std::vector<uint64_t> finished_;           // guarded by mu_: threads to join
};

}  // namespace tagflow::daemon
