// Digest tracking and release gates end to end: the `tagflow` binary against
// the real docker-registry (tags re-pushed, images "created now", cosign
// signatures laid out as `cosign sign --key` does, signed with `openssl`).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>

#include "base/time.h"
#include "test/e2e/e2e_fixture.h"
#include "test/support/cosign_signer.h"

namespace tagflow::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Occurrences of `needle` in `text` from `from` on.
size_t Count(const std::string& text, const std::string& needle, size_t from = 0) {
  size_t n = 0;
  for (size_t at = text.find(needle, from); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

class GatesE2eTest : public E2eTest {
 protected:
  std::vector<std::string> Once(const std::filesystem::path& repo) {
    return DaemonFlags("file://" + repo.string()) + std::vector<std::string>{"--once"};
  }
};

TEST_F(GatesE2eTest, ARepushedTagIsFollowedByDigestWithOneHeadPerCycle) {
  std::string first = registry_.PushImage("team/mutable", "latest", {.created = Day(1)});
  std::string image = registry_.host() + "/team/mutable";
  const std::string annotations = kAutomated + std::string(
                                                   "    fluxcd.io/tag.app: glob:latest\n"
                                                   "    tagflow.io/digest: \"true\"\n");
  auto repo = MakeRepo({{"apps/web.yaml", Deployment("web", image + ":latest", annotations)}});

  RunResult pin = Tagflow(Once(repo));
  ASSERT_EQ(pin.exit_code, 0) << pin.output;
  EXPECT_EQ(Show(repo, "apps/web.yaml"),
            Deployment("web", image + ":latest@" + first, annotations));
  EXPECT_THAT(Log(repo),
              ElementsAre("Auto-release " + image + ":latest@" + first, "Initial commit"));

  // Nothing moved: no commit, and the warm cycle asks with one HEAD only.
  size_t seen = registry_.Log().size();
  RunResult steady = Tagflow(Once(repo));
  ASSERT_EQ(steady.exit_code, 0) << steady.output;
  EXPECT_EQ(Log(repo).size(), 2u);
  std::string log = registry_.Log();
  EXPECT_EQ(Count(log, "\"HEAD /v2/team/mutable/manifests/latest", seen), 1u) << log.substr(seen);
  EXPECT_EQ(Count(log, "\"GET /v2/team/mutable/manifests/", seen), 0u) << log.substr(seen);

  // `latest` re-pushed with a new image: one commit writing the new digest.
  std::string second = registry_.PushImage("team/mutable", "latest", {.created = Day(2)});
  ASSERT_NE(first, second);
  seen = registry_.Log().size();
  RunResult moved = Tagflow(Once(repo));
  ASSERT_EQ(moved.exit_code, 0) << moved.output;
  EXPECT_EQ(Show(repo, "apps/web.yaml"),
            Deployment("web", image + ":latest@" + second, annotations));
  EXPECT_THAT(Log(repo),
              ElementsAre("Auto-release " + image + ":latest@" + second,
                          "Auto-release " + image + ":latest@" + first, "Initial commit"));
  log = registry_.Log();
  EXPECT_EQ(Count(log, "\"HEAD /v2/team/mutable/manifests/latest", seen), 1u) << log.substr(seen);
  EXPECT_EQ(Count(log, "\"GET /v2/team/mutable/manifests/", seen), 0u) << log.substr(seen);
}

TEST_F(GatesE2eTest, AYoungTagIsPickedInTheFirstCycleAfterItComesOfAge) {
  registry_.PushImage("team/fresh", "1.0.0", {.created = Day(1)});
  std::string image = registry_.host() + "/team/fresh";
  const std::string annotations = kAutomated + std::string(
                                                   "    fluxcd.io/tag.app: semver:*\n"
                                                   "    tagflow.io/min-age: 8s\n");
  auto repo = MakeRepo({{"apps/web.yaml", Deployment("web", image + ":1.0.0", annotations)}});
  auto created = std::chrono::system_clock::now();
  registry_.PushImage("team/fresh", "1.1.0",
                      {.created = FormatRfc3339(created, TimePrecision::kSeconds)});

  RunResult early = Tagflow(Once(repo));
  ASSERT_EQ(early.exit_code, 0) << early.output;
  EXPECT_THAT(Log(repo), ElementsAre("Initial commit"));
  EXPECT_THAT(early.output, HasSubstr("younger than tagflow.io/min-age 8s"));

  // The daemon's own cycles pick it once it is old enough; no webhook.
  auto flags = DaemonFlags("file://" + repo.string()) +
               std::vector<std::string>{"--automation-interval", "1s"};
  auto daemon = StartTagflow(flags);
  ASSERT_TRUE(WaitFor([&] { return Log(repo).size() == 2; }, std::chrono::seconds(40)))
      << daemon->Output();
  daemon->Signal(SIGTERM);
  daemon->Wait(std::chrono::seconds(20));
  EXPECT_EQ(Log(repo).front(), "Auto-release " + image + ":1.1.0");
  std::string committed;
  RunShell("git --git-dir " + ShellQuote(repo.string()) + " log -1 --format=%ct", &committed);
  auto commit_time =
      std::chrono::system_clock::time_point(std::chrono::seconds(std::stoll(committed)));
  // Whole seconds on both sides: the commit is at least 8 s after the
  // (truncated) creation time.
  EXPECT_GE(commit_time - std::chrono::floor<std::chrono::seconds>(created),
            std::chrono::seconds(8));
}

class CosignE2eTest : public GatesE2eTest {
 protected:
  CosignE2eTest() : image_(registry_.host() + "/team/signed") {
    registry_.PushImage("team/signed", "1.0.0", {.created = Day(1)});
  }
  // Pushes `tag` and signs it with `signer`; returns the image digest.
  std::string PushSigned(const std::string& tag, int day, const CosignSigner& signer) {
    std::string digest = registry_.PushImage("team/signed", tag, {.created = Day(day)});
    std::string payload = CosignSigner::Payload(image_, digest);
    registry_.PushCosignSignature("team/signed", digest, payload, signer.Sign(payload));
    return digest;
  }
  std::filesystem::path Repo() {
    return MakeRepo({{"apps/web.yaml", Deployment("web", image_ + ":1.0.0", kAnnotations)}});
  }
  std::vector<std::string> Flags(const std::filesystem::path& repo) {
    return Once(repo) + std::vector<std::string>{"--cosign-key", signer_.public_key_path()};
  }
  // The Slack messages received so far, joined.
  std::string SlackText() {
    std::string out;
    for (const RecordedRequest& r : slack_.Requests()) out += r.body + "\n";
    return out;
  }

  static constexpr const char* kAnnotations =
      "    fluxcd.io/automated: \"true\"\n"
      "    fluxcd.io/tag.app: semver:*\n"
      "    tagflow.io/verify: cosign\n";
  std::string image_;
  CosignSigner signer_;
};

TEST_F(CosignE2eTest, ASignedTagIsPicked) {
  PushSigned("1.1.0", 2, signer_);
  auto repo = Repo();
  RunResult r = Tagflow(Flags(repo));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(Log(repo), ElementsAre("Auto-release " + image_ + ":1.1.0", "Initial commit"));
  EXPECT_THAT(r.output, Not(HasSubstr("release gate skipped")));
}

TEST_F(CosignE2eTest, AnUnsignedNewerTagIsSkippedAndTheSignedOlderOnePicked) {
  PushSigned("1.1.0", 2, signer_);
  registry_.PushImage("team/signed", "1.2.0", {.created = Day(3)});
  auto repo = Repo();
  RunResult r = Tagflow(Flags(repo));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(Log(repo), ElementsAre("Auto-release " + image_ + ":1.1.0", "Initial commit"));
  EXPECT_EQ(Count(r.output, "release gate skipped"), 1u) << r.output;
  EXPECT_THAT(r.output, HasSubstr("tag=1.2.0"));
  EXPECT_THAT(r.output, HasSubstr("not signed"));
  // One message about the skip (beside the release): naming the tag and why.
  ASSERT_TRUE(slack_.WaitForRequests(2, std::chrono::seconds(10)));
  EXPECT_FALSE(slack_.WaitForRequests(3, std::chrono::seconds(1)));
  std::string text = SlackText();
  EXPECT_THAT(text, HasSubstr(image_ + ":1.2.0"));
  EXPECT_THAT(text, HasSubstr("not signed"));
}

TEST_F(CosignE2eTest, ATamperedPayloadOrAnotherKeyIsSkipped) {
  std::string d11 = registry_.PushImage("team/signed", "1.1.0", {.created = Day(2)});
  std::string payload = CosignSigner::Payload(image_, d11);
  std::string signature = signer_.Sign(payload);
  // The payload the registry serves is not the one that was signed.
  std::string tampered = CosignSigner::Payload("evil.example/team/signed", d11);
  registry_.PushCosignSignature("team/signed", d11, tampered, signature);
  CosignSigner stranger;
  PushSigned("1.2.0", 3, stranger);
  auto repo = Repo();
  RunResult r = Tagflow(Flags(repo));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(Log(repo), ElementsAre("Initial commit"));
  EXPECT_EQ(Count(r.output, "release gate skipped"), 2u) << r.output;
  EXPECT_THAT(r.output, HasSubstr("does not verify against any --cosign-key"));
}

TEST_F(CosignE2eTest, AMissingKeyFileIsAConfigurationError) {
  auto repo = Repo();
  std::string missing = (repos() / "nope.pub").string();
  RunResult r = Tagflow(Once(repo) + std::vector<std::string>{"--cosign-key", missing});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--cosign-key " + missing));
  EXPECT_THAT(Log(repo), ElementsAre("Initial commit"));
}

}  // namespace
}  // namespace tagflow::testing
