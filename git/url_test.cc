#include "git/url.h"

#include <gtest/gtest.h>

namespace tagflow::git {
namespace {

using Transport = GitUrl::Transport;

GitUrl Parse(std::string_view text) {
  auto url = ParseGitUrl(text);
  EXPECT_TRUE(url) << text << ": " << (url ? "" : url.error().message);
  return url.value_or(GitUrl{});
}

TEST(ParseGitUrlTest, LocalPathsAndFileUrls) {
  for (std::string_view text : {"/srv/repo.git", "./repo", "../x:y/repo", "repo"}) {
    GitUrl url = Parse(text);
    EXPECT_EQ(url.transport, Transport::kLocal) << text;
    EXPECT_EQ(url.path, text);
    EXPECT_EQ(url.ForLibgit2(), text);
  }
  GitUrl file = Parse("file:///srv/my%20repo.git");
  EXPECT_EQ(file.transport, Transport::kLocal);
  EXPECT_EQ(file.path, "/srv/my repo.git");
  EXPECT_FALSE(ParseGitUrl("file://relative"));
}

TEST(ParseGitUrlTest, SchemesAndDefaultPorts) {
  GitUrl git = Parse("git://example.com/repo.git");
  EXPECT_EQ(git.transport, Transport::kGit);
  EXPECT_EQ(git.port, 9418);
  EXPECT_EQ(git.ForLibgit2(), "git://example.com/repo.git");

  GitUrl ssh = Parse("ssh://git@example.com:2222/org/repo.git");
  EXPECT_EQ(ssh.transport, Transport::kSsh);
  EXPECT_EQ(ssh.user, "git");
  EXPECT_EQ(ssh.host, "example.com");
  EXPECT_EQ(ssh.port, 2222);
  EXPECT_EQ(ssh.path, "/org/repo.git");
  EXPECT_EQ(ssh.ForLibgit2(), "ssh://git@example.com:2222/org/repo.git");
  EXPECT_EQ(Parse("git+ssh://h/r").transport, Transport::kSsh);

  GitUrl https = Parse("HTTPS://example.com/r.git");
  EXPECT_EQ(https.transport, Transport::kHttps);
  EXPECT_EQ(https.port, 443);
  EXPECT_EQ(Parse("http://[::1]:8080/r").host, "::1");
  EXPECT_EQ(Parse("http://[::1]:8080/r").ForLibgit2(), "http://[::1]:8080/r");
}

TEST(ParseGitUrlTest, HttpCredentialsAreDecodedAndKeptOutOfLibgit2) {
  GitUrl url = Parse("https://bot%40corp:p%3Ass%40w0rd@example.com/r.git");
  EXPECT_EQ(url.user, "bot@corp");
  EXPECT_TRUE(url.has_password);
  EXPECT_EQ(url.password, "p:ss@w0rd");
  EXPECT_EQ(url.userinfo, "bot%40corp:p%3Ass%40w0rd");
  EXPECT_EQ(url.ForLibgit2(), "https://example.com/r.git");
  GitUrl token = Parse("https://fake-token@example.com/r.git");
  EXPECT_EQ(token.user, "fake-token");
  EXPECT_FALSE(token.has_password);
}

TEST(ParseGitUrlTest, ScpLike) {
  GitUrl url = Parse("git@github.com:org/repo.git");
  EXPECT_EQ(url.transport, Transport::kSsh);
  EXPECT_TRUE(url.scp_like);
  EXPECT_EQ(url.user, "git");
  EXPECT_EQ(url.host, "github.com");
  EXPECT_EQ(url.port, 22);
  EXPECT_EQ(url.path, "~/org/repo.git");
  EXPECT_EQ(url.ForLibgit2(), "ssh://git@github.com/~/org/repo.git");

  GitUrl ported = Parse("me@[127.0.0.1:2222]:/srv/repo.git");
  EXPECT_EQ(ported.user, "me");
  EXPECT_EQ(ported.host, "127.0.0.1");
  EXPECT_EQ(ported.port, 2222);
  EXPECT_EQ(ported.ForLibgit2(), "ssh://me@127.0.0.1:2222/srv/repo.git");

  GitUrl no_user = Parse("host:~alice/repo");
  EXPECT_EQ(no_user.user, "");
  EXPECT_EQ(no_user.path, "~alice/repo");
}

TEST(ParseGitUrlTest, RejectsBadUrlsWithoutEchoingSecrets) {
  for (std::string_view text : {"", "ftp://h/r", "https://user:hunter2@host:99999/r",
                                "https://user:hunter2@/r", "git@:repo", "git@host:"}) {
    auto url = ParseGitUrl(text);
    ASSERT_FALSE(url) << text;
    EXPECT_EQ(url.error().kind, ErrorKind::kInvalidInput);
    EXPECT_EQ(url.error().message.find("hunter2"), std::string::npos) << url.error().message;
  }
}

TEST(RedactUrlTest, HidesUserinfoOfHttpAndPasswordsOfSsh) {
  EXPECT_EQ(RedactUrl("https://user:pw@example.com/r.git"), "https://***@example.com/r.git");
  EXPECT_EQ(RedactUrl("https://token@example.com/r.git"), "https://***@example.com/r.git");
  EXPECT_EQ(RedactUrl("http://u:p@h"), "http://***@h");
  EXPECT_EQ(RedactUrl("https://example.com/a@b"), "https://example.com/a@b");
  EXPECT_EQ(RedactUrl("ssh://git@example.com/r"), "ssh://git@example.com/r");
  EXPECT_EQ(RedactUrl("ssh://git:pw@example.com/r"), "ssh://git:***@example.com/r");
  EXPECT_EQ(RedactUrl("git@github.com:org/r.git"), "git@github.com:org/r.git");
  EXPECT_EQ(RedactUrl("/srv/repo.git"), "/srv/repo.git");
}

}  // namespace
}  // namespace tagflow::git
