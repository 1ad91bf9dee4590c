#include "base/subprocess.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

extern char** environ;

namespace tagflow {
namespace {

constexpr std::string_view kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// Two ends of a pipe or socket pair, closed on destruction.
struct FdPair {
  int fd[2] = {-1, -1};
  ~FdPair() {
    CloseEnd(0);
    CloseEnd(1);
  }
  void CloseEnd(int i) {
    if (fd[i] >= 0) close(fd[i]);
    fd[i] = -1;
  }
};

// "KEY=value" strings: the environment with `extra` added or replaced.
std::vector<std::string> Environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string key(entry.substr(0, entry.find('=')));
    if (!extra.contains(key)) out.emplace_back(entry);
  }
  for (const auto& [key, value] : extra) out.push_back(key + "=" + value);
  return out;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// The file to exec for argv[0]: as given when it names a path, else found
// on the search path `options` selects.
Result<std::string> ResolveProgram(const ProcessOptions& options) {
  const std::string& program = options.argv[0];
  if (program.find('/') != std::string::npos) return program;
  std::string dirs = options.search_path;
  if (dirs.empty()) {
    if (auto it = options.env.find("PATH"); it != options.env.end()) {
      dirs = it->second;
    } else if (const char* path = std::getenv("PATH"); path != nullptr) {
      dirs = path;
    } else {
      dirs = kDefaultPath;
    }
  }
  std::optional<std::string> found = FindOnPath(program, dirs);
  if (!found) {
    return Fail(ErrorKind::kNotFound,
                fmt::format("cannot run {}: not found on the search path", program));
  }
  return *found;
}

// posix_spawn attributes: its own process group (so a timeout kills its
// descendants too), no blocked signals, default dispositions for the
// signals a daemon commonly ignores (ignored ones survive exec).
struct SpawnAttributes {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnAttributes(int in, int out, int err) {
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT}) sigaddset(&defaults, sig);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err, STDERR_FILENO);
  }
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
};

// The caller's ends of the child's stdin (socket), stdout and stderr.
struct Streams {
  int in = -1;
  int out = -1;
  int err = -1;
};

// Writes what is left of `input` to `fd` without blocking; closes `fd`
// when all is written or the child stopped reading (EPIPE, never SIGPIPE).
void FeedInput(int& fd, std::string_view input, size_t& written) {
  ssize_t n = send(fd, input.data() + written, input.size() - written, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n > 0) written += static_cast<size_t>(n);
  bool failed = n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
  if (failed || written >= input.size()) {
    close(fd);
    fd = -1;
  }
}

// Reads what `fd` has into `sink` (keeping at most `max_output` bytes);
// closes `fd` at EOF or on error.
void Drain(int& fd, std::string& sink, size_t max_output) {
  char buffer[8192];
  ssize_t n = read(fd, buffer, sizeof buffer);
  if (n > 0) {
    size_t room = max_output - std::min(max_output, sink.size());
    sink.append(buffer, std::min(room, static_cast<size_t>(n)));
  } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    close(fd);
    fd = -1;
  }
}

// Feeds stdin and collects stdout/stderr until both are closed; false when
// `deadline` passed first.
bool Exchange(Streams& s, const ProcessOptions& options,
              std::chrono::steady_clock::time_point deadline, ProcessResult& result) {
  size_t written = 0;
  if (options.input.empty() && s.in >= 0) {
    close(s.in);
    s.in = -1;
  }
  while (s.out >= 0 || s.err >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[3] = {{s.out, POLLIN, 0}, {s.err, POLLIN, 0}, {s.in, POLLOUT, 0}};
    int ready = poll(fds, 3, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready <= 0) continue;  // EINTR or a slice of the deadline: checked above
    if (s.in >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      FeedInput(s.in, options.input, written);
    }
    if (s.out >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      Drain(s.out, result.out, options.max_output);
    }
    if (s.err >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      Drain(s.err, result.err, options.max_output);
    }
  }
  return true;
}

// Waits for `pid` until `deadline` (it may close its outputs and go on);
// false when the deadline passed first.
bool WaitUntil(pid_t pid, std::chrono::steady_clock::time_point deadline, int& wstatus) {
  while (true) {
    pid_t done = waitpid(pid, &wstatus, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    struct timespec pause {
      0, 2'000'000
    };
    nanosleep(&pause, nullptr);
  }
}

void KillGroupAndReap(pid_t pid) {
  kill(-pid, SIGKILL);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
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

Result<ProcessResult> RunProcess(const ProcessOptions& options) {
  if (options.argv.empty() || options.argv[0].empty()) {
    return Fail(ErrorKind::kInternal, "RunProcess: empty argv");
  }
  const std::string& program = options.argv[0];
  auto path = ResolveProgram(options);
  if (!path) return Fail(path.error());
  std::vector<std::string> args = options.argv;
  std::vector<char*> argv = Pointers(args);
  std::vector<std::string> env_strings = Environment(options.env);
  std::vector<char*> envp = Pointers(env_strings);

  // stdin is a socket pair, not a pipe: see the header on SIGPIPE.
  FdPair in, out, err;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in.fd) != 0 ||
      pipe2(out.fd, O_CLOEXEC) != 0 || pipe2(err.fd, O_CLOEXEC) != 0) {
    return Fail(ErrorKind::kInternal,
                fmt::format("cannot run {}: pipe: {}", program, std::strerror(errno)));
  }
  pid_t pid = -1;
  int rc = 0;
  {
    SpawnAttributes spawn(in.fd[0], out.fd[1], err.fd[1]);
    rc = posix_spawn(&pid, path->c_str(), &spawn.actions, &spawn.attr, argv.data(), envp.data());
  }
  if (rc != 0) {
    bool missing = rc == ENOENT || rc == EACCES || rc == ENOEXEC || rc == ENOTDIR;
    return Fail(missing ? ErrorKind::kNotFound : ErrorKind::kInternal,
                fmt::format("cannot run {}: {}", program, std::strerror(rc)));
  }
  in.CloseEnd(0);
  out.CloseEnd(1);
  err.CloseEnd(1);
  // The loop owns and closes the caller's ends from here on.
  Streams streams{std::exchange(in.fd[1], -1), std::exchange(out.fd[0], -1),
                  std::exchange(err.fd[0], -1)};
  ProcessResult result;
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  bool finished = Exchange(streams, options, deadline, result);
  for (int fd : {streams.in, streams.out, streams.err}) {
    if (fd >= 0) close(fd);
  }
  int wstatus = 0;
  if (finished) finished = WaitUntil(pid, deadline, wstatus);
  if (!finished) {
    KillGroupAndReap(pid);
    return Fail(ErrorKind::kTransient, fmt::format("{} did not finish within {} ms; killed",
                                                   program, options.timeout.count()));
  }
  result.exit_code = ExitCode(wstatus);
  return result;
}

}  // namespace tagflow
