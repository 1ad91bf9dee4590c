#include "git/url.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include "base/strings.h"
#include "base/url.h"

namespace tagflow::git {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// Splits "host", "host:port", "[v6]" or "[v6]:port". A bare IPv6 address
// (several colons, no brackets) is taken as a host without a port.
bool ParseHostPort(std::string_view text, std::string* host, int* port) {
  std::string_view port_text;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos) return false;
    *host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return false;
      port_text = rest.substr(1);
    }
  } else if (std::ranges::count(text, ':') == 1) {
    auto colon = text.find(':');
    *host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  } else {
    *host = std::string(text);
  }
  if (host->empty()) return false;
  if (!port_text.empty()) {
    int value = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value <= 0 ||
        value > 65535) {
      return false;
    }
    *port = value;
  }
  return true;
}

int DefaultPort(GitUrl::Transport transport) {
  switch (transport) {
    case GitUrl::Transport::kGit:
      return 9418;
    case GitUrl::Transport::kSsh:
      return 22;
    case GitUrl::Transport::kHttp:
      return 80;
    case GitUrl::Transport::kHttps:
      return 443;
    case GitUrl::Transport::kLocal:
      break;
  }
  return 0;
}

void SplitUserinfo(std::string_view userinfo, GitUrl* out) {
  out->userinfo = std::string(userinfo);
  auto colon = userinfo.find(':');
  out->user = PercentDecode(userinfo.substr(0, colon));
  if (colon != std::string_view::npos) {
    out->password = PercentDecode(userinfo.substr(colon + 1));
    out->has_password = true;
  }
}

std::unexpected<Error> BadUrl(std::string_view url, std::string_view why) {
  return Fail(ErrorKind::kInvalidInput,
              fmt::format("invalid --git-url {}: {}", RedactUrl(url), why));
}

Result<GitUrl> ParseSchemeUrl(std::string_view url, size_t sep) {
  GitUrl out;
  std::string scheme = Lower(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  if (scheme == "file") {
    if (!rest.starts_with('/')) return BadUrl(url, "a file:// URL needs an absolute path");
    out.path = PercentDecode(rest);
    return out;
  }
  if (scheme == "git") {
    out.transport = GitUrl::Transport::kGit;
  } else if (scheme == "ssh" || scheme == "git+ssh" || scheme == "ssh+git") {
    out.transport = GitUrl::Transport::kSsh;
  } else if (scheme == "http") {
    out.transport = GitUrl::Transport::kHttp;
  } else if (scheme == "https") {
    out.transport = GitUrl::Transport::kHttps;
  } else {
    return BadUrl(url, fmt::format("unsupported scheme \"{}\"", scheme));
  }
  out.port = DefaultPort(out.transport);
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    SplitUserinfo(authority.substr(0, at), &out);
    authority = authority.substr(at + 1);
  }
  if (!ParseHostPort(authority, &out.host, &out.port)) return BadUrl(url, "bad host or port");
  if (out.IsSsh() && out.path.starts_with("/~")) out.path = out.path.substr(1);
  return out;
}

// scp-like `[user@]host:path` or `[user@][host:port]:path`; nullopt when the
// text is a local path instead (a slash before the first colon, or no colon).
std::optional<Result<GitUrl>> ParseScpLike(std::string_view url) {
  GitUrl out;
  out.transport = GitUrl::Transport::kSsh;
  out.scp_like = true;
  out.port = 22;
  size_t host_start = 0;
  auto at = url.find('@');
  auto first_colon = url.find(':');
  auto first_bracket = url.find('[');
  if (at != std::string_view::npos && at < first_colon && at < first_bracket) {
    SplitUserinfo(url.substr(0, at), &out);
    host_start = at + 1;
  }
  size_t colon;
  std::string_view host_port;
  if (host_start < url.size() && url[host_start] == '[') {
    auto close = url.find(']', host_start);
    if (close == std::string_view::npos || close + 1 >= url.size() || url[close + 1] != ':') {
      return std::nullopt;
    }
    colon = close + 1;
    host_port = url.substr(host_start + 1, close - host_start - 1);
  } else {
    colon = url.find(':', host_start);
    if (colon == std::string_view::npos) return std::nullopt;
    host_port = url.substr(host_start, colon - host_start);
  }
  if (url.substr(0, colon).find('/') != std::string_view::npos) return std::nullopt;
  if (host_port.find(':') != std::string_view::npos && std::ranges::count(host_port, ':') == 1) {
    if (!ParseHostPort(host_port, &out.host, &out.port)) return BadUrl(url, "bad host or port");
  } else {
    out.host = std::string(host_port);
  }
  if (out.host.empty()) return BadUrl(url, "no host before ':'");
  std::string_view path = url.substr(colon + 1);
  if (path.empty()) return BadUrl(url, "no repository path after ':'");
  out.path =
      path.starts_with('/') || path.starts_with('~') ? std::string(path) : "~/" + std::string(path);
  return out;
}

}  // namespace

Result<GitUrl> ParseGitUrl(std::string_view url) {
  if (url.empty()) return Fail(ErrorKind::kInvalidInput, "--git-url is empty");
  auto sep = url.find("://");
  if (sep != std::string_view::npos && sep > 0 &&
      std::ranges::all_of(url.substr(0, sep), [](unsigned char c) {
        return std::isalnum(c) || c == '+' || c == '-' || c == '.';
      })) {
    return ParseSchemeUrl(url, sep);
  }
  if (!url.starts_with('/') && !url.starts_with('.')) {
    if (auto scp = ParseScpLike(url)) return *scp;
  }
  GitUrl out;
  out.path = std::string(url);
  return out;
}

std::string GitUrl::ForLibgit2() const {
  if (transport == Transport::kLocal) return path;
  static constexpr std::string_view kSchemes[] = {"file", "git", "ssh", "http", "https"};
  std::string out = fmt::format("{}://", kSchemes[static_cast<int>(transport)]);
  if (IsSsh() && !user.empty()) out += PercentEncode(user) + "@";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != DefaultPort(transport)) out += fmt::format(":{}", port);
  if (!path.starts_with('/')) out += '/';
  return out + path;
}

}  // namespace tagflow::git
