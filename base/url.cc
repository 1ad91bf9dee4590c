#include "base/url.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <optional>

#include "base/strings.h"

namespace tagflow {
namespace {

// `scheme://[userinfo@]authority[rest]`, as views into the text.
struct Pieces {
  std::string_view scheme;
  std::string_view userinfo;  // without the '@'; empty when absent
  bool has_userinfo = false;
  std::string_view authority;
  std::string_view rest;  // path, query and fragment
};

std::optional<Pieces> Split(std::string_view url) {
  size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  Pieces p;
  p.scheme = url.substr(0, sep);
  for (char c : p.scheme) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '+' ||
              c == '-' || c == '.';
    if (!ok) return std::nullopt;
  }
  std::string_view after = url.substr(sep + 3);
  size_t end = after.find_first_of("/?#");
  p.authority = after.substr(0, end);
  p.rest = end == std::string_view::npos ? "" : after.substr(end);
  if (size_t at = p.authority.rfind('@'); at != std::string_view::npos) {
    p.userinfo = p.authority.substr(0, at);
    p.has_userinfo = true;
    p.authority.remove_prefix(at + 1);
  }
  return p;
}

bool IsSshScheme(std::string_view scheme) {
  std::string s = Lower(scheme);
  return s == "ssh" || s == "git+ssh" || s == "ssh+git";
}

}  // namespace

Result<UrlParts> ParseUrl(std::string_view url) {
  size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return Fail(ErrorKind::kInvalidInput, fmt::format("invalid URL \"{}\": no scheme", url));
  }
  UrlParts parts;
  parts.scheme = Lower(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.empty()) {
    return Fail(ErrorKind::kInvalidInput, "invalid URL: no host");
  }
  parts.authority = Lower(authority);
  if (authority.front() == '[') {
    parts.host = Lower(authority.substr(1, authority.find(']') - 1));
  } else {
    parts.host = Lower(authority.substr(0, authority.find(':')));
  }
  return parts;
}

Result<std::string> ResolveUrl(std::string_view base, std::string_view location) {
  CURLU* u = curl_url();
  std::string base_s(base);
  std::string loc_s(location);
  std::string out;
  bool ok = curl_url_set(u, CURLUPART_URL, base_s.c_str(), 0) == CURLUE_OK &&
            curl_url_set(u, CURLUPART_URL, loc_s.c_str(), 0) == CURLUE_OK;
  char* full = nullptr;
  if (ok && curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK) {
    out = full;
    curl_free(full);
  } else {
    ok = false;
  }
  curl_url_cleanup(u);
  if (!ok) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("cannot resolve redirect location \"{}\"", location));
  }
  return out;
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string RedactUrl(std::string_view url, UrlRedaction mode) {
  std::optional<Pieces> p = Split(url);
  if (mode == UrlRedaction::kCredentialsAndPath) {
    if (!p || p->authority.empty()) return "***";
    std::string out = fmt::format("{}://{}", p->scheme, p->authority);
    if (!p->rest.empty() && p->rest != "/") out += "/***";
    return out;
  }
  if (!p || !p->has_userinfo) return std::string(url);
  std::string userinfo = "***";
  if (IsSshScheme(p->scheme)) {
    size_t colon = p->userinfo.find(':');
    if (colon == std::string_view::npos) return std::string(url);  // a login name
    userinfo = fmt::format("{}:***", p->userinfo.substr(0, colon));
  }
  return fmt::format("{}://{}@{}{}", p->scheme, userinfo, p->authority, p->rest);
}

std::string ScrubUrl(std::string text, std::string_view url) {
  auto replace_all = [&](std::string_view what, std::string_view with) {
    if (what.size() < 2) return;
    for (size_t at = text.find(what); at != std::string::npos;
         at = text.find(what, at + with.size())) {
      text.replace(at, what.size(), with);
    }
  };
  replace_all(url, RedactUrl(url, UrlRedaction::kCredentialsAndPath));
  if (std::optional<Pieces> p = Split(url)) {
    if (!p->rest.empty()) replace_all(p->rest, "/***");
    if (p->has_userinfo) replace_all(p->userinfo, "***");
  }
  return text;
}

bool IsHttpUrl(std::string_view url) {
  std::optional<Pieces> p = Split(url);
  if (!p || p->authority.empty()) return false;
  std::string scheme = Lower(p->scheme);
  return scheme == "http" || scheme == "https";
}

}  // namespace tagflow
