#include "test/support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tagflow::testing {

Subprocess::Subprocess(Options options) : options_(std::move(options)) {
  if (options_.argv.empty()) throw std::invalid_argument("Subprocess: empty argv");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + strerror(errno));
  if (pid_ == 0) {
    setpgid(0, 0);  // own group, so the destructor can stop grandchildren too
    std::string log = options_.log_path.empty() ? "/dev/null" : options_.log_path.string();
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    int null_in = open("/dev/null", O_RDONLY);
    if (null_in >= 0) dup2(null_in, 0);
    if (!options_.cwd.empty() && chdir(options_.cwd.c_str()) != 0) _exit(127);
    for (const auto& [key, value] : options_.env) setenv(key.c_str(), value.c_str(), 1);
    std::vector<char*> argv;
    for (auto& arg : options_.argv) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  setpgid(pid_, pid_);
}

Subprocess::~Subprocess() {
  if (!Running()) return;
  kill(-pid_, SIGTERM);
  if (Wait(std::chrono::seconds(2)) == -1) {
    kill(-pid_, SIGKILL);
    Wait(std::chrono::seconds(2));
  }
}

bool Subprocess::Running() {
  if (status_ != -1) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return r == 0;
}

void Subprocess::Signal(int signal) {
  if (Running()) kill(pid_, signal);
}

int Subprocess::Wait(std::chrono::milliseconds timeout) {
  if (WaitFor([this] { return !Running(); }, timeout)) return status_;
  return -1;
}

std::string Subprocess::Output() const {
  return options_.log_path.empty() ? "" : ReadFile(options_.log_path);
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    throw std::runtime_error("FreePort: bind failed");
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool WaitForPort(int port, std::chrono::milliseconds timeout) {
  return WaitFor(
      [port] {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(port));
        bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        close(fd);
        return ok;
      },
      timeout);
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/tagflow-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFile(const std::filesystem::path& path, const std::string& contents) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

int RunShell(const std::string& command, std::string* output, std::chrono::seconds timeout) {
  TempDir dir;
  auto log = dir.path() / "out";
  int code;
  {
    Subprocess proc({.argv = {"bash", "-c", command}, .log_path = log});
    code = proc.Wait(timeout);
  }
  if (output) *output = ReadFile(log);
  return code;
}

}  // namespace tagflow::testing
