#include "notify/sender.h"

#include <algorithm>
#include <cctype>

namespace tagflow::notify {
namespace {

struct UrlParts {
  std::string_view scheme;
  std::string_view host;  // authority without userinfo
  std::string_view rest;  // path, query and fragment
};

std::optional<UrlParts> SplitUrl(std::string_view url) {
  size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  std::string_view scheme = url.substr(0, sep);
  if (!std::all_of(scheme.begin(), scheme.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '+' || c == '-' || c == '.';
      })) {
    return std::nullopt;
  }
  std::string_view after = url.substr(sep + 3);
  size_t end = after.find_first_of("/?#");
  std::string_view authority = after.substr(0, end);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.empty()) return std::nullopt;
  std::string_view rest = end == std::string_view::npos ? "" : after.substr(end);
  return UrlParts{scheme, authority, rest};
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  std::optional<UrlParts> parts = SplitUrl(url);
  if (!parts) return "***";
  std::string out = std::string(parts->scheme) + "://" + std::string(parts->host);
  if (!parts->rest.empty() && parts->rest != "/") out += "/***";
  return out;
}

std::string ScrubUrl(std::string text, std::string_view url) {
  auto replace_all = [&](std::string_view what, std::string_view with) {
    if (what.size() < 2) return;
    for (size_t at = text.find(what); at != std::string::npos;
         at = text.find(what, at + with.size())) {
      text.replace(at, what.size(), with);
    }
  };
  replace_all(url, RedactUrl(url));
  if (size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    std::string_view after = url.substr(scheme + 3);
    size_t path = after.find_first_of("/?#");
    if (path != std::string_view::npos) replace_all(after.substr(path), "/***");
    std::string_view authority = after.substr(0, path);
    if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
      replace_all(authority.substr(0, at), "***");
    }
  }
  return text;
}

bool IsHttpUrl(std::string_view url) {
  std::optional<UrlParts> parts = SplitUrl(url);
  if (!parts) return false;
  std::string scheme(parts->scheme);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return scheme == "http" || scheme == "https";
}

}  // namespace tagflow::notify
