// The cycle with --git-push-branch and --git-pr, against the fake git remote
// and a recording PullRequestClient.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/cycle.h"
#include "git/fake_repo.h"
#include "manifest/real_filesystem.h"
#include "test/support/process.h"

namespace tagflow::daemon {
namespace {

using registry::TagMetadata;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kBranch[] = "tagflow/images";

TimePoint At(int s) { return TimePoint(std::chrono::seconds(1'700'000'000 + s)); }

std::string Deployment(const std::string& image) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n"
         "    fluxcd.io/automated: \"true\"\nspec:\n  template:\n    spec:\n      containers:\n"
         "      - name: app\n        image: " +
         image + "\n";
}

// Keeps pull requests in memory, like a forge would.
class RecordingPullRequests : public git::PullRequestClient {
 public:
  Result<std::vector<git::PullRequest>> ListOpen(const std::string&, const std::string&) override {
    if (fail) return Fail(*fail);
    std::vector<git::PullRequest> open;
    for (const auto& pr : pulls) {
      if (pr.open) open.push_back(pr);
    }
    return open;
  }
  Result<std::optional<git::PullRequest>> Latest(const std::string&, const std::string&) override {
    if (pulls.empty()) return std::nullopt;
    return pulls.back();
  }
  Result<git::PullRequest> Create(const git::PullRequestSpec& spec) override {
    specs.push_back(spec);
    pulls.push_back({.number = static_cast<int64_t>(pulls.size() + 1),
                     .title = spec.title,
                     .body = spec.body,
                     .url = "https://forge.example/pr/1"});
    return pulls.back();
  }
  Result<void> Update(int64_t number, const std::string& title, const std::string& body) override {
    ++updates;
    pulls.at(number - 1).title = title;
    pulls.at(number - 1).body = body;
    return {};
  }

  std::vector<git::PullRequest> pulls;
  std::vector<git::PullRequestSpec> specs;
  int updates = 0;
  std::optional<Error> fail;
};

class CyclePushBranchTest : public ::testing::Test {
 protected:
  CyclePushBranchTest()
      : remote_({{"web.yaml", Deployment("localhost:5000/web:v1")}}),
        repo_(remote_, tmp_.path() / "clone") {
    tags_ = {{"v1", "", At(1), ""}, {"v2", "", At(2), ""}};
  }

  CycleReport Run(CycleOptions options = {}) {
    options.push_branch = kBranch;
    options.pr_labels = {"automation"};
    CycleDeps deps{
        repo_,
        fs_,
        [this](const std::vector<registry::ScanTarget>& targets) {
          std::map<std::string, registry::RepositoryScan> out;
          for (const auto& t : targets) {
            out.emplace(t.image.CanonicalName(), registry::RepositoryScan{t.image, false, tags_});
          }
          return out;
        },
        [](const image::ImageRef&, const std::string&) {
          return Result<std::string>("sha256:" + std::string(64, 'e'));
        },
        clock_,
        nullptr,
        nullptr,
        nullptr,
        &pulls_};
    return Cycle(deps, options).Run({"test"});
  }

  testing::TempDir tmp_;
  git::FakeGitRemote remote_;
  git::FakeGitRepo repo_;
  manifest::RealFilesystem fs_;
  FakeClock clock_;
  std::vector<TagMetadata> tags_;
  RecordingPullRequests pulls_;
};

TEST_F(CyclePushBranchTest, PushesTheBranchTagsTheSourceAndOpensOnePullRequest) {
  std::string source = remote_.Head();
  CycleReport report = Run();
  ASSERT_TRUE(report.ok()) << report.errors.front();
  EXPECT_TRUE(report.pushed);
  EXPECT_EQ(remote_.Head(), source);
  EXPECT_EQ(report.head, source);
  EXPECT_EQ(remote_.Tags().at("flux-sync"), source);
  EXPECT_EQ(remote_.Branch(kBranch), report.commit);
  EXPECT_EQ(report.push_branch_commit, report.commit);
  EXPECT_EQ(report.pull_request_action, "created");
  ASSERT_EQ(pulls_.specs.size(), 1u);
  EXPECT_EQ(pulls_.specs[0].head, kBranch);
  EXPECT_EQ(pulls_.specs[0].base, "master");
  EXPECT_EQ(pulls_.specs[0].title, "Auto-release localhost:5000/web:v2");
  EXPECT_THAT(pulls_.specs[0].body,
              HasSubstr("- `default:deployment/web` container `app`: `localhost:5000/web:v1` -> "
                        "`localhost:5000/web:v2`"));
  EXPECT_THAT(pulls_.specs[0].labels, ElementsAre("automation"));

  CycleReport again = Run();  // same plan: nothing pushed, the request left as it is
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.pushed);
  EXPECT_TRUE(again.push_branch_up_to_date);
  EXPECT_EQ(again.pull_request_action, "unchanged");
  EXPECT_EQ(remote_.Calls(git::FakeGitRemote::Op::kForcePush), 1);

  tags_.push_back({"v3", "", At(3), ""});  // grown: pushed again, the request updated
  CycleReport grown = Run();
  ASSERT_TRUE(grown.ok());
  EXPECT_TRUE(grown.pushed);
  EXPECT_EQ(grown.pull_request_action, "updated");
  EXPECT_EQ(pulls_.pulls.size(), 1u);
  EXPECT_EQ(pulls_.pulls[0].title, "Auto-release localhost:5000/web:v3");
}

TEST_F(CyclePushBranchTest, APullRequestClosedUnmergedIsNotReopenedForTheSameChange) {
  ASSERT_TRUE(Run().ok());
  pulls_.pulls[0].open = false;  // a reviewer said no
  CycleReport same = Run();
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same.pull_request_action, "left closed");
  EXPECT_EQ(pulls_.pulls.size(), 1u);
  EXPECT_THAT(same.notices, ::testing::Contains(HasSubstr("closed without merging")));
  tags_.push_back({"v3", "", At(3), ""});
  CycleReport grown = Run();
  ASSERT_TRUE(grown.ok());
  EXPECT_EQ(grown.pull_request_action, "created");
  EXPECT_EQ(pulls_.pulls.size(), 2u);
}

TEST_F(CyclePushBranchTest, APullRequestFailureIsACycleErrorAfterThePush) {
  pulls_.fail = Error{ErrorKind::kUnauthorized, "GitHub API GET /repos/a/b/pulls: HTTP 401"};
  CycleReport report = Run();
  EXPECT_TRUE(report.pushed);
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_THAT(report.errors[0], HasSubstr("pull request: GitHub API"));
  EXPECT_EQ(report.error_details[0].stage, notify::Stage::kPush);
}

TEST_F(CyclePushBranchTest, DryAndReadonlyRunsPushNothingAndOpenNothing) {
  for (bool dry : {true, false}) {
    CycleReport report = Run({.dry_run = dry, .readonly = !dry});
    ASSERT_TRUE(report.ok());
    EXPECT_THAT(report.planned, ::testing::SizeIs(1));
    EXPECT_FALSE(report.pushed);
  }
  EXPECT_EQ(remote_.Branch(kBranch), "");
  EXPECT_THAT(pulls_.specs, IsEmpty());
}

TEST(PullRequestBodyTest, ListsEveryChange) {
  auto ref = [](const std::string& text) { return image::ImageRef::Parse(text).value(); };
  std::vector<PlannedChange> changes(2);
  changes[0].workload = "default:deployment/web";
  changes[0].container = "app";
  changes[0].from = ref("r/web:v1");
  changes[0].to = ref("r/web:v2");
  changes[1] = changes[0];
  changes[1].container = "sidecar";
  EXPECT_EQ(PullRequestBody(changes),
            "tagflow updates 2 images:\n\n"
            "- `default:deployment/web` container `app`: `r/web:v1` -> `r/web:v2`\n"
            "- `default:deployment/web` container `sidecar`: `r/web:v1` -> `r/web:v2`\n"
            "\nThis branch belongs to tagflow: it is rewritten on every change of the images.\n");
}

}  // namespace
}  // namespace tagflow::daemon
