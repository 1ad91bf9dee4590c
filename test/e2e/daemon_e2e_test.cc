// `tagflow daemon` end to end: the real binary, a real registry, real git
// servers and a real HTTP sink standing in for Slack.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <fstream>
#include <regex>

#include "test/e2e/e2e_fixture.h"

namespace tagflow::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class DaemonE2eTest : public E2eTest {
 protected:
  // web automated (glob), api automated with glob:master-*.
  std::filesystem::path StandardRepo(const std::string& name = "manifests.git") {
    return MakeRepo(
        {{"apps/web.yaml", Deployment("web", web_ + ":v1", kAutomated)},
         {"apps/api.yaml",
          Deployment("api", api_ + ":master-a",
                     kAutomated + std::string("    fluxcd.io/tag.app: glob:master-*\n"))},
         {"README.md", "# manifests\n"}},
        name);
  }
  void ExpectUpdated(const std::filesystem::path& repo) {
    EXPECT_EQ(Show(repo, "apps/web.yaml"), Deployment("web", web_ + ":v2", kAutomated));
    EXPECT_EQ(Show(repo, "apps/api.yaml"),
              Deployment("api", api_ + ":master-b",
                         kAutomated + std::string("    fluxcd.io/tag.app: glob:master-*\n")));
    EXPECT_EQ(Show(repo, "README.md"), "# manifests\n");
    EXPECT_EQ(GitRevParse(repo, "flux-sync^{commit}"), GitRevParse(repo, "master"));
  }
};

