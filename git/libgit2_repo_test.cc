// The libgit2 GitRepo against real servers on 127.0.0.1: a local bare repo,
// git daemon, sshd, and git http-backend with Basic auth.
#include "git/libgit2_repo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "test/support/git_server.h"
#include "test/support/process.h"

namespace tagflow::git {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using tagflow::testing::CreateBareRepo;
using tagflow::testing::GenerateSshKey;
using tagflow::testing::GitDaemon;
using tagflow::testing::GitHttpServer;
using tagflow::testing::GitOutput;
using tagflow::testing::GitRevParse;
using tagflow::testing::ReadFile;
using tagflow::testing::SilentServer;
using tagflow::testing::SshServer;
using tagflow::testing::TempDir;
using tagflow::testing::WriteFile;
using ::testing::HasSubstr;

constexpr const char* kManifest = "kind: Deployment\nimage: example.com/app:1.0 # pinned\n";
constexpr const char* kUpdated = "kind: Deployment\nimage: example.com/app:1.1 # pinned\n";

class GitRepoTest : public ::testing::Test {
 protected:
  // One seeded repository per suite, copied for each test (git is slow to
  // start on a loaded machine).
  static void SetUpTestSuite() {
    template_ = new TempDir;
    template_seed_ = new std::string(CreateBareRepo(
        template_->path() / "repo.git", {{"apps/app.yaml", kManifest}, {"README.md", "hello\n"}}));
  }
  static void TearDownTestSuite() {
    delete template_;
    delete template_seed_;
  }

  void SetUp() override {
    root_ = dir_.path() / "srv";
    bare_ = root_ / "repo.git";
    fs::create_directories(root_);
    fs::copy(template_->path() / "repo.git", bare_, fs::copy_options::recursive);
    seed_ = *template_seed_;
    ASSERT_EQ(seed_.size(), 40u);
  }

  GitOptions Options(std::string url) {
    GitOptions options;
    options.url = std::move(url);
    options.workdir = dir_.path() / ("clone" + std::to_string(clones_++));
    options.timeout = 10s;
    return options;
  }

  GitOptions SshOptions(const SshServer& server, std::string url) {
    GitOptions options = Options(std::move(url));
    options.ssh_key_path = server.client_key();
    options.known_hosts_path = server.known_hosts();
    return options;
  }

  std::unique_ptr<GitRepo> Open(const GitOptions& options) {
    auto repo = OpenGitRepo(options);
    EXPECT_TRUE(repo) << repo.error().message;
    return repo ? std::move(*repo) : nullptr;
  }

  // Sync, edit, commit, push and tag; checks the remote after each step.
  void ExpectRoundTrip(const GitOptions& options) {
    auto repo = Open(options);
    ASSERT_TRUE(repo);
    auto head = repo->Sync();
    ASSERT_TRUE(head) << head.error().message;
    EXPECT_EQ(*head, seed_);
    EXPECT_EQ(repo->Head(), seed_);
    EXPECT_EQ(ReadFile(repo->WorkTree() / "apps/app.yaml"), kManifest);

    WriteFile(repo->WorkTree() / "apps/app.yaml", kUpdated);
    auto commit = repo->Commit({"apps/app.yaml"}, "Auto-release example.com/app:1.1");
    ASSERT_TRUE(commit) << commit.error().message;
    EXPECT_EQ(GitRevParse(bare_, "master"), seed_);  // not pushed yet
    auto pushed = repo->Push();
    ASSERT_TRUE(pushed) << pushed.error().message;
    EXPECT_EQ(GitRevParse(bare_, "master"), *commit);
    EXPECT_EQ(GitOutput(bare_, "log -1 --format='%an <%ae>|%cn <%ce>|%B|%P' master"),
              "tagflow <tagflow@localhost>|tagflow <tagflow@localhost>|"
              "Auto-release example.com/app:1.1\n|" +
                  seed_ + "\n");
    EXPECT_EQ(GitOutput(bare_, "show master:apps/app.yaml"), kUpdated);

    auto moved = repo->MoveTag("flux-sync", *commit);
    ASSERT_TRUE(moved) << moved.error().message;
    EXPECT_TRUE(*moved);
    EXPECT_EQ(GitRevParse(bare_, "flux-sync"), *commit);
    EXPECT_EQ(GitOutput(bare_, "cat-file -t flux-sync"), "tag\n");
    auto again = repo->MoveTag("flux-sync", *commit);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_FALSE(*again);
  }

