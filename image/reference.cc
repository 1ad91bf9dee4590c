#include "image/reference.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace tagflow::image {
namespace {

constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxTagLength = 128;

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsWordChar(char c) { return IsAlnum(c) || c == '_'; }
bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

std::unexpected<Error> Invalid(std::string_view text, std::string_view why) {
  return Fail(ErrorKind::kInvalidInput,
              fmt::format("invalid image reference \"{}\": {}", text, why));
}

// path-component := [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
bool IsValidPathComponent(std::string_view c) {
  if (c.empty() || !IsLowerAlnum(c.front()) || !IsLowerAlnum(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (IsLowerAlnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !IsLowerAlnum(c[j])) ++j;
    std::string_view sep = c.substr(i, j - i);
    bool dashes = std::all_of(sep.begin(), sep.end(), [](char ch) { return ch == '-'; });
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
    i = j;
  }
  return true;
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool IsValidDomainComponent(std::string_view c) {
  if (c.empty() || !IsAlnum(c.front()) || !IsAlnum(c.back())) return false;
  return std::all_of(c.begin(), c.end(), [](char ch) { return IsAlnum(ch) || ch == '-'; });
}

// domain := (host | '[' ipv6 ']') (':' port)?
bool IsValidDomain(std::string_view d) {
  std::string_view host = d;
  std::string_view port;
  if (!d.empty() && d.front() == '[') {
    size_t close = d.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    std::string_view v6 = d.substr(1, close - 1);
    if (!std::all_of(v6.begin(), v6.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':';
        }))
      return false;
    std::string_view rest = d.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
  } else {
    size_t colon = d.find(':');
    if (colon != std::string_view::npos) {
      host = d.substr(0, colon);
      port = d.substr(colon + 1);
      if (port.empty()) return false;
    }
    size_t start = 0;
    while (true) {
      size_t dot = host.find('.', start);
      if (!IsValidDomainComponent(host.substr(start, dot - start))) return false;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  return std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsDockerHubDomain(std::string_view d) {
  return d.empty() || d == kDockerHubDomain || d == "index.docker.io";
}

}  // namespace

bool IsValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagLength || !IsWordChar(tag.front())) return false;
  return std::all_of(tag.begin(), tag.end(),
                     [](char c) { return IsWordChar(c) || c == '.' || c == '-'; });
}

bool IsValidDigest(std::string_view digest) {
  size_t colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view algorithm = digest.substr(0, colon);
  std::string_view encoded = digest.substr(colon + 1);
  // algorithm := [a-z0-9]+ ([+._-] [a-z0-9]+)*
  if (!IsLowerAlnum(algorithm.front()) || !IsLowerAlnum(algorithm.back())) return false;
  for (size_t i = 1; i < algorithm.size(); ++i) {
    char c = algorithm[i];
    bool sep = c == '+' || c == '.' || c == '_' || c == '-';
    if (!IsLowerAlnum(c) && !sep) return false;
    if (sep && !IsLowerAlnum(algorithm[i - 1])) return false;
  }
  if (algorithm == "sha256" || algorithm == "sha512") {
    size_t want = algorithm == "sha256" ? 64 : 128;
    return encoded.size() == want && std::all_of(encoded.begin(), encoded.end(), IsLowerHex);
  }
  // Other algorithms: encoded := [a-zA-Z0-9=_-]{32,}
  return encoded.size() >= 32 && std::all_of(encoded.begin(), encoded.end(), [](char c) {
           return IsAlnum(c) || c == '=' || c == '_' || c == '-';
         });
}

Result<ImageRef> ImageRef::Parse(std::string_view text) {
  if (text.empty()) return Invalid(text, "it is empty");
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      return Invalid(text, "it contains whitespace or a control character");
  }
  ImageRef ref;
  std::string_view rest = text;

  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    ref.digest_ = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (!IsValidDigest(ref.digest_))
      return Invalid(
          text,
          fmt::format("digest \"{}\" is not algorithm:hex (sha256 needs 64 lower-case hex digits)",
                      ref.digest_));
  }
  size_t last_slash = rest.rfind('/');
  size_t last_colon = rest.rfind(':');
  if (last_colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || last_colon > last_slash)) {
    std::string_view tag = rest.substr(last_colon + 1);
    rest = rest.substr(0, last_colon);
    if (tag.empty()) return Invalid(text, "the tag after ':' is empty");
    if (tag.size() > kMaxTagLength)
      return Invalid(text, fmt::format("tag is {} characters long, at most {} allowed", tag.size(),
                                       kMaxTagLength));
    if (!IsValidTag(tag))
      return Invalid(text, fmt::format("tag \"{}\" may only hold letters, digits, '_', '.' and '-' "
                                       "and must not start with '.' or '-'",
                                       tag));
    ref.tag_ = std::string(tag);
  }
  if (rest.empty()) return Invalid(text, "the repository name is empty");
  if (rest.size() > kMaxNameLength)
    return Invalid(text, fmt::format("repository name is {} characters long, at most {} allowed",
                                     rest.size(), kMaxNameLength));

  // The first component is a domain when it has a '.' or ':', is "localhost",
  // or is not all lower-case (distribution's splitDockerDomain).
  std::string_view path = rest;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view first = rest.substr(0, slash);
    bool has_upper =
        std::any_of(first.begin(), first.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    if (first.find_first_of(".:[") != std::string_view::npos || first == "localhost" || has_upper) {
      if (!IsValidDomain(first))
        return Invalid(text, fmt::format("registry host \"{}\" is not a valid host[:port]", first));
      ref.domain_ = std::string(first);
      path = rest.substr(slash + 1);
    }
  }
  if (path.empty()) return Invalid(text, "the repository path is empty");
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    std::string_view component = path.substr(start, slash - start);
    if (component.empty())
      return Invalid(text, "the repository path has an empty component ('//' or a trailing '/')");
    if (!IsValidPathComponent(component)) {
      bool upper = std::any_of(component.begin(), component.end(),
                               [](char c) { return c >= 'A' && c <= 'Z'; });
      return Invalid(
          text, upper
                    ? fmt::format("repository path component \"{}\" must be lower-case", component)
                    : fmt::format("repository path component \"{}\" may only hold a-z, 0-9 and "
                                  "single separators (., _, __, -)",
                                  component));
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  ref.path_ = std::string(path);
  return ref;
}

std::string ImageRef::Name() const { return domain_.empty() ? path_ : domain_ + "/" + path_; }

std::string ImageRef::String() const {
  std::string out = Name();
  if (!tag_.empty()) out += ":" + tag_;
  if (!digest_.empty()) out += "@" + digest_;
  return out;
}

bool ImageRef::IsDockerHub() const { return IsDockerHubDomain(domain_); }

std::string ImageRef::CanonicalDomain() const {
  return IsDockerHub() ? std::string(kDockerHubDomain) : domain_;
}

std::string ImageRef::ApiHost() const {
  return IsDockerHub() ? std::string(kDockerHubApiHost) : domain_;
}

std::string ImageRef::Repository() const {
  if (IsDockerHub() && path_.find('/') == std::string::npos) return "library/" + path_;
  return path_;
}

std::string ImageRef::CanonicalName() const { return CanonicalDomain() + "/" + Repository(); }

ImageRef ImageRef::WithTag(std::string tag, std::string digest) const {
  ImageRef copy = *this;
  copy.tag_ = std::move(tag);
  copy.digest_ = std::move(digest);
  return copy;
}

}  // namespace tagflow::image
