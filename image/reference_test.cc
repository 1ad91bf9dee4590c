#include "image/reference.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace tagflow::image {
namespace {

using ::testing::HasSubstr;

const std::string kSha = "sha256:" + std::string(64, 'a');

struct ValidCase {
  std::string text;
  std::string domain, path, tag, digest;
  std::string api_host, repository, canonical;
};

void PrintTo(const ValidCase& c, std::ostream* os) { *os << '"' << c.text << '"'; }

class ValidRefTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(ValidRefTest, ParsesAndRoundTrips) {
  const ValidCase& c = GetParam();
  Result<ImageRef> ref = ImageRef::Parse(c.text);
  ASSERT_TRUE(ref.has_value()) << c.text << ": " << ref.error().message;
  EXPECT_EQ(ref->domain(), c.domain);
  EXPECT_EQ(ref->path(), c.path);
  EXPECT_EQ(ref->tag(), c.tag);
  EXPECT_EQ(ref->digest(), c.digest);
  EXPECT_EQ(ref->ApiHost(), c.api_host);
  EXPECT_EQ(ref->Repository(), c.repository);
  EXPECT_EQ(ref->CanonicalName(), c.canonical);
  EXPECT_EQ(ref->String(), c.text) << "the written form must survive a round trip";
}

INSTANTIATE_TEST_SUITE_P(
    References, ValidRefTest,
    ::testing::Values(
        ValidCase{"nginx", "", "nginx", "", "", "registry-1.docker.io", "library/nginx",
                  "docker.io/library/nginx"},
        ValidCase{"nginx:1.25", "", "nginx", "1.25", "", "registry-1.docker.io", "library/nginx",
                  "docker.io/library/nginx"},
        ValidCase{"library/nginx:1", "", "library/nginx", "1", "", "registry-1.docker.io",
                  "library/nginx", "docker.io/library/nginx"},
        ValidCase{"docker.io/nginx", "docker.io", "nginx", "", "", "registry-1.docker.io",
                  "library/nginx", "docker.io/library/nginx"},
        ValidCase{"index.docker.io/nginx:latest", "index.docker.io", "nginx", "latest", "",
                  "registry-1.docker.io", "library/nginx", "docker.io/library/nginx"},
        ValidCase{"docker.io/fluxcd/flux:1.21.0", "docker.io", "fluxcd/flux", "1.21.0", "",
                  "registry-1.docker.io", "fluxcd/flux", "docker.io/fluxcd/flux"},
        ValidCase{"fluxcd/flux:1.21.0", "", "fluxcd/flux", "1.21.0", "", "registry-1.docker.io",
                  "fluxcd/flux", "docker.io/fluxcd/flux"},
        ValidCase{"host:5000/a/b:t", "host:5000", "a/b", "t", "", "host:5000", "a/b",
                  "host:5000/a/b"},
        ValidCase{"host:5000/a/b", "host:5000", "a/b", "", "", "host:5000", "a/b", "host:5000/a/b"},
        ValidCase{"localhost/a", "localhost", "a", "", "", "localhost", "a", "localhost/a"},
        ValidCase{"localhost:5000/a:v1", "localhost:5000", "a", "v1", "", "localhost:5000", "a",
                  "localhost:5000/a"},
        ValidCase{"127.0.0.1:5000/team/app:master-abc", "127.0.0.1:5000", "team/app", "master-abc",
                  "", "127.0.0.1:5000", "team/app", "127.0.0.1:5000/team/app"},
        ValidCase{"[::1]:5000/app:1", "[::1]:5000", "app", "1", "", "[::1]:5000", "app",
                  "[::1]:5000/app"},
        ValidCase{"ghcr.io/org/team/sub/app:v2.0.0-rc.1", "ghcr.io", "org/team/sub/app",
                  "v2.0.0-rc.1", "", "ghcr.io", "org/team/sub/app", "ghcr.io/org/team/sub/app"},
        ValidCase{"quay.io/coreos/etcd:v3.5.9", "quay.io", "coreos/etcd", "v3.5.9", "", "quay.io",
                  "coreos/etcd", "quay.io/coreos/etcd"},
        ValidCase{"Registry.Example.com/app:1", "Registry.Example.com", "app", "1", "",
                  "Registry.Example.com", "app", "Registry.Example.com/app"},
        ValidCase{"a:b@" + kSha, "", "a", "b", kSha, "registry-1.docker.io", "library/a",
                  "docker.io/library/a"},
        ValidCase{"a@" + kSha, "", "a", "", kSha, "registry-1.docker.io", "library/a",
                  "docker.io/library/a"},
        ValidCase{"host:5000/a:t@" + kSha, "host:5000", "a", "t", kSha, "host:5000", "a",
                  "host:5000/a"},
        ValidCase{"my-registry.local/my_app:1", "my-registry.local", "my_app", "1", "",
                  "my-registry.local", "my_app", "my-registry.local/my_app"},
        ValidCase{"a/b__c/d.e/f--g:1", "", "a/b__c/d.e/f--g", "1", "", "registry-1.docker.io",
                  "a/b__c/d.e/f--g", "docker.io/a/b__c/d.e/f--g"},
        ValidCase{"app:_underscore", "", "app", "_underscore", "", "registry-1.docker.io",
                  "library/app", "docker.io/library/app"},
        ValidCase{"app:" + std::string(128, 'x'), "", "app", std::string(128, 'x'), "",
                  "registry-1.docker.io", "library/app", "docker.io/library/app"},
        ValidCase{"app:UPPER-Case.1", "", "app", "UPPER-Case.1", "", "registry-1.docker.io",
                  "library/app", "docker.io/library/app"},
        ValidCase{"0/1:2", "", "0/1", "2", "", "registry-1.docker.io", "0/1", "docker.io/0/1"},
        ValidCase{"xn--bcher-kva.example:443/a", "xn--bcher-kva.example:443", "a", "", "",
                  "xn--bcher-kva.example:443", "a", "xn--bcher-kva.example:443/a"}));

struct InvalidCase {
  std::string text;
  std::string why;  // a fragment the message must contain
};

void PrintTo(const InvalidCase& c, std::ostream* os) { *os << '"' << c.text << '"'; }

class InvalidRefTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidRefTest, IsRejectedWithAReason) {
  const InvalidCase& c = GetParam();
  Result<ImageRef> ref = ImageRef::Parse(c.text);
  ASSERT_FALSE(ref.has_value()) << c.text << " parsed as " << ref->String();
  EXPECT_EQ(ref.error().kind, ErrorKind::kInvalidInput);
  EXPECT_THAT(ref.error().message, HasSubstr("invalid image reference"));
  EXPECT_THAT(ref.error().message, HasSubstr(c.why)) << ref.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    References, InvalidRefTest,
    ::testing::Values(
        InvalidCase{"", "empty"}, InvalidCase{"Nginx", "must be lower-case"},
        InvalidCase{"library/Nginx:1", "\"Nginx\" must be lower-case"},
        InvalidCase{"host:5000/Team/app", "\"Team\" must be lower-case"},
        InvalidCase{"app:" + std::string(129, 'x'), "at most 128"},
        InvalidCase{"app:", "tag after ':' is empty"},
        InvalidCase{"app:.hidden", "tag \".hidden\""}, InvalidCase{"app:-dash", "tag \"-dash\""},
        InvalidCase{"app:a+b", "tag \"a+b\""}, InvalidCase{"app@sha256:abc", "digest"},
        InvalidCase{"app@sha256:" + std::string(64, 'A'), "digest"},
        InvalidCase{"app@" + std::string(64, 'a'), "digest"},
        InvalidCase{"a//b", "empty component"}, InvalidCase{"a/b/", "empty component"},
        InvalidCase{"host:5000/", "path is empty"}, InvalidCase{":tag", "name is empty"},
        InvalidCase{"a b", "whitespace"}, InvalidCase{"a\tb:1", "whitespace"},
        InvalidCase{"a..b", "single separators"}, InvalidCase{"-a", "single separators"},
        InvalidCase{"a_", "single separators"}, InvalidCase{"a___b", "single separators"},
        InvalidCase{"-host.com/a", "registry host \"-host.com\""},
        InvalidCase{"host-.com/a", "registry host"}, InvalidCase{"host:port/a", "registry host"},
        InvalidCase{"host:/a", "registry host"}, InvalidCase{"[::1/a", "registry host"},
        InvalidCase{std::string(256, 'a'), "at most 255"}));

