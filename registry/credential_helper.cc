#include "registry/credential_helper.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/json.h"
#include "base/logging.h"
#include "base/strings.h"

extern char** environ;

namespace tagflow::registry {
namespace {

// What the docker-credential-helpers print when they hold nothing.
constexpr std::string_view kNotFound = "credentials not found in native keychain";
// How much of a failing helper's message an error quotes.
constexpr size_t kMaxQuoted = 300;

// Two ends of a pipe or socket pair, closed on destruction.
struct FdPair {
  int fd[2] = {-1, -1};
  ~FdPair() { Close(); }
  void Close() {
    for (int& f : fd) {
      if (f >= 0) close(f);
      f = -1;
    }
  }
  void CloseEnd(int i) {
    if (fd[i] >= 0) close(fd[i]);
    fd[i] = -1;
  }
};

std::string Quote(std::string_view text) {
  std::string t = RedactSecrets(Trim(text));
  if (t.size() > kMaxQuoted) t = t.substr(0, kMaxQuoted) + "...";
  return EscapeControl(t);
}

struct Output {
  int exit_code = -1;  // 128+N for signal N
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Reads `out_fd` and `err_fd` into `result` (at most `max_output` bytes of
// each kept, the rest drained) until both close; false when `timeout`
// passed first.
bool Collect(int out_fd, int err_fd, std::chrono::milliseconds timeout, size_t max_output,
             Output& result) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<pollfd, 2> fds = {pollfd{out_fd, POLLIN, 0}, pollfd{err_fd, POLLIN, 0}};
  std::array<std::string*, 2> sinks = {&result.out, &result.err};
  int open = 2;
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    int ready = poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (ready <= 0) continue;  // EINTR or the deadline: checked above
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        size_t room = max_output - std::min(max_output, sinks[i]->size());
        sinks[i]->append(buf, std::min(room, static_cast<size_t>(n)));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
  return true;
}

// Spawns `path get`, writes `input` to its stdin, collects bounded stdout and
// stderr until it exits or `timeout` passes (then kills its process group).
Result<Output> Run(const std::string& path, std::string_view input,
                   std::chrono::milliseconds timeout, size_t max_output) {
  // stdin is a socket pair, not a pipe: send() with MSG_NOSIGNAL cannot
  // raise SIGPIPE in the daemon when a helper exits without reading it.
  FdPair in, out, err;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in.fd) != 0 ||
      pipe2(out.fd, O_CLOEXEC) != 0 || pipe2(err.fd, O_CLOEXEC) != 0) {
    return Fail(ErrorKind::kTransient, "cannot create pipes for the credential helper");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fd[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);  // own group: a timeout kills its children too
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string arg0 = path;
  std::string arg1 = "get";
  std::array<char*, 3> argv = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, path.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("cannot run {}: {}", path, std::strerror(rc)));
  }
  in.CloseEnd(0);
  out.CloseEnd(1);
  err.CloseEnd(1);
  // The URL is tiny (far below the socket buffer): one send, then EOF.
  std::string line = std::string(input) + "\n";
  [[maybe_unused]] ssize_t written =
      send(in.fd[1], line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  in.CloseEnd(1);

  Output result;
  result.timed_out = !Collect(out.fd[0], err.fd[0], timeout, max_output, result);
  if (result.timed_out) kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (result.timed_out) return result;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
  return result;
}

}  // namespace

std::optional<std::string> FindOnPath(std::string_view file, std::string_view dirs) {
  size_t pos = 0;
  while (pos <= dirs.size()) {
    size_t end = std::min(dirs.find(':', pos), dirs.size());
    std::string dir(dirs.substr(pos, end - pos));
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + std::string(file);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    pos = end + 1;
  }
  return std::nullopt;
}

Result<Credentials> ParseHelperOutput(std::string_view out, std::string_view helper) {
  std::optional<nlohmann::json> doc = ParseJson(out);
  Credentials creds;
  if (doc && doc->is_object()) {
    creds.username = JsonString(*doc, "Username");
    creds.password = JsonString(*doc, "Secret");
  }
  if (creds.username.empty() || creds.password.empty()) {
    return Fail(ErrorKind::kUnauthorized,
                fmt::format("credential helper docker-credential-{} answered without a Username "
                            "and Secret",
                            helper));
  }
  return creds;
}

ExecCredentialHelper::ExecCredentialHelper(Options options) : options_(std::move(options)) {}

Result<std::optional<Credentials>> ExecCredentialHelper::Get(std::string_view name,
                                                             std::string_view server_url) {
  std::string program = fmt::format("docker-credential-{}", name);
  std::string dirs = options_.search_path;
  if (dirs.empty()) {
    const char* path = std::getenv("PATH");
    dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  }
  std::optional<std::string> path = FindOnPath(program, dirs);
  if (!path) {
    return Fail(
        ErrorKind::kInvalidInput,
        fmt::format("credential helper {} is not installed (not found on the PATH)", program));
  }
  auto ran = Run(*path, server_url, options_.timeout, options_.max_output);
  if (!ran) return Fail(ran.error());
  if (ran->timed_out) {
    return Fail(ErrorKind::kTransient,
                fmt::format("credential helper {} did not answer within {} ms and was killed",
                            program, options_.timeout.count()));
  }
  if (ran->exit_code != 0) {
    if (Trim(ran->out) == kNotFound || Trim(ran->err) == kNotFound) return std::nullopt;
    std::string said = Trim(ran->err).empty() ? ran->out : ran->err;
    return Fail(ErrorKind::kUnauthorized,
                fmt::format("credential helper {} failed (exit {}): {}", program, ran->exit_code,
                            Trim(said).empty() ? "no message" : Quote(said)));
  }
  auto creds = ParseHelperOutput(ran->out, name);
  if (!creds) return Fail(creds.error());
  return std::optional<Credentials>(std::move(*creds));
}

}  // namespace tagflow::registry
