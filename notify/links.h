// Links to a repository's web pages, for "commit 0123456" in messages.
//
// The configured --git-url decides (not the URL git clones after its own
// `url.<base>.insteadOf` rewriting). Its forms:
//
//   https://[user[:pw]@]host[:port]/org/repo[.git]   web: https://host[:port]/org/repo
//   http://...                                        web: http://host[:port]/org/repo
//   ssh://[user@]host[:port]/org/repo[.git]           web: https://host/org/repo
//   [user@]host:org/repo[.git]    (scp-like)          web: https://host/org/repo
//
// A link is only made for hosts whose forge is known by name: github.com,
// gitlab.com, bitbucket.org, codeberg.org, gitea.com, and hosts whose first
// label is `github`, `gitlab`, `bitbucket`, `gitea` or `forgejo`
// (`gitlab.example.com`). `--git-web-url` names the web page of any other
// (self-hosted) repository; its forge is guessed the same way from its host,
// and is GitHub-style (`/commit/<sha>`, also Gitea and Forgejo) otherwise.
//
// Commit pages: GitHub, Gitea, Forgejo `/commit/<sha>`; GitLab
// `/-/commit/<sha>`; Bitbucket `/commits/<sha>`.
#pragma once

#include <string>
#include <string_view>

namespace tagflow::notify {

// The web page of the repository, without a trailing slash; "" when the
// forge is unknown and `web_url` is empty. Never holds userinfo.
std::string RepoWebUrl(std::string_view git_url, std::string_view web_url);

// The page of `commit` under `repo_web_url` (from RepoWebUrl); "" when
// either is empty.
std::string CommitWebUrl(std::string_view repo_web_url, std::string_view commit);

}  // namespace tagflow::notify
