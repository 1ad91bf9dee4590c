#include "git/deadline.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <git2.h>
#include <git2/sys/stream.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <type_traits>

namespace tagflow::git {
namespace {

thread_local NetworkDeadline* current_deadline = nullptr;

// The first four members mirror libgit2 1.5's internal `git_socket_stream`:
// its ssh transport hands `s` to libssh2 directly, so they must stay first
// and in this order.
struct DeadlineStream {
  git_stream parent;
  char* host;
  char* port;
  int s;
  NetworkDeadline* deadline;
};
static_assert(std::is_standard_layout_v<DeadlineStream>);
static_assert(offsetof(DeadlineStream, parent) == 0);

DeadlineStream* Cast(git_stream* stream) { return reinterpret_cast<DeadlineStream*>(stream); }

void SetError(const std::string& message) { git_error_set_str(GIT_ERROR_NET, message.c_str()); }

bool SetBlocking(int fd, bool blocking) {
  int flags = fcntl(fd, F_GETFL, 0);
  if (flags < 0) return false;
  flags = blocking ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK);
  return fcntl(fd, F_SETFL, flags) == 0;
}

// Connects `fd` to `address`, waiting at most until the deadline (if any).
// Returns 0 or an errno value.
int ConnectBefore(int fd, const addrinfo& address, NetworkDeadline* deadline) {
  if (deadline == nullptr) {
    return connect(fd, address.ai_addr, address.ai_addrlen) == 0 ? 0 : errno;
  }
  if (!SetBlocking(fd, false)) return errno;
  if (connect(fd, address.ai_addr, address.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) return errno;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline->deadline() - std::chrono::steady_clock::now());
    pollfd pfd{fd, POLLOUT, 0};
    int ready = left.count() > 0 ? poll(&pfd, 1, static_cast<int>(left.count())) : 0;
    if (ready == 0) return ETIMEDOUT;
    if (ready < 0) return errno;
    int error = 0;
    socklen_t len = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) return errno;
    if (error != 0) return error;
  }
  return SetBlocking(fd, true) ? 0 : errno;
}

int StreamConnect(git_stream* stream) {
  DeadlineStream* st = Cast(stream);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* info = nullptr;
  if (int rc = getaddrinfo(st->host, st->port, &hints, &info); rc != 0) {
    SetError(fmt::format("failed to resolve address for {}: {}", st->host, gai_strerror(rc)));
    return -1;
  }
  int error = ECONNREFUSED;
  for (addrinfo* p = info; p != nullptr; p = p->ai_next) {
    int fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
    if (fd < 0) {
      error = errno;
      continue;
    }
    error = ConnectBefore(fd, *p, st->deadline);
    if (error == 0) {
      st->s = fd;
      break;
    }
    close(fd);
    if (error == ETIMEDOUT) break;
  }
  freeaddrinfo(info);
  if (st->s < 0) {
    SetError(fmt::format("failed to connect to {} port {}: {}", st->host, st->port,
                         std::strerror(error)));
    return -1;
  }
  if (st->deadline != nullptr) st->deadline->AddSocket(st->s);
  return 0;
}

ssize_t StreamRead(git_stream* stream, void* data, size_t len) {
  ssize_t n;
  do {
    n = recv(Cast(stream)->s, data, len, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) SetError(fmt::format("error receiving data from socket: {}", std::strerror(errno)));
  return n;
}

ssize_t StreamWrite(git_stream* stream, const char* data, size_t len, int /*flags*/) {
  ssize_t n;
  do {
    n = send(Cast(stream)->s, data, len, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) SetError(fmt::format("error sending data to socket: {}", std::strerror(errno)));
  return n;
}

int StreamClose(git_stream* stream) {
  DeadlineStream* st = Cast(stream);
  if (st->s < 0) return 0;
  if (st->deadline != nullptr) st->deadline->RemoveSocket(st->s);
  int rc = close(st->s);
  st->s = -1;
  return rc;
}

void StreamFree(git_stream* stream) {
  DeadlineStream* st = Cast(stream);
  StreamClose(stream);
  std::free(st->host);
  std::free(st->port);
  delete st;
}

int StreamInit(git_stream** out, const char* host, const char* port) {
  auto* st = new DeadlineStream{};
  st->parent.version = GIT_STREAM_VERSION;
  st->parent.connect = StreamConnect;
  st->parent.read = StreamRead;
  st->parent.write = StreamWrite;
  st->parent.close = StreamClose;
  st->parent.free = StreamFree;
  st->host = strdup(host);
  st->port = strdup(port);
  st->s = -1;
  st->deadline = current_deadline;
  *out = &st->parent;
  return 0;
}

}  // namespace

NetworkDeadline::NetworkDeadline(std::chrono::milliseconds timeout)
    : timeout_(timeout),
      deadline_(std::chrono::steady_clock::now() + timeout),
      previous_(current_deadline) {
  current_deadline = this;
  watchdog_ = std::thread([this] { Watch(); });
}

NetworkDeadline::~NetworkDeadline() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  done_.notify_all();
  watchdog_.join();
  current_deadline = previous_;
}

NetworkDeadline* NetworkDeadline::Current() { return current_deadline; }

bool NetworkDeadline::Expired() const {
  std::lock_guard lock(mutex_);
  return expired_;
}

void NetworkDeadline::AddSocket(int fd) {
  std::lock_guard lock(mutex_);
  if (expired_) {
    shutdown(fd, SHUT_RDWR);
  } else {
    sockets_.insert(fd);
  }
}

void NetworkDeadline::RemoveSocket(int fd) {
  std::lock_guard lock(mutex_);
  sockets_.erase(fd);
}

void NetworkDeadline::Watch() {
  std::unique_lock lock(mutex_);
  if (done_.wait_until(lock, deadline_, [this] { return stopping_; })) return;
  expired_ = true;
  for (int fd : sockets_) shutdown(fd, SHUT_RDWR);
}

constexpr size_t kObjectCacheBytes = 2u << 20;

Result<void> InitLibgit2() {
  static const Result<void> result = []() -> Result<void> {
    if (git_libgit2_init() < 0) {
      return Fail(ErrorKind::kInternal, "libgit2 failed to initialise");
    }
    // libgit2 keeps up to 256 MiB of trees and commits by default: the
    // rollback walk over 500 commits of a big repository would keep MiBs of
    // them for nothing (each is read once per walk). Bounded (issue 14).
    git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, static_cast<ssize_t>(kObjectCacheBytes));
    static git_stream_registration registration{GIT_STREAM_VERSION, StreamInit, nullptr};
    if (git_stream_register(GIT_STREAM_STANDARD, &registration) < 0) {
      return Fail(ErrorKind::kInternal, "libgit2 refused tagflow's socket stream");
    }
    return {};
  }();
  return result;
}

}  // namespace tagflow::git