  static inline TempDir* template_ = nullptr;
  static inline std::string* template_seed_ = nullptr;
  TempDir dir_;
  fs::path root_, bare_;
  std::string seed_;
  int clones_ = 0;
};

TEST_F(GitRepoTest, RoundTripOverLocalPath) { ExpectRoundTrip(Options(bare_.string())); }

TEST_F(GitRepoTest, RoundTripOverFileUrl) { ExpectRoundTrip(Options("file://" + bare_.string())); }

TEST_F(GitRepoTest, RoundTripOverGitDaemon) {
  GitDaemon daemon(root_);
  ExpectRoundTrip(Options(daemon.Url("repo.git")));
}

TEST_F(GitRepoTest, RoundTripOverSsh) {
  SshServer server;
  ExpectRoundTrip(SshOptions(server, server.Url(bare_)));
}

TEST_F(GitRepoTest, RoundTripOverScpLikeUrlWithHashedKnownHosts) {
  SshServer server;
  GitOptions options = SshOptions(server, server.ScpUrl(bare_));
  options.known_hosts_path = server.hashed_known_hosts();
  ExpectRoundTrip(options);
}

TEST_F(GitRepoTest, RoundTripOverHttpWithCredentialsInUrl) {
  GitHttpServer server(root_, "bot@corp", "p@ss:w0rd/%");
  std::string url = server.Url("repo.git");
  url.insert(url.find("//") + 2, "bot%40corp:p%40ss%3Aw0rd%2F%25@");
  ExpectRoundTrip(Options(url));
}

TEST_F(GitRepoTest, RoundTripOverHttpWithPasswordFile) {
  GitHttpServer server(root_, "git", "t0ken-from-file");
  WriteFile(dir_.path() / "password", "t0ken-from-file\n");
  GitOptions options = Options(server.Url("repo.git"));  // no user: "git"
  options.password_file = dir_.path() / "password";
  ExpectRoundTrip(options);
}

TEST_F(GitRepoTest, HttpTokenAsUserInUrl) {
  GitHttpServer server(root_, "fake-t0ken", "");
  std::string url = server.Url("repo.git");
  auto repo = Open(Options(url.insert(url.find("//") + 2, "fake-t0ken@")));
  EXPECT_EQ(repo->Sync(), seed_);
}

TEST_F(GitRepoTest, WrongHostKeyIsRefusedAndNothingIsPushed) {
  SshServer server;
  GitOptions good = SshOptions(server, server.Url(bare_));
  auto repo = Open(good);
  ASSERT_TRUE(repo->Sync());
  WriteFile(repo->WorkTree() / "apps/app.yaml", kUpdated);
  ASSERT_TRUE(repo->Commit({"apps/app.yaml"}, "change"));

  std::string other_key = GenerateSshKey(dir_.path() / "other_host_key");
  GitOptions bad = good;  // same clone, wrong known_hosts
  bad.known_hosts_path = dir_.path() / "wrong_known_hosts";
  std::string name = "[127.0.0.1]:" + std::to_string(server.port());
  WriteFile(bad.known_hosts_path, name + " " + other_key + "\n");
  auto impostor = Open(bad);
  auto pushed = impostor->Push();
  auto synced = impostor->Sync();
  ASSERT_FALSE(pushed);
  ASSERT_FALSE(synced);
  for (const Error& error : {pushed.error(), synced.error()}) {
    EXPECT_EQ(error.kind, ErrorKind::kUnauthorized);
    EXPECT_NE(error.message.find(server.HostKeyFingerprint()), std::string::npos) << error.message;
    EXPECT_NE(error.message.find(name), std::string::npos) << error.message;
    EXPECT_NE(error.message.find("changed"), std::string::npos) << error.message;
  }
  EXPECT_EQ(GitRevParse(bare_, "master"), seed_);
}

TEST_F(GitRepoTest, UnknownHostKeyIsRefused) {
  SshServer server;
  GitOptions options = SshOptions(server, server.Url(bare_));
  options.known_hosts_path = dir_.path() / "empty_known_hosts";
  WriteFile(options.known_hosts_path, "# nothing here\n");
  auto result = Open(options)->Sync();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(result.error().message.find("unknown"), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find(server.HostKeyFingerprint()), std::string::npos);
}

TEST_F(GitRepoTest, SshWithoutKnownHostsOrKeyIsRefusedUpFront) {
  GitOptions options = Options("ssh://git@127.0.0.1:2222/repo.git");
  options.ssh_key_path = dir_.path() / "key";
  WriteFile(options.ssh_key_path, "key");
  auto repo = OpenGitRepo(options);
  ASSERT_FALSE(repo);
  EXPECT_EQ(repo.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(repo.error().message.find("--git-known-hosts"), std::string::npos);

  options.known_hosts_path = dir_.path() / "key";
  options.ssh_key_path.clear();
  repo = OpenGitRepo(options);
  ASSERT_FALSE(repo);
  EXPECT_NE(repo.error().message.find("--git-ssh-key"), std::string::npos);

  options.ssh_key_path = dir_.path() / "missing";
  repo = OpenGitRepo(options);
  ASSERT_FALSE(repo);
  EXPECT_NE(repo.error().message.find("cannot read"), std::string::npos);
}

TEST_F(GitRepoTest, UnauthorizedSshKeyIsRefused) {
  SshServer server;
  GitOptions options = SshOptions(server, server.Url(bare_));
  options.ssh_key_path = dir_.path() / "stranger";
  GenerateSshKey(options.ssh_key_path);
  auto result = Open(options)->Sync();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::kUnauthorized) << result.error().message;
}

TEST_F(GitRepoTest, NonFastForwardPushIsAConflictAndSyncCatchesUp) {
  GitDaemon daemon(root_);
  auto mine = Open(Options(daemon.Url("repo.git")));
  auto theirs = Open(Options(daemon.Url("repo.git")));
  ASSERT_TRUE(mine->Sync());
  ASSERT_TRUE(theirs->Sync());
  WriteFile(theirs->WorkTree() / "README.md", "theirs\n");
  auto their_commit = theirs->Commit({"README.md"}, "their change");
  ASSERT_TRUE(theirs->Push());

  WriteFile(mine->WorkTree() / "apps/app.yaml", kUpdated);
  ASSERT_TRUE(mine->Commit({"apps/app.yaml"}, "my change"));
  auto pushed = mine->Push();
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().kind, ErrorKind::kConflict) << pushed.error().message;
  EXPECT_EQ(GitRevParse(bare_, "master"), *their_commit);

