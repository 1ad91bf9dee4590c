#include "base/subprocess.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

extern char** environ;

namespace tagflow {
namespace {

// Closes the fds it owns on scope exit.
struct Fds {
  int fd[2] = {-1, -1};
  ~Fds() { Close(); }
  void Close() {
    for (int& f : fd) {
      if (f >= 0) close(f);
      f = -1;
    }
  }
  bool Open() { return pipe2(fd, O_CLOEXEC) == 0; }
};

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

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

}  // namespace

Result<ProcessResult> RunProcess(const ProcessOptions& options) {
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { signal(SIGPIPE, SIG_IGN); });
  if (options.argv.empty() || options.argv[0].empty()) {
    return Fail(ErrorKind::kInternal, "RunProcess: empty argv");
  }
  const std::string& program = options.argv[0];
  // Everything the child needs is prepared before fork: only
  // async-signal-safe calls happen in the child.
  std::vector<std::string> args = options.argv;
  std::vector<char*> argv = Pointers(args);
  std::vector<std::string> env_strings = Environment(options.env);
  std::vector<char*> envp = Pointers(env_strings);

  Fds in, out, err, status;  // status: the child writes errno if exec fails
  if (!in.Open() || !out.Open() || !err.Open() || !status.Open()) {
    return Fail(ErrorKind::kInternal,
                fmt::format("cannot run {}: pipe: {}", program, std::strerror(errno)));
  }
  pid_t pid = fork();
  if (pid < 0) {
    return Fail(ErrorKind::kInternal,
                fmt::format("cannot run {}: fork: {}", program, std::strerror(errno)));
  }
  if (pid == 0) {
    dup2(in.fd[0], STDIN_FILENO);
    dup2(out.fd[1], STDOUT_FILENO);
    dup2(err.fd[1], STDERR_FILENO);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execvpe(argv[0], argv.data(), envp.data());
    int code = errno;
    [[maybe_unused]] ssize_t n = write(status.fd[1], &code, sizeof code);
    _exit(127);
  }
  CloseFd(in.fd[0]);
  CloseFd(out.fd[1]);
  CloseFd(err.fd[1]);
  CloseFd(status.fd[1]);

  ProcessResult result;
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  size_t written = 0;
  if (options.input.empty()) CloseFd(in.fd[1]);
  if (in.fd[1] >= 0) fcntl(in.fd[1], F_SETFL, O_NONBLOCK);
  bool timed_out = false;
  while (out.fd[0] >= 0 || err.fd[0] >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[3] = {{out.fd[0], POLLIN, 0}, {err.fd[0], POLLIN, 0}, {in.fd[1], POLLOUT, 0}};
    int ready = poll(fds, 3, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    if (in.fd[1] >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(in.fd[1], options.input.data() + written, options.input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) written = options.input.size();
      if (written >= options.input.size()) CloseFd(in.fd[1]);
    }
    int* readers[2] = {&out.fd[0], &err.fd[0]};
    std::string* sinks[2] = {&result.out, &result.err};
    for (int i = 0; i < 2; ++i) {
      if (*readers[i] < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[8192];
      ssize_t n = read(*readers[i], buffer, sizeof buffer);
      if (n > 0) {
        size_t room = options.max_output - std::min(options.max_output, sinks[i]->size());
        sinks[i]->append(buffer, std::min(room, static_cast<size_t>(n)));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        CloseFd(*readers[i]);
      }
    }
  }
  CloseFd(in.fd[1]);
  int wstatus = 0;
  // The child may close its outputs and go on: wait for it within the deadline too.
  while (!timed_out) {
    pid_t done = waitpid(pid, &wstatus, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      timed_out = true;
      break;
    }
    struct timespec pause {
      0, 2'000'000
    };
    nanosleep(&pause, nullptr);
  }
  if (timed_out) {
    kill(pid, SIGKILL);
    waitpid(pid, &wstatus, 0);
    return Fail(ErrorKind::kTransient, fmt::format("{} did not finish within {} ms; killed",
                                                   program, options.timeout.count()));
  }
  int exec_errno = 0;
  if (read(status.fd[0], &exec_errno, sizeof exec_errno) == sizeof exec_errno) {
    return Fail(ErrorKind::kNotFound,
                fmt::format("cannot run {}: {}", program, std::strerror(exec_errno)));
  }
  result.exit_code = ExitCode(wstatus);
  return result;
}

}  // namespace tagflow
