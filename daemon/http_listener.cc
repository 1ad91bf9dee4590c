#include "daemon/http_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <list>
#include <optional>
#include <system_error>

namespace tagflow::daemon {
namespace {

using Steady = std::chrono::steady_clock;

constexpr int kListenBacklog = 1024;
// After the response to a request with a body: how long, and how much, the
// client may still send before the connection is closed under it.
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr size_t kLingerBytes = 1 << 20;
constexpr std::chrono::seconds kRefusalLogEvery{10};
// How long a new connection waits for evicted ones to be gone.
constexpr std::chrono::milliseconds kEvictionWait{100};
// How many of the longest idle connections eviction looks at.
constexpr size_t kVictimsConsidered = 8;

int MillisUntil(Steady::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 60'000));
}

// poll() for `events` on `fd` until `deadline`; true when ready (or hung up,
// so that the next read or write reports it).
bool WaitFor(int fd, short events, Steady::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, MillisUntil(deadline));
    if (r > 0) return true;
    if (r == 0 && Steady::now() >= deadline) return false;
    if (r < 0 && errno != EINTR) return false;
  }
}

void AddressOf(const sockaddr_storage& addr, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    port = ntohs(in.sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    port = ntohs(in6.sin6_port);
  }
  ip = text;
}

// One connection as httplib sees it: reads and writes with deadlines and a
// byte budget, over a non-blocking socket. Not thread-safe (one thread per
// connection).
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int fd, const ListenerLimits& limits) : fd_(fd), limits_(limits) {}

  // Waits up to the idle timeout for the first byte of the next request.
  // False on timeout; true when bytes (or the end of the stream) arrived.
  bool WaitForRequest() {
    if (pos_ < end_) return true;
    return WaitFor(fd_, POLLIN, Steady::now() + limits_.idle_timeout);
  }
  // The next request: its head must come within kMaxHeadBytes, and all of
  // it within the request timeout.
  void BeginRequest() {
    read_deadline_ = Steady::now() + limits_.request_timeout;
    write_deadline_.reset();
    budget_ = kMaxHeadBytes;
  }
  // The head is read; the body may follow.
  void BeginBody() { budget_ = kMaxBodyWireBytes; }
  bool eof() const { return eof_; }

  bool is_readable() const override { return pos_ < end_ || WaitFor(fd_, POLLIN, Steady::now()); }
  bool is_writable() const override { return WaitFor(fd_, POLLOUT, Steady::now()); }

  ssize_t read(char* ptr, size_t size) override {
    if (budget_ == 0) return -1;
    size = std::min(size, budget_);
    if (pos_ == end_ && !Fill()) return eof_ ? 0 : -1;
    size_t n = std::min(size, end_ - pos_);
    std::memcpy(ptr, buffer_ + pos_, n);
    pos_ += n;
    budget_ -= n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!write_deadline_) write_deadline_ = Steady::now() + limits_.write_timeout;
    size_t done = 0;
    while (done < size) {
      ssize_t n = ::send(fd_, ptr + done, size - done, MSG_NOSIGNAL);
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
          WaitFor(fd_, POLLOUT, *write_deadline_))
        continue;
      return -1;
    }
    return static_cast<ssize_t>(done);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) AddressOf(addr, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) AddressOf(addr, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  // Refills the buffer before the read deadline; false on timeout, error or
  // end of stream (eof_).
  bool Fill() {
    for (;;) {
      ssize_t n = ::recv(fd_, buffer_, sizeof buffer_, 0);
      if (n > 0) {
        pos_ = 0;
        end_ = static_cast<size_t>(n);
        return true;
      }
      if (n == 0) {
        eof_ = true;
        return false;
      }
      if (errno == EINTR) continue;
      if ((errno == EAGAIN || errno == EWOULDBLOCK) && WaitFor(fd_, POLLIN, read_deadline_))
        continue;
      return false;
    }
  }

  int fd_;
  const ListenerLimits& limits_;
  char buffer_[4096];
  size_t pos_ = 0;
  size_t end_ = 0;
  size_t budget_ = kMaxHeadBytes;
  bool eof_ = false;
  Steady::time_point read_deadline_ = Steady::now();
  std::optional<Steady::time_point> write_deadline_;
};

