// Real git servers on 127.0.0.1 for tests: `git daemon`, `sshd` with its own
// host key and an authorized client key, and `git http-backend` behind a tiny
// HTTP server with optional Basic auth; plus bare repositories seeded with
// files, and a TCP listener that never answers (for timeouts).
//
// Every server runs as the current user on a free port, in its own temporary
// directory, and is stopped by its destructor. Constructors throw
// std::runtime_error when a server does not come up.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "test/support/process.h"

namespace tagflow::testing {

// Creates a bare repository at `path` whose `branch` holds one commit with
// `files` (relative path -> contents). Returns the commit id.
std::string CreateBareRepo(const std::filesystem::path& path,
                           const std::map<std::string, std::string>& files,
                           const std::string& branch = "master",
                           const std::string& message = "Initial commit");

// `git rev-parse --verify -q <rev>` in `repo` (bare or not); "" when unknown.
std::string GitRevParse(const std::filesystem::path& repo, const std::string& rev);

// Output of `git <args>` run in `repo` (args are passed to bash unquoted).
std::string GitOutput(const std::filesystem::path& repo, const std::string& args);

// Makes "their change", a commit on top of master in bare repository `bare`
// (not on any branch yet), and installs a pre-receive hook that, on the first
// push only, moves master to it and exits 0: receive-pack's own
// compare-and-swap of master then refuses the pushed update ("failed to update
// ref"), the refusal a server gives when two pushes meet. Returns the commit.
std::string InstallBranchMovingHook(const std::filesystem::path& bare);

// Generates an ed25519 key pair at `private_key` (+ ".pub"); returns the
// public key line ("ssh-ed25519 AAAA... comment").
std::string GenerateSshKey(const std::filesystem::path& private_key);

// `git daemon` serving every repository under `base_path`, push enabled.
class GitDaemon {
 public:
  explicit GitDaemon(std::filesystem::path base_path);
  // git://127.0.0.1:<port>/<name>
  std::string Url(const std::string& name) const;
  int port() const { return port_; }

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<Subprocess> process_;
};

// `sshd` on a high port accepting the current user with `client_key()`.
class SshServer {
 public:
  SshServer();
  int port() const { return port_; }
  const std::string& user() const { return user_; }
  // Private key authorized by the server (public key beside it, ".pub").
  std::filesystem::path client_key() const { return dir_.path() / "client_key"; }
  // known_hosts with the server's key under "[127.0.0.1]:port", plain and
  // hashed (`ssh-keygen -H`).
  std::filesystem::path known_hosts() const { return dir_.path() / "known_hosts"; }
  std::filesystem::path hashed_known_hosts() const { return dir_.path() / "known_hosts_hashed"; }
  // The host public key line ("ssh-ed25519 AAAA...") and its fingerprint
  // ("SHA256:...", as `ssh-keygen -l` prints it).
  const std::string& host_public_key() const { return host_public_key_; }
  std::string HostKeyFingerprint() const;
  // ssh://user@127.0.0.1:port/<absolute repo path>
  std::string Url(const std::filesystem::path& repo) const;
  // scp-like: user@[127.0.0.1:port]:<absolute repo path>
  std::string ScpUrl(const std::filesystem::path& repo) const;

 private:
  TempDir dir_;
  int port_;
  std::string user_;
  std::string host_public_key_;
  std::unique_ptr<Subprocess> process_;
};

// Smart HTTP: `git http-backend` as CGI behind a small Python server serving
// the repositories under `root`. With a non-empty `user`, every request needs
// Basic auth with `user`/`password`.
class GitHttpServer {
 public:
  explicit GitHttpServer(std::filesystem::path root, std::string user = "",
                         std::string password = "");
  // http://127.0.0.1:<port>/<name>
  std::string Url(const std::string& name) const;
  int port() const { return port_; }

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<Subprocess> process_;
};

// Listens on 127.0.0.1 and never answers: connections complete (the kernel
// accepts them into the backlog) but no byte is ever sent back.
class SilentServer {
 public:
  SilentServer();
  ~SilentServer();
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  int port() const { return port_; }

 private:
  int fd_;
  int port_;
};

}  // namespace tagflow::testing