  EXPECT_EQ(mine->Sync(), *their_commit);
  EXPECT_EQ(ReadFile(mine->WorkTree() / "README.md"), "theirs\n");
  EXPECT_EQ(ReadFile(mine->WorkTree() / "apps/app.yaml"), kManifest);
  WriteFile(mine->WorkTree() / "apps/app.yaml", kUpdated);
  auto replanned = mine->Commit({"apps/app.yaml"}, "my change");
  ASSERT_TRUE(replanned);
  ASSERT_TRUE(mine->Push());
  EXPECT_EQ(GitOutput(bare_, "log --format=%s master"),
            "my change\ntheir change\nInitial commit\n");
}

TEST_F(GitRepoTest, ServerSideRefusalAfterTheBranchMovedIsAConflict) {
  GitDaemon daemon(root_);
  std::string theirs = tagflow::testing::InstallBranchMovingHook(bare_);
  ASSERT_EQ(theirs.size(), 40u);

  auto mine = Open(Options(daemon.Url("repo.git")));
  ASSERT_TRUE(mine->Sync());
  WriteFile(mine->WorkTree() / "apps/app.yaml", kUpdated);
  ASSERT_TRUE(mine->Commit({"apps/app.yaml"}, "my change"));
  auto pushed = mine->Push();
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().kind, ErrorKind::kConflict) << pushed.error().message;
  EXPECT_THAT(pushed.error().message, HasSubstr("moved to " + theirs.substr(0, 12)));
  EXPECT_EQ(GitRevParse(bare_, "master"), theirs);

  // Re-planned on top of the moved branch, the second push lands: both
  // commits, no duplicate, nothing forced.
  EXPECT_EQ(mine->Sync(), theirs);
  WriteFile(mine->WorkTree() / "apps/app.yaml", kUpdated);
  ASSERT_TRUE(mine->Commit({"apps/app.yaml"}, "my change"));
  auto again = mine->Push();
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(GitOutput(bare_, "log --format=%s master"),
            "my change\ntheir change\nInitial commit\n");
}

