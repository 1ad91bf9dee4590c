// Git remote URLs as `--git-url` accepts them, and their redaction.
//
// Accepted forms: a local path (`/srv/repo.git`, `./repo`), `file://`,
// `git://`, `ssh://` (also `git+ssh://`, `ssh+git://`), `http://`, `https://`,
// and scp-like `[user@]host:path` (`[user@][host:port]:path` for a port).
// Userinfo may be percent-encoded (`https://user:p%40ss@host/repo.git`).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/url.h"  // RedactUrl

namespace tagflow::git {

struct GitUrl {
  enum class Transport { kLocal, kGit, kSsh, kHttp, kHttps };

  Transport transport = Transport::kLocal;
  std::string user;      // percent-decoded; "" when absent
  std::string password;  // percent-decoded; "" when absent
  bool has_password = false;
  std::string userinfo;  // as written (still percent-encoded); "" when absent
  std::string host;      // without brackets; "" for local
  int port = 0;          // the transport's default when not written
  std::string path;      // local: the path; scp-like relative paths start with "~/"
  bool scp_like = false;

  bool IsNetwork() const { return transport != Transport::kLocal; }
  bool IsSsh() const { return transport == Transport::kSsh; }

  // The URL handed to libgit2: no password (credentials go through the
  // callback), scp-like rewritten to `ssh://user@host:port/path` so a port
  // and a user can be combined. Local paths are returned as written.
  std::string ForLibgit2() const;
};

// Parses a remote URL. Errors are kInvalidInput, with the URL redacted.
[[nodiscard]] Result<GitUrl> ParseGitUrl(std::string_view url);

}  // namespace tagflow::git
