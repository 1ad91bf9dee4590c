#include "notify/links.h"

#include "base/strings.h"

namespace tagflow::notify {
namespace {

enum class Forge { kUnknown, kGitHubLike, kGitLab, kBitbucket };

Forge ForgeOfHost(std::string_view host) {
  std::string h = Lower(host);
  if (h == "github.com" || h == "codeberg.org" || h == "gitea.com") return Forge::kGitHubLike;
  if (h == "gitlab.com") return Forge::kGitLab;
  if (h == "bitbucket.org") return Forge::kBitbucket;
  std::string_view first = std::string_view(h).substr(0, h.find('.'));
  if (first == "github" || first == "gitea" || first == "forgejo") return Forge::kGitHubLike;
  if (first == "gitlab") return Forge::kGitLab;
  if (first == "bitbucket") return Forge::kBitbucket;
  return Forge::kUnknown;
}

// scheme, authority (userinfo dropped) and path of a URL in any form above.
struct GitUrl {
  std::string scheme;  // "https", "http", "ssh"
  std::string host;    // without port
  std::string port;    // "" when none
  std::string path;    // "org/repo", no leading slash, no ".git"
};

GitUrl SplitGitUrl(std::string_view url) {
  GitUrl out;
  std::string_view rest = url;
  size_t sep = url.find("://");
  bool scp = sep == std::string_view::npos;
  if (!scp) {
    out.scheme = Lower(url.substr(0, sep));
    rest = url.substr(sep + 3);
  }
  size_t path_start = scp ? rest.find(':') : rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? "" : rest.substr(path_start + 1);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    size_t close = authority.find(']');
    out.host = std::string(authority.substr(0, close + 1));
    if (close != std::string_view::npos && close + 2 < authority.size()) {
      out.port = std::string(authority.substr(close + 2));
    }
  } else if (size_t colon = authority.find(':'); colon != std::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    out.port = std::string(authority.substr(colon + 1));
  } else {
    out.host = std::string(authority);
  }
  path = path.substr(0, path.find_first_of("?#"));
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.ends_with(".git")) path.remove_suffix(4);
  out.path = std::string(path);
  if (scp) out.scheme = "ssh";
  return out;
}

}  // namespace

std::string RepoWebUrl(std::string_view git_url, std::string_view web_url) {
  if (!web_url.empty()) {
    GitUrl w = SplitGitUrl(web_url);
    std::string scheme = w.scheme == "http" ? "http" : "https";
    std::string out = scheme + "://" + w.host + (w.port.empty() ? "" : ":" + w.port);
    return w.path.empty() ? out : out + "/" + w.path;
  }
  GitUrl g = SplitGitUrl(git_url);
  if (g.host.empty() || g.path.empty() || ForgeOfHost(g.host) == Forge::kUnknown) return "";
  bool http = g.scheme == "http" || g.scheme == "https";
  std::string out = (http ? g.scheme : "https") + "://" + g.host;
  if (http && !g.port.empty()) out += ":" + g.port;
  return out + "/" + g.path;
}

std::string CommitWebUrl(std::string_view repo_web_url, std::string_view commit) {
  if (repo_web_url.empty() || commit.empty()) return "";
  GitUrl w = SplitGitUrl(repo_web_url);
  std::string_view page = "/commit/";
  switch (ForgeOfHost(w.host)) {
    case Forge::kGitLab:
      page = "/-/commit/";
      break;
    case Forge::kBitbucket:
      page = "/commits/";
      break;
    case Forge::kGitHubLike:
    case Forge::kUnknown:
      break;
  }
  return std::string(repo_web_url) + std::string(page) + std::string(commit);
}

}  // namespace tagflow::notify