TEST_F(GitRepoTest, AHookThatDeclinesWithoutMovingTheBranchIsAFailureWithItsMessage) {
  GitDaemon daemon(root_);
  fs::path hook = bare_ / "hooks" / "pre-receive";
  WriteFile(hook, "#!/bin/sh\ncat >/dev/null\necho 'policy: no bots on master' >&2\nexit 1\n");
  fs::permissions(hook, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
  auto mine = Open(Options(daemon.Url("repo.git")));
  ASSERT_TRUE(mine->Sync());
  WriteFile(mine->WorkTree() / "apps/app.yaml", kUpdated);
  ASSERT_TRUE(mine->Commit({"apps/app.yaml"}, "my change"));
  auto pushed = mine->Push();
  ASSERT_FALSE(pushed);
  EXPECT_NE(pushed.error().kind, ErrorKind::kConflict);
  EXPECT_THAT(pushed.error().message, HasSubstr("hook declined"));
  EXPECT_EQ(GitRevParse(bare_, "master"), seed_);
}

TEST_F(GitRepoTest, MoveTagMovesTheRemoteTagOnlyWhenNeeded) {
  auto repo = Open(Options(bare_.string()));
  ASSERT_TRUE(repo->Sync());
  EXPECT_EQ(repo->MoveTag("flux-sync", seed_), true);
  EXPECT_EQ(GitRevParse(bare_, "flux-sync"), seed_);
  EXPECT_EQ(GitOutput(bare_, "tag -l --format='%(contents)|%(taggername)' flux-sync"),
            "Sync pointer\n|tagflow\n");
  EXPECT_EQ(repo->MoveTag("flux-sync", seed_), false);

  WriteFile(repo->WorkTree() / "README.md", "v2\n");
  auto commit = repo->Commit({}, "everything");
  ASSERT_TRUE(commit);
  ASSERT_TRUE(repo->Push());
  EXPECT_EQ(repo->MoveTag("flux-sync", *commit), true);
  EXPECT_EQ(GitRevParse(bare_, "flux-sync"), *commit);
  EXPECT_EQ(GitRevParse(bare_, "master"), *commit);  // the branch is untouched by the tag push

  EXPECT_EQ(repo->MoveTag("bad..name", *commit).error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(repo->MoveTag("flux-sync", std::string(40, 'a')).error().kind, ErrorKind::kNotFound);
}

TEST_F(GitRepoTest, SyncDiscardsLocalStateAndHeadFollowsCommits) {
  auto repo = Open(Options(bare_.string()));
  EXPECT_EQ(repo->Head().error().kind, ErrorKind::kNotFound);
  ASSERT_TRUE(repo->Sync());
  WriteFile(repo->WorkTree() / "apps/app.yaml", "garbage");
  WriteFile(repo->WorkTree() / "untracked/new.yaml", "x");
  auto local = repo->Commit({"apps/app.yaml"}, "local only");
  ASSERT_TRUE(local);
  EXPECT_EQ(repo->Head(), *local);
  EXPECT_EQ(repo->Sync(), seed_);
  EXPECT_EQ(repo->Head(), seed_);
  EXPECT_EQ(ReadFile(repo->WorkTree() / "apps/app.yaml"), kManifest);
  EXPECT_FALSE(fs::exists(repo->WorkTree() / "untracked"));

  auto reopened = Open([&] {  // a reopened clone reuses the directory
    GitOptions options = Options(bare_.string());
    options.workdir = repo->WorkTree();
    return options;
  }());
  EXPECT_EQ(reopened->Head(), seed_);
}

TEST_F(GitRepoTest, AfterReleasingCachesEverythingStillWorks) {
  auto repo = Open(Options(bare_.string()));
  ASSERT_TRUE(repo->Sync());
  ASSERT_NE(repo->history(), nullptr);
  History* history = repo->history();
  repo->ReleaseCaches();
  EXPECT_EQ(repo->history(), history);  // the same object, on the reopened handle
  auto log = history->Log(seed_, {});
  ASSERT_TRUE(log) << log.error().message;
  EXPECT_FALSE(log->commits.empty());
  WriteFile(repo->WorkTree() / "apps/app.yaml", "changed: true\n");
  auto commit = repo->Commit({"apps/app.yaml"}, "after release");
  ASSERT_TRUE(commit) << commit.error().message;
  repo->ReleaseCaches();
  ASSERT_TRUE(repo->Push());
  repo->ReleaseCaches();
  EXPECT_EQ(repo->Sync(), *commit);
  EXPECT_EQ(repo->Head(), *commit);
  EXPECT_EQ(GitOutput(bare_, "rev-parse master"), *commit + "\n");
}

TEST_F(GitRepoTest, ReleasingCachesWhenTheCloneCannotBeReopenedKeepsTheOpenOne) {
  auto repo = Open(Options(bare_.string()));
  ASSERT_TRUE(repo->Sync());
  fs::path git_dir = repo->WorkTree() / ".git";
  fs::path away = repo->WorkTree().string() + "-git-away";
  fs::rename(git_dir, away);
  repo->ReleaseCaches();  // cannot reopen: the handle it has stays
  fs::rename(away, git_dir);
  EXPECT_EQ(repo->Head(), seed_);
  WriteFile(repo->WorkTree() / "apps/app.yaml", "changed: true\n");
  auto commit = repo->Commit({"apps/app.yaml"}, "after a failed release");
  ASSERT_TRUE(commit) << commit.error().message;
  ASSERT_TRUE(repo->Push());
  EXPECT_EQ(GitOutput(bare_, "rev-parse master"), *commit + "\n");
}

TEST_F(GitRepoTest, CommitRefusesNothingAndPathsOutsideTheTree) {
  auto repo = Open(Options(bare_.string()));
  ASSERT_TRUE(repo->Sync());
  EXPECT_EQ(repo->Commit({"apps/app.yaml"}, "same").error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(repo->Commit({}, "same").error().kind, ErrorKind::kInvalidInput);
  for (std::string path : {"../x", "/etc/passwd", ".git/config", ""}) {
    EXPECT_EQ(repo->Commit({path}, "bad").error().kind, ErrorKind::kInvalidInput) << path;
  }
  fs::remove(repo->WorkTree() / "README.md");
  auto deletion = repo->Commit({"README.md"}, "delete");
  ASSERT_TRUE(deletion);
  ASSERT_TRUE(repo->Push());
  EXPECT_EQ(GitOutput(bare_, "ls-tree -r --name-only master"), "apps/app.yaml\n");
}

TEST_F(GitRepoTest, MissingBranchOrRepositoryIsNotFound) {
  GitOptions options = Options(bare_.string());
  options.branch = "production";
  auto result = Open(options)->Sync();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::kNotFound) << result.error().message;

  auto no_repo = Open(Options((root_ / "missing.git").string()))->Sync();
  ASSERT_FALSE(no_repo);
  EXPECT_EQ(no_repo.error().kind, ErrorKind::kNotFound) << no_repo.error().message;
}

TEST_F(GitRepoTest, OpenRefusesBadOptions) {
  WriteFile(dir_.path() / "occupied/file", "mine");
  GitOptions options = Options(bare_.string());
  options.workdir = dir_.path() / "occupied";
  EXPECT_EQ(OpenGitRepo(options).error().kind, ErrorKind::kInvalidInput);
  options = Options(bare_.string());
  options.branch = "bad..branch";
  EXPECT_EQ(OpenGitRepo(options).error().kind, ErrorKind::kInvalidInput);
  options = Options("ftp://example.com/repo");
  EXPECT_EQ(OpenGitRepo(options).error().kind, ErrorKind::kInvalidInput);
}

TEST_F(GitRepoTest, TemporaryWorkdirIsRemovedOnClose) {
  GitOptions options = Options(bare_.string());
  options.workdir.clear();
  auto repo = Open(options);
  ASSERT_TRUE(repo->Sync());
  fs::path tree = repo->WorkTree();
  EXPECT_TRUE(fs::exists(tree / "apps/app.yaml"));
  repo.reset();
  EXPECT_FALSE(fs::exists(tree));
}

TEST(RemoveStaleClonesTest, RemovesOnlyClonesOfDeadProcesses) {
  TempDir dir;
  pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);  // `child` is now a pid without a process
  fs::path dead = dir.path() / ("tagflow-git-" + std::to_string(child) + "-abc123");
  fs::path live = dir.path() / ("tagflow-git-" + std::to_string(getpid()) + "-def456");
  fs::path old_style = dir.path() / "tagflow-git-Xy12Zq";
  fs::path other = dir.path() / "unrelated";
  fs::path target = dir.path() / "target";
  for (const fs::path& p : {dead, live, old_style, other, target}) {
    WriteFile(p / "file", "x");
  }
  fs::create_directory_symlink(target,
                               dir.path() / ("tagflow-git-" + std::to_string(child) + "-lnk"));

  EXPECT_EQ(RemoveStaleClones(dir.path()), 1u);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(live / "file"));
  EXPECT_TRUE(fs::exists(old_style / "file"));
  EXPECT_TRUE(fs::exists(other / "file"));
  EXPECT_TRUE(fs::exists(target / "file"));  // a symlink is never followed
}

