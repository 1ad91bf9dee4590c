#include "notify/links.h"

#include <gtest/gtest.h>

namespace tagflow::notify {
namespace {

constexpr char kSha[] = "0123456789abcdef0123456789abcdef01234567";

TEST(LinksTest, GitHubUrlsInEveryFormMapToTheCommitPage) {
  for (const char* url :
       {"ssh://git@github.com/org/repo.git", "git@github.com:org/repo.git", "github.com:org/repo",
        "https://github.com/org/repo.git", "https://x-access-token:s3cret@github.com/org/repo",
        "https://github.com/org/repo/", "ssh://git@github.com:22/org/repo.git"}) {
    EXPECT_EQ(CommitWebUrl(RepoWebUrl(url, ""), kSha),
              std::string("https://github.com/org/repo/commit/") + kSha)
        << url;
  }
}

TEST(LinksTest, EachForgeHasItsCommitPath) {
  EXPECT_EQ(CommitWebUrl(RepoWebUrl("git@gitlab.com:group/sub/repo.git", ""), "abc"),
            "https://gitlab.com/group/sub/repo/-/commit/abc");
  EXPECT_EQ(CommitWebUrl(RepoWebUrl("git@bitbucket.org:team/repo.git", ""), "abc"),
            "https://bitbucket.org/team/repo/commits/abc");
  EXPECT_EQ(CommitWebUrl(RepoWebUrl("https://codeberg.org/me/repo.git", ""), "abc"),
            "https://codeberg.org/me/repo/commit/abc");
  EXPECT_EQ(CommitWebUrl(RepoWebUrl("ssh://git@gitea.example.com:2222/ops/fleet.git", ""), "abc"),
            "https://gitea.example.com/ops/fleet/commit/abc")
      << "an ssh port is not the web port";
  EXPECT_EQ(CommitWebUrl(RepoWebUrl("https://gitlab.internal:8443/ops/fleet.git", ""), "abc"),
            "https://gitlab.internal:8443/ops/fleet/-/commit/abc");
}

TEST(LinksTest, UnknownHostHasNoLinkUnlessTheWebUrlIsGiven) {
  EXPECT_EQ(RepoWebUrl("ssh://git@git.corp.example/ops/fleet.git", ""), "");
  EXPECT_EQ(RepoWebUrl("file:///srv/git/fleet.git", ""), "");
  EXPECT_EQ(CommitWebUrl("", kSha), "");
  std::string web = RepoWebUrl("ssh://git@git.corp.example/ops/fleet.git",
                               "https://code.corp.example/ops/fleet/");
  EXPECT_EQ(web, "https://code.corp.example/ops/fleet");
  EXPECT_EQ(CommitWebUrl(web, "abc"), "https://code.corp.example/ops/fleet/commit/abc");
  EXPECT_EQ(CommitWebUrl(RepoWebUrl("file:///x", "https://gitlab.corp.example/ops/fleet"), "abc"),
            "https://gitlab.corp.example/ops/fleet/-/commit/abc");
}

TEST(LinksTest, NeverKeepsUserinfo) {
  EXPECT_EQ(RepoWebUrl("https://bot:pa55@github.com/org/repo.git", ""),
            "https://github.com/org/repo");
  EXPECT_EQ(RepoWebUrl("file:///x", "https://user:pw@github.example/org/repo"),
            "https://github.example/org/repo");
}

}  // namespace
}  // namespace tagflow::notify