TEST_F(DaemonE2eTest, OnceOverFileUrlUpdatesCommitsTagsAndNotifies) {
  auto repo = StandardRepo();
  RunResult r =
      Tagflow(DaemonFlags("file://" + repo.string()) + std::vector<std::string>{"--once"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectUpdated(repo);
  EXPECT_THAT(Log(repo), ElementsAre("Auto-release multiple (2) images", "Initial commit"));
  std::string author;
  RunShell("git --git-dir " + ShellQuote(repo.string()) + " log -1 --format='%an <%ae>|%cn <%ce>'",
           &author);
  EXPECT_EQ(author, "tagflow <tagflow@localhost>|tagflow <tagflow@localhost>\n");
  ASSERT_TRUE(slack_.WaitForRequests(1, std::chrono::seconds(10)));
  std::string body = slack_.Requests()[0].body;
  EXPECT_THAT(body, HasSubstr("default:deployment/web"));
  EXPECT_THAT(body, HasSubstr(web_ + ":v2"));
  EXPECT_THAT(r.output, Not(HasSubstr("secret-path")));
}

TEST_F(DaemonE2eTest, OnceOverGitDaemon) {
  auto repo = StandardRepo();
  GitDaemon daemon(repos());
  RunResult r =
      Tagflow(DaemonFlags(daemon.Url("manifests.git")) + std::vector<std::string>{"--once"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectUpdated(repo);
}

TEST_F(DaemonE2eTest, OnceOverSshWithKnownHosts) {
  auto repo = StandardRepo();
  SshServer ssh;
  for (const std::string& url : {ssh.Url(repo), ssh.ScpUrl(repo)}) {
    RunResult r =
        Tagflow(DaemonFlags(url) +
                std::vector<std::string>{"--once", "--git-ssh-key", ssh.client_key().string(),
                                         "--git-known-hosts", ssh.known_hosts().string()});
    ASSERT_EQ(r.exit_code, 0) << url << "\n" << r.output;
  }
  ExpectUpdated(repo);
  EXPECT_EQ(Log(repo).size(), 2u) << "the second run over scp-like syntax had nothing to do";
}

TEST_F(DaemonE2eTest, UnknownSshHostKeyIsRefusedAndNothingIsPushed) {
  auto repo = StandardRepo();
  SshServer ssh;
  auto other = scratch_.path() / "other_key";
  std::string other_pub = GenerateSshKey(other);
  auto known = scratch_.path() / "wrong_known_hosts";
  WriteFile(known, "[127.0.0.1]:" + std::to_string(ssh.port()) + " " + other_pub + "\n");
  std::string head = GitRevParse(repo, "master");
  RunResult r =
      Tagflow(DaemonFlags(ssh.Url(repo)) +
              std::vector<std::string>{"--once", "--git-ssh-key", ssh.client_key().string(),
                                       "--git-known-hosts", known.string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr(ssh.HostKeyFingerprint()));
  EXPECT_EQ(GitRevParse(repo, "master"), head);
  EXPECT_EQ(GitRevParse(repo, "flux-sync"), "");
}

TEST_F(DaemonE2eTest, OnceOverSmartHttpWithPasswordFile) {
  auto repo = StandardRepo();
  GitHttpServer http(repos(), "bot", "pa55-w0rd-xyz");
  auto password = scratch_.path() / "git-password";
  WriteFile(password, "pa55-w0rd-xyz\n");
  std::string url = http.Url("manifests.git");
  url.insert(url.find("//") + 2, "bot@");
  RunResult r = Tagflow(DaemonFlags(url) + std::vector<std::string>{"--once", "--git-password-file",
                                                                    password.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectUpdated(repo);
  EXPECT_THAT(r.output, Not(HasSubstr("pa55-w0rd-xyz")));
}

TEST_F(DaemonE2eTest, LockedIgnoredAndManualWorkloadsAreUntouched) {
  std::map<std::string, std::string> files = {
      {"locked.yaml", Deployment("locked", web_ + ":v1",
                                 kAutomated + std::string("    fluxcd.io/locked: \"true\"\n"))},
      {"ignored.yaml", Deployment("ignored", web_ + ":v1",
                                  kAutomated + std::string("    fluxcd.io/ignore: \"true\"\n"))},
      {"manual.yaml", Deployment("manual", web_ + ":v1", "")},
      {"legacy.yaml",
       Deployment("legacy", web_ + ":v1", "    flux.weave.works/automated: \"true\"\n")}};
  auto repo = MakeRepo(files);
  RunResult r =
      Tagflow(DaemonFlags("file://" + repo.string()) + std::vector<std::string>{"--once"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* name : {"locked.yaml", "ignored.yaml", "manual.yaml"})
    EXPECT_EQ(Show(repo, name), files[name]) << name;
  EXPECT_EQ(Show(repo, "legacy.yaml"),
            Deployment("legacy", web_ + ":v2", "    flux.weave.works/automated: \"true\"\n"));
}

TEST_F(DaemonE2eTest, InvalidFilterAndMalformedFileFailTheCycleButOthersUpdate) {
  auto repo =
      MakeRepo({{"good.yaml", Deployment("good", web_ + ":v1", kAutomated)},
                {"bad-filter.yaml",
                 Deployment("bad", web_ + ":v1",
                            kAutomated + std::string("    fluxcd.io/tag.app: semver:>>1\n"))},
                {"broken.yaml", "apiVersion: v1\nkind: Deployment\nmetadata: {name: [oops\n"}});
  RunResult r =
      Tagflow(DaemonFlags("file://" + repo.string()) + std::vector<std::string>{"--once"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("broken.yaml"));
  EXPECT_THAT(r.output, HasSubstr("default:deployment/bad"));
  EXPECT_THAT(r.output, HasSubstr("semver:>>1"));
  EXPECT_EQ(Show(repo, "good.yaml"), Deployment("good", web_ + ":v2", kAutomated));
  EXPECT_THAT(Show(repo, "bad-filter.yaml"), HasSubstr(web_ + ":v1"));
  // Slack hears about the success and the failure.
  ASSERT_TRUE(slack_.WaitForRequests(2, std::chrono::seconds(10)));
}

TEST_F(DaemonE2eTest, SecondRunIsIdempotentAndANewTagIsPickedUp) {
  auto repo = StandardRepo();
  auto flags = DaemonFlags("file://" + repo.string()) + std::vector<std::string>{"--once"};
  ASSERT_EQ(Tagflow(flags).exit_code, 0);
  std::string head = GitRevParse(repo, "master");
  std::string tag = GitRevParse(repo, "flux-sync");
  RunResult again = Tagflow(flags);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(GitRevParse(repo, "master"), head);
  EXPECT_EQ(GitRevParse(repo, "flux-sync"), tag) << "the sync tag is not re-created";

  registry_.PushImage("team/web", "v3", {.created = Day(5)});
  RunResult third = Tagflow(flags);
  ASSERT_EQ(third.exit_code, 0) << third.output;
  EXPECT_EQ(Log(repo).front(), "Auto-release " + web_ + ":v3");
  EXPECT_EQ(Show(repo, "apps/web.yaml"), Deployment("web", web_ + ":v3", kAutomated));
}

TEST_F(DaemonE2eTest, DryRunPrintsThePlanAndChangesNothing) {
  auto repo = StandardRepo();
  std::string head = GitRevParse(repo, "master");
  RunResult r = Tagflow(DaemonFlags("file://" + repo.string()) +
                        std::vector<std::string>{"--once", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output,
              HasSubstr("default:deployment/web app: " + web_ + ":v1 -> " + web_ + ":v2"));
  EXPECT_EQ(GitRevParse(repo, "master"), head);
  EXPECT_EQ(GitRevParse(repo, "flux-sync"), "");
}

TEST_F(DaemonE2eTest, RegistryDownFailsOnlyTheWorkloadsUsingIt) {
  std::string gone_host;
  {
    RegistryServer gone;
    gone_host = gone.host();
    gone.PushImage("x/y", "v1", {.created = Day(1)});
  }  // stopped: connections are refused from now on
  auto repo = MakeRepo({{"web.yaml", Deployment("web", web_ + ":v1", kAutomated)},
                        {"gone.yaml", Deployment("gone", gone_host + "/x/y:v1", kAutomated)}});
  std::string gone_before = Show(repo, "gone.yaml", "master");
  auto flags = DaemonFlags("file://" + repo.string());
  flags.insert(flags.end(),
               {"--once", "--registry-insecure-host", gone_host, "--registry-timeout", "5s"});
  RunResult r = Tagflow(flags);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr(gone_host));
  EXPECT_EQ(Show(repo, "web.yaml"), Deployment("web", web_ + ":v2", kAutomated));
  EXPECT_EQ(Show(repo, "gone.yaml"), gone_before);
}

TEST_F(DaemonE2eTest, ConcurrentWriterDuringTheCycleIsNotLost) {
  auto repo = StandardRepo();
  // One registry request per second: the cycle spends seconds between its
  // fetch and its push, and a human pushes in between.
  auto flags = DaemonFlags("file://" + repo.string());
  flags.insert(flags.end(), {"--once", "--registry-rps", "2", "--registry-burst", "1"});
  size_t seen = registry_.Log().size();  // the pushes of the fixture
  auto proc = StartTagflow(flags);
  ASSERT_TRUE(WaitFor([&] { return registry_.Log().find("/v2/team/", seen) != std::string::npos; },
                      std::chrono::seconds(20)));
  PushChange(repo, {{"apps/config.yaml", "kind: ConfigMap\n"}}, "human change");
  ASSERT_EQ(proc->Wait(std::chrono::seconds(60)), 0) << proc->Output();
  EXPECT_THAT(Log(repo),
              ElementsAre("Auto-release multiple (2) images", "human change", "Initial commit"));
  EXPECT_EQ(Show(repo, "apps/config.yaml"), "kind: ConfigMap\n");
  ExpectUpdated(repo);
  EXPECT_THAT(proc->Output(), HasSubstr("push conflict"));
}

TEST_F(DaemonE2eTest, ServerSideRefusalWhenTwoPushesMeetIsReplannedOverGitDaemon) {
  auto repo = StandardRepo();
  // Another writer's commit, applied by a pre-receive hook during tagflow's
  // push: the server's own compare-and-swap then refuses tagflow's update
  // ("failed to update ref"), with no client-side non-fast-forward to see.
  std::string theirs = InstallBranchMovingHook(repo);
  ASSERT_EQ(theirs.size(), 40u);
  GitDaemon daemon(repos());
  RunResult r =
      Tagflow(DaemonFlags(daemon.Url("manifests.git")) + std::vector<std::string>{"--once"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Both commits on the branch, tagflow's once, nothing forced.
  EXPECT_THAT(Log(repo),
              ElementsAre("Auto-release multiple (2) images", "their change", "Initial commit"));
  ExpectUpdated(repo);
  EXPECT_THAT(r.output, HasSubstr("push conflict"));
}

TEST_F(DaemonE2eTest, HostileRegistriesAndManifestsFailAloneAndTheRestIsUpdated) {
  // Two stand-in registries (HTTP sinks answering every request alike): one
  // lists tags outside the grammar around a valid one, one answers a tag list
  // nested 200,000 levels deep.
  HttpSink evil, deep;
  evil.SetDefaultReply({.status = 200,
                        .body = R"({"name":"evil/x","tags":["a","zz\nkind: Secret","zz\": x",)"
                                R"("zz#x","-z"]})",
                        .content_type = "application/json"});
  deep.SetDefaultReply({.status = 200,
                        .body = std::string(200'000, '[') + std::string(200'000, ']'),
                        .content_type = "application/json"});
  std::string evil_host = "127.0.0.1:" + std::to_string(evil.port());
  std::string deep_host = "127.0.0.1:" + std::to_string(deep.port());
  std::string alphabetical = kAutomated + std::string("    fluxcd.io/tag.app: alphabetical:*\n");
  // 60,000 chained anchors: a stack overflow for a naive parser.
  std::string bomb = "a0: &a0 x\n";
  for (int i = 1; i < 60'000; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) +
            "]\n";
  }
  auto repo = MakeRepo(
      {{"apps/web.yaml", Deployment("web", web_ + ":v1", kAutomated)},
       {"apps/evil.yaml", Deployment("evil", evil_host + "/evil/x:0", alphabetical)},
       {"apps/deep.yaml", Deployment("deep", deep_host + "/deep/x:0", alphabetical)},
       {"apps/bomb.yaml", bomb},
       {"apps/evil\n2026-01-01T00:00:00.000Z info  cycle done result=ok.yaml", "kind: [\n"}});
  RunResult r = Tagflow(DaemonFlags("file://" + repo.string()) +
                        std::vector<std::string>{"--once", "--registry-insecure-host", evil_host,
                                                 "--registry-insecure-host", deep_host});
  EXPECT_EQ(r.exit_code, 1) << r.output;  // errors, but no crash
  EXPECT_EQ(Show(repo, "apps/web.yaml"), Deployment("web", web_ + ":v2", kAutomated));
  // Only the valid tag could win.
  EXPECT_EQ(Show(repo, "apps/evil.yaml"),
            Deployment("evil", evil_host + "/evil/x:a", alphabetical));
  EXPECT_EQ(Show(repo, "apps/deep.yaml"),
            Deployment("deep", deep_host + "/deep/x:0", alphabetical));
  EXPECT_THAT(r.output, HasSubstr("apps/bomb.yaml"));
  // The file name's newline is escaped: no forged line.
  EXPECT_THAT(r.output, HasSubstr("apps/evil\\n2026-01-01T00:00:00.000Z"));
  EXPECT_THAT(r.output, Not(HasSubstr("\n2026-01-01T00:00:00.000Z info  cycle done result=ok")));
}

TEST_F(DaemonE2eTest, AClonePrivateToAKilledDaemonIsRemovedAtTheNextStart) {
  auto repo = StandardRepo();
  TempDir tmp;
  auto start = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {TAGFLOW_BINARY};
    for (const std::string& a : DaemonFlags("file://" + repo.string()) + extra) argv.push_back(a);
    return std::make_unique<Subprocess>(Subprocess::Options{
        .argv = argv,
        .env = {{"HOME", tmp.path().string()}, {"TMPDIR", tmp.path().string()}},
        .log_path = tmp.path() / ("daemon-" + std::to_string(FreePort()) + ".log")});
  };
  auto clones = [&] {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(tmp.path())) {
      std::string name = e.path().filename().string();
      if (name.starts_with("tagflow-git-")) out.push_back(name);
    }
    return out;
  };
  auto first = start({});
  ASSERT_TRUE(WaitFor([&] { return clones().size() == 1; }, std::chrono::seconds(20)));
  std::string leaked = clones().front();
  first->Signal(SIGKILL);
  first->Wait(std::chrono::seconds(10));
  ASSERT_TRUE(std::filesystem::exists(tmp.path() / leaked));  // kill -9 leaves it behind

  auto second = start({"--once"});
  ASSERT_EQ(second->Wait(std::chrono::seconds(60)), 0) << second->Output();
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / leaked));
  EXPECT_TRUE(clones().empty());  // the second one removed its own on exit
}

TEST_F(DaemonE2eTest, SigtermDuringACycleStopsQuicklyAndLeavesTheRemoteUntouched) {
  auto repo = StandardRepo();
  std::string head = GitRevParse(repo, "master");
  auto flags = DaemonFlags("file://" + repo.string());
  flags.insert(flags.end(), {"--registry-rps", "0.5", "--registry-burst", "1"});
  size_t seen = registry_.Log().size();  // the pushes of the fixture
  auto proc = StartTagflow(flags);
  ASSERT_TRUE(WaitFor([&] { return registry_.Log().find("/v2/", seen) != std::string::npos; },
                      std::chrono::seconds(20)));
  auto sent = std::chrono::steady_clock::now();
  proc->Signal(SIGTERM);
  int code = proc->Wait(std::chrono::seconds(10));
  auto took = std::chrono::steady_clock::now() - sent;
  EXPECT_EQ(code, 0) << proc->Output();
  EXPECT_LT(took, std::chrono::seconds(5)) << proc->Output();
  EXPECT_EQ(GitRevParse(repo, "master"), head);
  // The registry requests the stop cancelled are no failures: one line, no
  // error per container, nothing to Slack (a rollout must not page anyone).
  EXPECT_THAT(proc->Output(), HasSubstr("cycle stopped on request before acting"));
  EXPECT_THAT(proc->Output(), Not(HasSubstr("cycle error")));
  EXPECT_EQ(slack_.RequestCount(), 0u);
}

TEST_F(DaemonE2eTest, DaemonServesReadinessMetricsAndHookTriggeredCycles) {
  auto repo = StandardRepo();
  int port = FreePort();
  auto flags = DaemonFlags("file://" + repo.string(), "127.0.0.1:" + std::to_string(port));
  flags.insert(flags.end(), {"--webhook-secret", "hook-s3cret", "--automation-interval", "1h",
                             "--git-poll-interval", "1h"});
  auto proc = StartTagflow(flags);
  httplib::Client http("127.0.0.1", port);
  ASSERT_TRUE(WaitFor([&] {
    auto res = http.Get("/readyz");
    return res && res->status == 200;
  })) << proc->Output();
  ASSERT_TRUE(
      WaitFor([&] { return GitRevParse(repo, "flux-sync") == GitRevParse(repo, "master"); }));
  ExpectUpdated(repo);

  auto workloads = http.Get("/api/v1/workloads");
  ASSERT_TRUE(workloads);
  EXPECT_THAT(workloads->body, HasSubstr("\"default:deployment/web\""));
  auto images = http.Get("/api/v1/images");
  ASSERT_TRUE(images);
  EXPECT_THAT(images->body, HasSubstr("\"LatestFiltered\""));

  // A hook without the secret is refused; with it, the new tag lands.
  registry_.PushImage("team/web", "v9", {.created = Day(9)});
  std::string hook =
      R"({"events":[{"action":"push","target":{"repository":"team/web","tag":"v9"},"request":{"host":")" +
      registry_.host() + R"("}}]})";
  auto refused = http.Post("/api/v1/hooks/registry", hook, "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  auto accepted =
      http.Post("/api/v1/hooks/registry", httplib::Headers{{"Authorization", "Bearer hook-s3cret"}},
                hook, "application/json");
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 202);
  ASSERT_TRUE(WaitFor([&] { return Show(repo, "apps/web.yaml").find(":v9'") != std::string::npos; },
                      std::chrono::seconds(30)))
      << proc->Output();

  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("tagflow_cycles_total{result=\"ok\"} 2"));
  EXPECT_THAT(metrics->body, HasSubstr("tagflow_commits_total 2"));
  EXPECT_THAT(metrics->body,
              HasSubstr("tagflow_registry_requests_total{host=\"" + registry_.host()));
  proc->Signal(SIGTERM);
  EXPECT_EQ(proc->Wait(std::chrono::seconds(10)), 0);
}

