#include "test/support/git_server.h"

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace tagflow::testing {
namespace fs = std::filesystem;
namespace {

// git http-backend as CGI: Basic auth, chunked request bodies (libgit2 sends
// pushes chunked), CGI headers translated to an HTTP response.
constexpr const char* kHttpBackendScript = R"PY(
import base64, os, subprocess, sys, urllib.parse
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

ROOT, PORT = sys.argv[1], int(sys.argv[2])
USER, PASSWORD = os.environ.get("GIT_TEST_USER", ""), os.environ.get("GIT_TEST_PASSWORD", "")

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.serve()

    def do_POST(self):
        self.serve()

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def serve(self):
        body = self.body()
        if USER:
            token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            if self.headers.get("Authorization") != "Basic " + token:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        path, _, query = self.path.partition("?")
        env = dict(os.environ, GIT_PROJECT_ROOT=ROOT, GIT_HTTP_EXPORT_ALL="1",
                   PATH_INFO=urllib.parse.unquote(path), QUERY_STRING=query,
                   REQUEST_METHOD=self.command, CONTENT_LENGTH=str(len(body)),
                   CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   REMOTE_USER=USER or "anonymous", REMOTE_ADDR="127.0.0.1")
        for header, var in (("Content-Encoding", "HTTP_CONTENT_ENCODING"),
                            ("Git-Protocol", "GIT_PROTOCOL")):
            if self.headers.get(header):
                env[var] = self.headers[header]
        out = subprocess.run(["git", "http-backend"], input=body, env=env,
                             capture_output=True).stdout
        sep = out.find(b"\r\n\r\n")
        head, payload = (out[:sep], out[sep + 4:]) if sep >= 0 else out.split(b"\n\n", 1)
        status, headers = 200, []
        for line in head.decode().splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
)PY";

std::string Shell(const std::string& command) {
  std::string output;
  if (int code = RunShell(command, &output); code != 0) {
    throw std::runtime_error("test setup failed (" + std::to_string(code) + "): " + command + "\n" +
                             output);
  }
  return output;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::unique_ptr<Subprocess> StartServer(Subprocess::Options options, int port,
                                        const std::string& what) {
  auto process = std::make_unique<Subprocess>(std::move(options));
  if (!WaitForPort(port, std::chrono::seconds(20)) || !process->Running()) {
    throw std::runtime_error(what + " did not start:\n" + process->Output());
  }
  return process;
}

std::string CurrentUser() {
  passwd* pw = getpwuid(getuid());
  if (pw == nullptr) throw std::runtime_error("no passwd entry for the current user");
  return pw->pw_name;
}

}  // namespace

std::string CreateBareRepo(const fs::path& path, const std::map<std::string, std::string>& files,
                           const std::string& branch, const std::string& message) {
  TempDir work;
  for (const auto& [name, contents] : files) WriteFile(work.path() / name, contents);
  const std::string git = "git -c user.name=Seeder -c user.email=seeder@example.com";
  Shell("git init -q --bare -b " + ShellQuote(branch) + " " + ShellQuote(path.string()) +
        " && cd " + ShellQuote(work.path().string()) + " && git init -q -b " + ShellQuote(branch) +
        " && git add -A && " + git + " commit -q --allow-empty -m " + ShellQuote(message) +
        " && git push -q " + ShellQuote(path.string()) + " " + ShellQuote(branch));
  return GitRevParse(path, branch);
}

std::string GitRevParse(const fs::path& repo, const std::string& rev) {
  std::string output;
  RunShell("git -C " + ShellQuote(repo.string()) + " rev-parse --verify -q " +
               ShellQuote(rev + "^{commit}"),
           &output);
  return Trim(output);
}

std::string GitOutput(const fs::path& repo, const std::string& args) {
  std::string output;
  RunShell("git -C " + ShellQuote(repo.string()) + " " + args, &output);
  return output;
}

std::string InstallBranchMovingHook(const std::filesystem::path& bare) {
  std::string theirs = GitOutput(bare, "commit-tree master^{tree} -p master -m 'their change'");
  theirs.erase(theirs.find_last_not_of('\n') + 1);
  GitOutput(bare, "update-ref refs/their " + theirs);
  std::filesystem::path hook = bare / "hooks" / "pre-receive";
  WriteFile(hook,
            "#!/bin/sh\n"
            "cat >/dev/null\n"
            "if [ ! -e \"$GIT_DIR/moved\" ]; then\n"
            "  touch \"$GIT_DIR/moved\"\n"
            "  unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES\n"
            "  git update-ref refs/heads/master refs/their\n"
            "fi\n"
            "exit 0\n");
  std::filesystem::permissions(hook, std::filesystem::perms::owner_all |
                                         std::filesystem::perms::group_read |
                                         std::filesystem::perms::others_read);
  return theirs;
}

std::string GenerateSshKey(const fs::path& private_key) {
  Shell("ssh-keygen -q -t ed25519 -N '' -C tagflow-test -f " + ShellQuote(private_key.string()));
  return Trim(ReadFile(private_key.string() + ".pub"));
}

GitDaemon::GitDaemon(fs::path base_path) : port_(FreePort()) {
  process_ = StartServer(
      {.argv = {"git", "daemon", "--reuseaddr", "--listen=127.0.0.1",
                "--port=" + std::to_string(port_), "--export-all", "--enable=receive-pack",
                "--base-path=" + base_path.string(), base_path.string()},
       .log_path = dir_.path() / "git-daemon.log"},
      port_, "git daemon");
}

std::string GitDaemon::Url(const std::string& name) const {
  return "git://127.0.0.1:" + std::to_string(port_) + "/" + name;
}

SshServer::SshServer() : port_(FreePort()), user_(CurrentUser()) {
  const fs::path& d = dir_.path();
  host_public_key_ = GenerateSshKey(d / "host_key");
  std::string client_public = GenerateSshKey(client_key());
  WriteFile(d / "authorized_keys", client_public + "\n");
  std::string name = "[127.0.0.1]:" + std::to_string(port_);
  WriteFile(known_hosts(), name + " " + host_public_key_ + "\n");
  WriteFile(hashed_known_hosts(), name + " " + host_public_key_ + "\n");
  Shell("ssh-keygen -q -H -f " + ShellQuote(hashed_known_hosts().string()) + " && rm -f " +
        ShellQuote(hashed_known_hosts().string() + ".old"));
  WriteFile(d / "sshd_config", "Port " + std::to_string(port_) +
                                   "\nListenAddress 127.0.0.1\n"
                                   "HostKey " +
                                   (d / "host_key").string() + "\nPidFile " +
                                   (d / "sshd.pid").string() + "\nAuthorizedKeysFile " +
                                   (d / "authorized_keys").string() +
                                   "\nUsePAM no\nStrictModes no\nPubkeyAuthentication yes\n"
                                   "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                                   "PermitRootLogin prohibit-password\nAllowTcpForwarding no\n"
                                   "X11Forwarding no\nPrintMotd no\nLogLevel VERBOSE\n"
                                   // The user's shell runs git-upload-pack; a HOME of its own
                                   // keeps a slow ~/.bashrc and a ~/.gitconfig out of the tests.
                                   "SetEnv HOME=" +
                                   d.string() + "\n");
  if (getuid() == 0) fs::create_directories("/run/sshd");  // privilege separation dir
  process_ =
      StartServer({.argv = {"/usr/sbin/sshd", "-D", "-e", "-f", (d / "sshd_config").string()},
                   .log_path = d / "sshd.log"},
                  port_, "sshd");
}

std::string SshServer::HostKeyFingerprint() const {
  std::string line =
      Shell("ssh-keygen -l -E sha256 -f " + ShellQuote((dir_.path() / "host_key.pub").string()));
  auto start = line.find("SHA256:");
  return line.substr(start, line.find(' ', start) - start);
}

std::string SshServer::Url(const fs::path& repo) const {
  return "ssh://" + user_ + "@127.0.0.1:" + std::to_string(port_) + repo.string();
}

std::string SshServer::ScpUrl(const fs::path& repo) const {
  return user_ + "@[127.0.0.1:" + std::to_string(port_) + "]:" + repo.string();
}

GitHttpServer::GitHttpServer(fs::path root, std::string user, std::string password)
    : port_(FreePort()) {
  fs::path script = dir_.path() / "git_http.py";
  WriteFile(script, kHttpBackendScript);
  process_ = StartServer(
      {.argv = {"/usr/bin/python3", script.string(), root.string(), std::to_string(port_)},
       .env = {{"GIT_TEST_USER", user}, {"GIT_TEST_PASSWORD", password}},
       .log_path = dir_.path() / "http.log"},
      port_, "git http server");
}

std::string GitHttpServer::Url(const std::string& name) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/" + name;
}

SilentServer::SilentServer() {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd_, 16) != 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("SilentServer: cannot listen");
  }
  port_ = ntohs(addr.sin_port);
}

SilentServer::~SilentServer() { close(fd_); }

}  // namespace tagflow::testing
