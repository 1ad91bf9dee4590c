// Issue 13 end to end over `git daemon`: commits and sync tags signed with
// GPG (a key generated here by `gpg`) or SSH (`ssh-keygen`), checked by
// Debian's `git verify-commit` / `git verify-tag`; verified heads; and
// rollbacks respected, with the real registry.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test/e2e/e2e_fixture.h"
#include "test/support/gpg_key.h"

namespace tagflow::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class SigningE2eTest : public E2eTest {
 protected:
  std::filesystem::path WebRepo() {
    return MakeRepo({{"apps/web.yaml", Deployment("web", web_ + ":v1", kAutomated)}});
  }
  std::vector<std::string> Once(const std::string& url, std::vector<std::string> extra) {
    return DaemonFlags(url) + std::vector<std::string>{"--once"} + extra;
  }
  // `git <args>` in the bare repo; exit code, output in *out.
  int Git(const std::filesystem::path& repo, const std::string& prefix, const std::string& args,
          std::string* out) {
    return RunShell(prefix + "git --git-dir " + ShellQuote(repo.string()) + " " + args, out);
  }
};

TEST_F(SigningE2eTest, GpgSignedCommitAndSyncTagPassGitVerify) {
  GpgTestKey key("tagflow", "tagflow@localhost");
  auto repo = WebRepo();
  GitDaemon daemon(repos());
  RunResult r = Tagflow(
      Once(daemon.Url("manifests.git"), {"--git-gpg-key-import", key.secret_key_file().string(),
                                         "--git-signing-key", key.fingerprint()}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Show(repo, "apps/web.yaml"), Deployment("web", web_ + ":v2", kAutomated));
  std::string out;
  EXPECT_EQ(Git(repo, key.Env(), "verify-commit master", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("Good signature from \"tagflow <tagflow@localhost>\""));
  EXPECT_EQ(Git(repo, key.Env(), "verify-tag flux-sync", &out), 0) << out;
  EXPECT_EQ(GitRevParse(repo, "flux-sync^{commit}"), GitRevParse(repo, "master"));
  // The secret key file's contents never reach the log.
  EXPECT_THAT(r.output, Not(HasSubstr("PRIVATE KEY")));
}

TEST_F(SigningE2eTest, SshSignedCommitAndSyncTagPassGitVerifyWithAllowedSigners) {
  auto key = scratch_.path() / "signing_key";
  std::string pub = GenerateSshKey(key);
  auto allowed = scratch_.path() / "allowed_signers";
  WriteFile(allowed, "tagflow@localhost " + pub + "\n");
  auto repo = WebRepo();
  GitDaemon daemon(repos());
  RunResult r = Tagflow(Once(daemon.Url("manifests.git"),
                             {"--git-signing-format", "ssh", "--git-signing-key", key.string()}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string config = "-c gpg.ssh.allowedSignersFile=" + ShellQuote(allowed.string()) + " ";
  std::string out;
  EXPECT_EQ(Git(repo, "", config + "verify-commit master", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("Good \"git\" signature for tagflow@localhost"));
  EXPECT_EQ(Git(repo, "", config + "verify-tag flux-sync", &out), 0) << out;
}

TEST_F(SigningE2eTest, BadSigningKeysAreUsageErrorsNamingTheFlag) {
  auto repo = WebRepo();
  GpgTestKey key("tagflow", "tagflow@localhost");
  RunResult unknown = Tagflow(
      Once("file://" + repo.string(), {"--git-gpg-key-import", key.public_key_file().string(),
                                       "--git-signing-key", key.fingerprint()}));
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_THAT(unknown.output, HasSubstr("--git-signing-key"));
  RunResult missing =
      Tagflow(Once("file://" + repo.string(), {"--git-gpg-key-import", "/nonexistent/key.asc"}));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.output, HasSubstr("--git-gpg-key-import /nonexistent/key.asc"));
  RunResult ssh =
      Tagflow(Once("file://" + repo.string(), {"--git-signing-format", "ssh", "--git-signing-key",
                                               (scratch_.path() / "absent").string()}));
  EXPECT_EQ(ssh.exit_code, 2);
  EXPECT_THAT(ssh.output, HasSubstr("--git-signing-key"));
  RunResult nokeys = Tagflow(Once("file://" + repo.string(), {"--git-verify-signatures"}));
  EXPECT_EQ(nokeys.exit_code, 2);
  EXPECT_THAT(nokeys.output, HasSubstr("--git-allowed-signers"));
  EXPECT_EQ(Log(repo).size(), 1u);  // nothing pushed by any of them
}

TEST_F(SigningE2eTest, UnsignedHumanCommitOnTopIsNotActedOn) {
  GpgTestKey bot("tagflow", "tagflow@localhost");
  GpgTestKey dev("Jane", "jane@example.com");
  auto repo = WebRepo();
  GitDaemon daemon(repos());
  const std::string url = daemon.Url("manifests.git");
  // tagflow signs its commits and trusts its own key and Jane's.
  std::vector<std::string> signing = {
      "--git-gpg-key-import", bot.secret_key_file().string() + "," + dev.public_key_file().string(),
      "--git-signing-key", bot.fingerprint(), "--git-verify-signatures"};
  // First run, no sync tag yet: the head (the seed commit) is unsigned.
  RunResult seed = Tagflow(Once(url, signing));
  EXPECT_EQ(seed.exit_code, 1) << seed.output;
  EXPECT_THAT(seed.output, HasSubstr("unsigned"));
  EXPECT_EQ(Log(repo).size(), 1u);
  EXPECT_EQ(GitRevParse(repo, "flux-sync"), "");
  // Without verification tagflow releases (signed) and tags.
  ASSERT_EQ(Tagflow(Once(url, {signing.begin(), signing.end() - 1})).exit_code, 0);
  ASSERT_EQ(Show(repo, "apps/web.yaml"), Deployment("web", web_ + ":v2", kAutomated));
  std::string tagged = GitRevParse(repo, "flux-sync^{commit}");

  // A person pushes an unsigned commit; a newer image appears.
  PushChange(repo, {{"README.md", "# hello\n"}}, "Add a readme");
  std::string human = GitRevParse(repo, "master");
  registry_.PushImage("team/web", "v3", {.created = Day(3)});
  size_t told = slack_.RequestCount();
  RunResult refused = Tagflow(Once(url, signing));
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr(human.substr(0, 12)));
  EXPECT_THAT(refused.output, HasSubstr("unsigned"));
  EXPECT_EQ(GitRevParse(repo, "master"), human) << "nothing pushed";
  EXPECT_EQ(GitRevParse(repo, "flux-sync^{commit}"), tagged) << "the sync tag stays";
  ASSERT_TRUE(slack_.WaitForRequests(told + 1, std::chrono::seconds(10)));
  EXPECT_THAT(slack_.Requests()[told].body, HasSubstr(human.substr(0, 12)));

  // Jane signs a commit on top: "all" still refuses the unsigned one below.
  auto clone = scratch_.path() / "jane";
  std::string out;
  ASSERT_EQ(
      RunShell("git clone -q " + ShellQuote(repo.string()) + " " + ShellQuote(clone.string()) +
                   " && cd " + ShellQuote(clone.string()) +
                   " && echo more >> README.md && git add -A && " + dev.Env() +
                   "git -c user.name=Jane -c user.email=jane@example.com -c commit.gpgsign=true "
                   "-c user.signingkey=" +
                   dev.fingerprint() + " commit -qm 'Signed by Jane' && git push -q",
               &out),
      0)
      << out;
  RunResult still = Tagflow(Once(url, signing));
  EXPECT_EQ(still.exit_code, 1) << still.output;
  EXPECT_THAT(still.output, HasSubstr(human.substr(0, 12)));
  // first-parent checks the same line here (no merges): refused too; with
  // the unsigned commit reviewed and the tag moved past it, tagflow acts.
  ASSERT_EQ(RunShell(bot.Env() + "git --git-dir " + ShellQuote(repo.string()) +
                         " -c user.name=ops -c user.email=ops@localhost tag -f -s -u " +
                         bot.fingerprint() + " -m 'Sync pointer' flux-sync " + human,
                     &out),
            0)
      << out;
  RunResult accepted = Tagflow(Once(url, signing));
  EXPECT_EQ(accepted.exit_code, 0) << accepted.output;
  EXPECT_EQ(Show(repo, "apps/web.yaml"), Deployment("web", web_ + ":v3", kAutomated));
}

class RollbackE2eTest : public E2eTest {
 protected:
  RollbackE2eTest() {
    app_ = registry_.host() + "/team/app";
    registry_.PushImage("team/app", "v1.2.0", {.created = Day(1)});
    registry_.PushImage("team/app", "v1.3.0", {.created = Day(2)});
  }
  std::string App(const std::string& tag) {
    return Deployment("app", app_ + ":" + tag,
                      kAutomated + std::string("    fluxcd.io/tag.app: semver:~1\n"));
  }
  std::string app_;
};

TEST_F(RollbackE2eTest, AHumanRollbackIsHeldUntilANewerTag) {
  auto repo = MakeRepo({{"apps/app.yaml", App("v1.2.0")}});
  GitDaemon daemon(repos());
  auto once = DaemonFlags(daemon.Url("manifests.git")) + std::vector<std::string>{"--once"};
  RunResult released = Tagflow(once);
  ASSERT_EQ(released.exit_code, 0) << released.output;
  ASSERT_EQ(Show(repo, "apps/app.yaml"), App("v1.3.0"));

  PushChange(repo, {{"apps/app.yaml", App("v1.2.0")}}, "Roll app back to v1.2.0");
  std::string rollback = GitRevParse(repo, "master");
  for (int i = 0; i < 2; ++i) {
    RunResult held = Tagflow(once);
    EXPECT_EQ(held.exit_code, 0) << held.output;
    EXPECT_THAT(held.output, HasSubstr("rollback"));
    EXPECT_EQ(Show(repo, "apps/app.yaml"), App("v1.2.0"));
    EXPECT_EQ(GitRevParse(repo, "master"), rollback);
  }
  ASSERT_TRUE(slack_.WaitForRequests(2, std::chrono::seconds(10)));
  std::string told;
  for (const auto& req : slack_.Requests()) told += req.body;
  EXPECT_THAT(told, HasSubstr("rollback of default:deployment/app from v1.3.0 to v1.2.0 detected; "
                              "holding until a tag newer than v1.3.0"));

  // list-images marks the held tag (tab) and names the rollback (JSON).
  RunResult tab = Tagflow({"list-images", "--git-url", daemon.Url("manifests.git"),
                           "--registry-insecure-host", registry_.host(), "--cache-dir", ""});
  ASSERT_EQ(tab.exit_code, 0) << tab.output;
  EXPECT_THAT(tab.output, HasSubstr("v1.3.0 (held: rolled back)"));
  EXPECT_THAT(tab.output, HasSubstr("'-> v1.2.0"));
  RunResult json =
      Tagflow({"list-images", "--git-url", daemon.Url("manifests.git"), "--registry-insecure-host",
               registry_.host(), "--cache-dir", "", "-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  nlohmann::json doc = nlohmann::json::parse(json.output);
  const nlohmann::json& c = doc.at(0).at("Containers").at(0);
  EXPECT_EQ(c["Rollback"]["From"], "v1.3.0");
  EXPECT_EQ(c["Rollback"]["To"], "v1.2.0");
  EXPECT_EQ(c["Rollback"]["Commit"], rollback);
  EXPECT_EQ(c["Available"][0]["ID"], app_ + ":v1.3.0");
  EXPECT_EQ(c["Available"][0]["Held"], true);
  EXPECT_FALSE(c["Available"][1].contains("Held"));

  registry_.PushImage("team/app", "v1.4.0", {.created = Day(3)});
  RunResult moved = Tagflow(once);
  ASSERT_EQ(moved.exit_code, 0) << moved.output;
  EXPECT_EQ(Show(repo, "apps/app.yaml"), App("v1.4.0"));
}

TEST_F(RollbackE2eTest, WithRespectRollbacksFalseTheRolledBackTagComesBack) {
  auto repo = MakeRepo({{"apps/app.yaml", App("v1.2.0")}});
  GitDaemon daemon(repos());
  auto once = DaemonFlags(daemon.Url("manifests.git")) +
              std::vector<std::string>{"--once", "--respect-rollbacks=false"};
  ASSERT_EQ(Tagflow(once).exit_code, 0);
  PushChange(repo, {{"apps/app.yaml", App("v1.2.0")}}, "Roll app back to v1.2.0");
  RunResult again = Tagflow(once);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(Show(repo, "apps/app.yaml"), App("v1.3.0"));
}

}  // namespace
}  // namespace tagflow::testing