TEST_F(DaemonE2eTest, SlackDownDoesNotFailTheCycle) {
  auto repo = StandardRepo();
  slack_.Stop();
  RunResult r =
      Tagflow(DaemonFlags("file://" + repo.string()) + std::vector<std::string>{"--once"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  ExpectUpdated(repo);
  EXPECT_THAT(r.output, Not(HasSubstr("secret-path")));
}

TEST_F(DaemonE2eTest, ConfigFileSuppliesFlagsAndTheCommandLineWins) {
  auto repo = StandardRepo();
  auto config = scratch_.path() / "tagflow.yaml";
  WriteFile(config, "git-url: file://" + repo.string() + "\ngit-sync-tag: from-config\n" +
                        "registry-insecure-host: [" + registry_.host() +
                        "]\nlisten: 127.0.0.1:0\n" +
                        "cache-dir: " + (scratch_.path() / "cache").string() + "\n");
  RunResult r =
      Tagflow({"daemon", "--once", "--config", config.string(), "--git-sync-tag", "from-cli"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(GitRevParse(repo, "from-cli^{commit}"), GitRevParse(repo, "master"));
  EXPECT_EQ(GitRevParse(repo, "from-config"), "");
  WriteFile(config, "git-ulr: typo\n");
  RunResult bad = Tagflow({"daemon", "--once", "--config", config.string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr("git-ulr"));
}

TEST_F(DaemonE2eTest, BadUsageExitsTwo) {
  EXPECT_EQ(Tagflow({"daemon", "--once"}).exit_code, 2);
  EXPECT_EQ(Tagflow({"daemon", "--once", "--git-url", "file:///x", "--automation-interval", "soon"})
                .exit_code,
            2);
  RunResult r = Tagflow({"daemon", "--once", "--git-url", "ssh://git@127.0.0.1:1/x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--git-known-hosts"));
}

}  // namespace
}  // namespace tagflow::testing