TEST(ImageRefTest, WithTagKeepsTheWrittenFormAndReplacesTheDigest) {
  Result<ImageRef> ref = ImageRef::Parse("docker.io/nginx:1.0@" + kSha);
  ASSERT_TRUE(ref.has_value());
  std::string other = "sha256:" + std::string(64, 'b');
  EXPECT_EQ(ref->WithTag("1.1", other).String(), "docker.io/nginx:1.1@" + other);
  EXPECT_EQ(ref->WithTag("1.1").String(), "docker.io/nginx:1.1");
}

TEST(ImageRefTest, WithTagAddsATagWhereNoneWasWritten) {
  Result<ImageRef> ref = ImageRef::Parse("localhost:5000/app");
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(ref->WithTag("v2").String(), "localhost:5000/app:v2");
}

TEST(ImageRefTest, DockerHubSpellingsShareOneCanonicalName) {
  for (const char* text :
       {"nginx", "docker.io/nginx", "index.docker.io/library/nginx", "library/nginx"}) {
    Result<ImageRef> ref = ImageRef::Parse(text);
    ASSERT_TRUE(ref.has_value()) << text;
    EXPECT_TRUE(ref->IsDockerHub()) << text;
    EXPECT_EQ(ref->CanonicalName(), "docker.io/library/nginx") << text;
    EXPECT_EQ(ref->CanonicalDomain(), "docker.io") << text;
  }
  Result<ImageRef> other = ImageRef::Parse("localhost/nginx");
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(other->IsDockerHub());
}

TEST(ImageRefTest, DigestValidation) {
  EXPECT_TRUE(IsValidDigest(kSha));
  EXPECT_TRUE(IsValidDigest("sha512:" + std::string(128, '0')));
  EXPECT_FALSE(IsValidDigest("sha512:" + std::string(64, '0')));
  EXPECT_TRUE(IsValidDigest("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"));
  EXPECT_FALSE(IsValidDigest(":abc"));
  EXPECT_FALSE(IsValidDigest("sha256"));
}

}  // namespace
}  // namespace tagflow::image
