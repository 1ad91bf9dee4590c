// Docker / OCI image references: `[domain[:port]/]path[:tag][@digest]`.
//
// A reference keeps two faces apart:
//  - the form as written (`String()`), which a manifest rewrite must preserve
//    byte for byte except for the tag and digest it means to change;
//  - the canonical form used for registry calls (`CanonicalName()`,
//    `ApiHost()`, `Repository()`): Docker Hub is spelled `docker.io`,
//    `index.docker.io` or not at all, one-part Hub names get `library/`, and the
//    Hub's API lives on `registry-1.docker.io`.
// The grammar is the one of distribution/reference: lower-case path
// components joined by `.`, `_`, `__` or runs of `-`; tags of at most 128 word
// characters, dots and dashes; digests `algorithm:hex` (sha256 = 64 hex).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace tagflow::image {

inline constexpr std::string_view kDockerHubDomain = "docker.io";
inline constexpr std::string_view kDockerHubApiHost = "registry-1.docker.io";

class ImageRef {
 public:
  ImageRef() = default;

  // Parses `text` (no surrounding whitespace). Errors are kInvalidInput and
  // say which part is wrong, quoting the whole reference.
  [[nodiscard]] static Result<ImageRef> Parse(std::string_view text);

  // As written: the domain exactly as given ("" when none), the path, the tag
  // ("" when none) and the digest ("" when none).
  const std::string& domain() const { return domain_; }
  const std::string& path() const { return path_; }
  const std::string& tag() const { return tag_; }
  const std::string& digest() const { return digest_; }

  // `[domain/]path` as written, no tag or digest.
  std::string Name() const;
  // The whole reference as written; Parse(x)->String() == x.
  std::string String() const;

  // True for references that name Docker Hub (no domain, docker.io,
  // index.docker.io).
  bool IsDockerHub() const;
  // Registry host as used in credentials and logs: "docker.io" for the Hub,
  // otherwise the domain with its port.
  std::string CanonicalDomain() const;
  // Host (and port) the registry API answers on: "registry-1.docker.io" for
  // the Hub, otherwise the domain.
  std::string ApiHost() const;
  // Repository path for API calls: "library/nginx" for the Hub's "nginx".
  std::string Repository() const;
  // "docker.io/library/nginx": the name include/exclude globs match against.
  std::string CanonicalName() const;

  // A copy with another tag (and digest; "" removes it), every other byte of
  // the written form kept. `tag` must be a valid tag.
  [[nodiscard]] ImageRef WithTag(std::string tag, std::string digest = "") const;

  friend bool operator==(const ImageRef&, const ImageRef&) = default;

 private:
  std::string domain_;
  std::string path_;
  std::string tag_;
  std::string digest_;
};

// True when `tag` matches `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
bool IsValidTag(std::string_view tag);
// True for `algorithm:encoded` digests (sha256 needs 64 lower-case hex digits,
// sha512 128).
bool IsValidDigest(std::string_view digest);

}  // namespace tagflow::image