// Closes a connection whose client may still be sending: the response goes
// out with a FIN, and what still arrives is read and dropped for a bounded
// time, so the kernel does not answer it with a reset that would discard
// the response on the client's side.
void LingeringClose(int fd) {
  ::shutdown(fd, SHUT_WR);
  auto deadline = Steady::now() + kLingerTime;
  char scratch[4096];
  size_t drained = 0;
  while (drained < kLingerBytes) {
    ssize_t n = ::recv(fd, scratch, sizeof scratch, 0);
    if (n > 0) {
      drained += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && WaitFor(fd, POLLIN, deadline))
      continue;
    break;
  }
}

}  // namespace

struct HttpListener::Connection {
  Connection(uint64_t id, int fd) : id(id), fd(fd) {}
  const uint64_t id;
  const int fd;  // closed by Serve() only after the connection left open_
  // Guarded by the listener's mu_:
  bool evicted = false;  // shut down to make room; its thread is finishing
  // Its place in idle_ while idle (waiting for, or reading, a request head).
  std::optional<std::list<Connection*>::iterator> idle_at;
};

bool DeclaresBody(const httplib::Request& req) {
  if (req.has_header("Transfer-Encoding")) return true;
  std::string length = req.get_header_value("Content-Length");
  return !length.empty() && length.find_first_not_of('0') != std::string::npos;
}

size_t ConnectionCapForFileLimit(uint64_t open_files) {
  return static_cast<size_t>(std::clamp<uint64_t>(open_files / 4, 4, 512));
}

HttpListener::HttpListener(Router& router, ListenerLimits limits)
    : router_(router), limits_(limits) {
  // What httplib announces in Keep-Alive headers: this listener's limits.
  router_.set_keep_alive_timeout(std::max<time_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(limits_.idle_timeout).count()));
  router_.set_keep_alive_max_count(limits_.max_requests_per_connection);
}

HttpListener::~HttpListener() { Stop(); }

Result<int> HttpListener::Start(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
      rc != 0) {
    return Fail(ErrorKind::kTransient, fmt::format("{}: {}", host, gai_strerror(rc)));
  }
  std::string why = "no address";
  for (addrinfo* ai = found; ai != nullptr && listen_fd_ < 0; ai = ai->ai_next) {
    int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    // SO_REUSEADDR only: SO_REUSEPORT would let a second daemon bind the
    // same port silently.
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, kListenBacklog) != 0) {
      why = std::strerror(errno);
      ::close(fd);
      continue;
    }
    listen_fd_ = fd;
  }
  freeaddrinfo(found);
  if (listen_fd_ < 0) return Fail(ErrorKind::kTransient, why);

  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  std::string ip;
  int bound_port = port;
  AddressOf(bound, ip, bound_port);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (wake_fd_ < 0) {
    Stop();
    return Fail(ErrorKind::kTransient, std::string("eventfd: ") + std::strerror(errno));
  }
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return bound_port;
}

void HttpListener::Stop() {
  stopping_ = true;
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);  // new clients are refused from now on
  listen_fd_ = -1;
  std::map<uint64_t, std::thread> threads;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, c] : open_) ::shutdown(c->fd, SHUT_RDWR);
    threads.swap(threads_);
    finished_.clear();
  }
  for (auto& [id, t] : threads) t.join();
  for (int* fd : {&wake_fd_, &spare_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

size_t HttpListener::connections() const {
  std::lock_guard lock(mu_);
  return open_.size();
}

void HttpListener::AcceptLoop() {
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  while (!stopping_) {
    ReapFinished();
    int r = ::poll(fds, 2, 1000);
    if (stopping_) break;
    if (r <= 0 || (fds[0].revents & POLLIN) == 0) continue;
    // Take what is waiting, but come back to reap and to notice Stop().
    for (int i = 0; i < 256; ++i) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0) {
        Admit(fd);
        continue;
      }
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && spare_fd_ >= 0) {
        // Out of descriptors: free the spare one to accept and close the
        // connection at once, rather than leave it to spin in the backlog.
        ::close(spare_fd_);
        int shed = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        NoteRefused();
        if (shed >= 0) ::close(shed);
        spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        continue;
      }
      if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(kLingerTime / 100);
      break;
    }
  }
}

