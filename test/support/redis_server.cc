#include "test/support/redis_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>
#include <stdexcept>

namespace tagflow::testing {

RedisServer::RedisServer(Options options) : options_(std::move(options)) {
  port_ = FreePort();
  Start();
}

RedisServer::~RedisServer() { process_.reset(); }

void RedisServer::Start() {
  std::vector<std::string> argv = {"/usr/bin/redis-server",
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--dir",
                                   dir_.path().string(),
                                   "--protected-mode",
                                   "no",
                                   "--loglevel",
                                   "warning"};
  if (!options_.password.empty()) {
    argv.push_back("--requirepass");
    argv.push_back(options_.password);
  }
  process_ = std::make_unique<Subprocess>(
      Subprocess::Options{.argv = argv, .log_path = dir_.path() / "redis.log"});
  bool up = WaitFor([&] { return Cli("PING").starts_with("PONG"); }, std::chrono::seconds(20));
  if (!up || !process_->Running()) {
    throw std::runtime_error("redis-server did not start: " + process_->Output());
  }
}

std::string RedisServer::Url(bool with_password) const {
  std::string auth =
      with_password && !options_.password.empty() ? ":" + options_.password + "@" : "";
  return "redis://" + auth + "127.0.0.1:" + std::to_string(port_) + "/0";
}

void RedisServer::Kill() {
  process_->Signal(SIGKILL);
  process_->Wait(std::chrono::seconds(5));
}

void RedisServer::Restart() {
  process_.reset();
  Start();
}

bool RedisServer::running() { return process_ && process_->Running(); }

std::string RedisServer::Cli(const std::string& args) const {
  std::string cmd = "redis-cli -h 127.0.0.1 -p " + std::to_string(port_);
  if (!options_.password.empty()) cmd += " --no-auth-warning -a " + ShellQuote(options_.password);
  std::string out;
  RunShell(cmd + " " + args + " 2>/dev/null", &out, std::chrono::seconds(10));
  return out;
}

std::vector<std::string> RedisServer::Keys(const std::string& pattern) const {
  std::istringstream in(Cli("--raw KEYS " + ShellQuote(pattern)));
  std::vector<std::string> keys;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) keys.push_back(line);
  }
  return keys;
}

SilentListener::SilentListener() {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd_, 64) != 0) {
    close(fd_);
    throw std::runtime_error("SilentListener: bind/listen failed");
  }
  socklen_t len = sizeof addr;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c >= 0) {
        clients_.push_back(c);
        ++accepted_;
      }
    }
  });
}

SilentListener::~SilentListener() {
  stop_ = true;
  thread_.join();
  for (int c : clients_) close(c);
  close(fd_);
}

}  // namespace tagflow::testing