TEST_F(GitRepoTest, PasswordsNeverAppearInErrors) {
  const std::string secret = "Wr0ng-S3cret!";
  GitHttpServer server(root_, "bot", "right");
  std::string base = server.Url("repo.git");
  auto with_userinfo = [&](const std::string& url, const std::string& userinfo) {
    std::string out = url;
    return out.insert(out.find("//") + 2, userinfo + "@");
  };
  WriteFile(dir_.path() / "wrong_password", secret + "\n");
  GitOptions from_file = Options(with_userinfo(base, "bot"));
  from_file.password_file = dir_.path() / "wrong_password";
  std::string closed = "http://127.0.0.1:" + std::to_string(tagflow::testing::FreePort()) + "/r";
  std::vector<std::pair<GitOptions, ErrorKind>> cases = {
      {Options(with_userinfo(base, "bot:Wr0ng-S3cret%21")), ErrorKind::kUnauthorized},
      {from_file, ErrorKind::kUnauthorized},
      {Options(with_userinfo(closed, "bot:Wr0ng-S3cret%21")), ErrorKind::kTransient},
      {Options(with_userinfo(base, secret)), ErrorKind::kUnauthorized},  // token as user
  };
  for (auto& [options, kind] : cases) {
    auto repo = Open(options);
    auto result = repo->Sync();
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind, kind) << result.error().message;
    EXPECT_EQ(result.error().message.find("Wr0ng-S3cret"), std::string::npos)
        << result.error().message;
  }
  GitOptions anonymous = Options(base);
  auto result = Open(anonymous)->Sync();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(result.error().message.find("--git-password-file"), std::string::npos);
}

// Each URL points at a server that accepts connections and never answers.
TEST_F(GitRepoTest, TimeoutBoundsSilentServers) {
  SilentServer silent;
  std::string port = std::to_string(silent.port());
  WriteFile(dir_.path() / "key", "unused");
  for (std::string url :
       {"git://127.0.0.1:" + port + "/repo.git", "http://127.0.0.1:" + port + "/repo.git",
        "ssh://git@127.0.0.1:" + port + "/repo.git"}) {
    GitOptions options = Options(url);
    options.timeout = 1s;
    options.ssh_key_path = options.known_hosts_path = dir_.path() / "key";
    auto repo = Open(options);
    auto start = std::chrono::steady_clock::now();
    auto result = repo->Sync();
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(result) << url;
    EXPECT_EQ(result.error().kind, ErrorKind::kTransient) << result.error().message;
    EXPECT_NE(result.error().message.find("timed out"), std::string::npos)
        << result.error().message;
    EXPECT_LT(took, 3s) << url;
    EXPECT_GE(took, 900ms) << url;
  }
}

}  // namespace
}  // namespace tagflow::git