void HttpListener::Admit(int fd) {
  int yes = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  std::unique_lock lock(mu_);
  // Evicted connections hold their descriptor until their thread notices,
  // which takes moments: wait that long rather than refuse.
  const size_t hard_cap = limits_.max_connections + limits_.max_connections / 2 + 1;
  finished_cv_.wait_for(lock, kEvictionWait, [&] { return open_.size() < hard_cap; });
  size_t live = open_.size() - evicted_open_;
  Connection* victim = live < limits_.max_connections ? nullptr : PickVictim();
  if (open_.size() >= hard_cap || (live >= limits_.max_connections && victim == nullptr)) {
    NoteRefused();  // counted before the client can see the close
    ::close(fd);
    return;
  }
  if (victim != nullptr) {
    SetIdleLocked(*victim, false);
    victim->evicted = true;
    ++evicted_open_;
    ++evicted_;
    ::shutdown(victim->fd, SHUT_RDWR);
  }
  uint64_t id = next_id_++;
  auto connection = std::make_shared<Connection>(id, fd);
  open_.emplace(id, connection);
  SetIdleLocked(*connection, true);
  try {
    threads_.emplace(id, std::thread([this, connection] { Serve(connection); }));
  } catch (const std::system_error&) {
    SetIdleLocked(*connection, false);
    open_.erase(id);
    NoteRefused();  // counted before the client can see the close
    ::close(fd);
  }
}

HttpListener::Connection* HttpListener::PickVictim() {
  // The longest idle, unless it has bytes waiting (a request about to be
  // read, like a probe's) and one of the next few idle ones has none.
  size_t looked = 0;
  for (Connection* c : idle_) {
    if (++looked > kVictimsConsidered) break;
    int pending = 0;
    if (ioctl(c->fd, FIONREAD, &pending) != 0 || pending == 0) return c;
  }
  return idle_.empty() ? nullptr : idle_.front();
}

void HttpListener::SetIdle(Connection& connection, bool idle) {
  std::lock_guard lock(mu_);
  if (!connection.evicted) SetIdleLocked(connection, idle);
}

void HttpListener::SetIdleLocked(Connection& connection, bool idle) {
  if (connection.idle_at) idle_.erase(*connection.idle_at);
  connection.idle_at.reset();
  if (idle) connection.idle_at = idle_.insert(idle_.end(), &connection);
}

void HttpListener::Serve(std::shared_ptr<Connection> connection) {
  ConnectionStream stream(connection->fd, limits_);
  bool peer_may_send = false;
  for (size_t n = 0; n < limits_.max_requests_per_connection && !stopping_; ++n) {
    SetIdle(*connection, true);
    if (!stream.WaitForRequest()) break;  // idle too long: nothing to drain
    stream.BeginRequest();
    bool has_body = false;
    bool client_closes = false;
    bool last = n + 1 == limits_.max_requests_per_connection;
    bool ok = router_.process_request(stream, last, client_closes, [&](httplib::Request& req) {
      SetIdle(*connection, false);
      has_body = DeclaresBody(req);
      if (has_body) {
        // The handler may answer without reading it all: no keep-alive.
        req.headers.erase("Connection");
        req.set_header("Connection", "close");
        stream.BeginBody();
      }
    });
    peer_may_send = !stream.eof() && (has_body || !ok);
    if (!ok || has_body || client_closes || last || stream.eof()) break;
  }
  SetIdle(*connection, true);  // a lingering close may be cut short too
  if (peer_may_send) LingeringClose(connection->fd);
  Finish(*connection);
  ::close(connection->fd);
}

void HttpListener::Finish(Connection& connection) {
  {
    std::lock_guard lock(mu_);
    SetIdleLocked(connection, false);
    if (connection.evicted) --evicted_open_;
    open_.erase(connection.id);
    finished_.push_back(connection.id);
  }
  finished_cv_.notify_all();
}

void HttpListener::ReapFinished() {
  std::vector<std::thread> done;
  {
    std::lock_guard lock(mu_);
    for (uint64_t id : finished_) {
      auto it = threads_.find(id);
      if (it == threads_.end()) continue;
      done.push_back(std::move(it->second));
      threads_.erase(it);
    }
    finished_.clear();
  }
  for (std::thread& t : done) t.join();
}

void HttpListener::NoteRefused() {
  ++refused_;
  ++refusals_since_log_;
  auto now = Steady::now();
  if (now - last_refusal_log_ < kRefusalLogEvery) return;
  spdlog::warn("http connections at the limit: closed new ones max_connections={} closed={}",
               limits_.max_connections, refusals_since_log_);
  last_refusal_log_ = now;
  refusals_since_log_ = 0;
}

}  // namespace tagflow::daemon
