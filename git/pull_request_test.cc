// The pull-request clients and EnsurePullRequest over a scripted
// HttpClient: the requests each provider gets, and what its answers mean.
#include "git/pull_request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "base/fake_http.h"
#include "test/support/process.h"

namespace tagflow::git {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

constexpr char kToken[] = "fake-forge-token-123";

PrTarget Target(PrProvider provider, std::string owner = "team") {
  return {provider, "https://api.example", std::move(owner), "manifests"};
}

PullRequestSpec Spec() {
  return {.head = "tagflow/images",
          .base = "main",
          .title = "Auto-release app:v2",
          .body = "- app v1 -> v2\n",
          .labels = {"automation", "images"}};
}

// Answers by "METHOD path?query" (exact) or "METHOD path" (any query).
FakeHttpClient Scripted(std::map<std::string, std::pair<int, std::string>> answers) {
  return FakeHttpClient([answers](const HttpRequest& r) -> Result<HttpResponse> {
    std::string path = r.url.substr(std::string("https://api.example").size());
    for (const std::string& key :
         {r.method + " " + path, r.method + " " + path.substr(0, path.find('?'))}) {
      if (auto it = answers.find(key); it != answers.end()) {
        return FakeHttpClient::Reply(it->second.first, it->second.second);
      }
    }
    return FakeHttpClient::Reply(404, R"({"message":"Not Found"})");
  });
}

TEST(PrTargetTest, DefaultsTheApiFromTheGitUrl) {
  auto gh = PrTargetFor(PrProvider::kGitHub, "git@github.com:team/manifests.git", "");
  ASSERT_TRUE(gh) << gh.error().message;
  EXPECT_EQ(gh->api_url, "https://api.github.com");
  EXPECT_EQ(gh->owner, "team");
  EXPECT_EQ(gh->repo, "manifests");
  EXPECT_EQ(PrTargetFor(PrProvider::kGitHub, "https://ghe.corp/team/manifests.git", "")->api_url,
            "https://ghe.corp/api/v3");
  auto gl = PrTargetFor(PrProvider::kGitLab, "https://gitlab.corp:8443/group/sub/manifests", "");
  ASSERT_TRUE(gl);
  EXPECT_EQ(gl->api_url, "https://gitlab.corp:8443/api/v4");
  EXPECT_EQ(gl->owner, "group/sub");
  auto gitea = PrTargetFor(PrProvider::kGitea, "ssh://git@gitea.corp:2222/team/manifests.git", "");
  ASSERT_TRUE(gitea);
  EXPECT_EQ(gitea->api_url, "https://gitea.corp/api/v1") << "the ssh port is not the web port";
  auto given =
      PrTargetFor(PrProvider::kGitea, "/srv/team/manifests.git", "http://127.0.0.1:9/api/v1/");
  ASSERT_TRUE(given);
  EXPECT_EQ(given->api_url, "http://127.0.0.1:9/api/v1");
}

TEST(PrTargetTest, RefusesWhatItCannotTell) {
  auto local = PrTargetFor(PrProvider::kGitHub, "/srv/team/manifests.git", "");
  ASSERT_FALSE(local);
  EXPECT_THAT(local.error().message, HasSubstr("--git-pr-api-url"));
  auto one = PrTargetFor(PrProvider::kGitHub, "https://github.com/manifests.git", "");
  ASSERT_FALSE(one);
  EXPECT_THAT(one.error().message, HasSubstr("owner/repo"));
  EXPECT_FALSE(PrTargetFor(PrProvider::kGitLab, "https://h/a/b", "ftp://h/api"));
  EXPECT_FALSE(ParsePrProvider("bitbucket"));
  EXPECT_EQ(ParsePrProvider("forgejo").value(), PrProvider::kGitea);
}

TEST(PrTokenTest, FileWinsThenEnvironmentElseAClearError) {
  testing::TempDir tmp;
  auto file = tmp.path() / "token";
  testing::WriteFile(file, std::string(kToken) + "\n");
  EXPECT_EQ(ReadPrToken(file.string(), "other").value(), kToken);
  EXPECT_EQ(ReadPrToken("", kToken).value(), kToken);
  auto none = ReadPrToken("", nullptr);
  ASSERT_FALSE(none);
  EXPECT_THAT(none.error().message, HasSubstr("TAGFLOW_GIT_PR_TOKEN"));
  auto mistaken = ReadPrToken(kToken, nullptr);  // the token given as the path
  ASSERT_FALSE(mistaken);
  EXPECT_THAT(mistaken.error().message, Not(HasSubstr(kToken)));
}

TEST(GitHubClientTest, CreatesWithLabelsWhenNoneIsOpen) {
  auto http =
      Scripted({{"GET /repos/team/manifests/pulls", {200, "[]"}},
                {"POST /repos/team/manifests/pulls",
                 {201, R"({"number":12,"title":"Auto-release app:v2","body":"- app v1 -> v2\n",
                                   "state":"open","html_url":"https://github.com/team/manifests/pull/12"})"}},
                {"POST /repos/team/manifests/issues/12/labels", {200, "[]"}}});
  auto client = NewPullRequestClient(Target(PrProvider::kGitHub), kToken, http);
  auto out = EnsurePullRequest(*client, Spec());
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->action, EnsureOutcome::Action::kCreated);
  EXPECT_EQ(out->request.number, 12);
  EXPECT_EQ(out->request.url, "https://github.com/team/manifests/pull/12");
  auto sent = http.requests();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].url,
            "https://api.example/repos/team/manifests/pulls?state=open&head=team%3Atagflow%2Fimages"
            "&base=main&per_page=100");
  for (const HttpRequest& r : sent) {
    std::map<std::string, std::string> headers(r.headers.begin(), r.headers.end());
    EXPECT_EQ(headers["Authorization"], std::string("Bearer ") + kToken);
    EXPECT_EQ(headers["Accept"], "application/vnd.github+json");
    EXPECT_EQ(headers["X-GitHub-Api-Version"], "2022-11-28");
  }
  EXPECT_EQ(json::parse(sent[1].body),
            json::parse(R"({"title":"Auto-release app:v2","head":"tagflow/images",
      "base":"main","body":"- app v1 -> v2\n"})"));
  EXPECT_EQ(json::parse(sent[2].body), json::parse(R"({"labels":["automation","images"]})"));
}

TEST(GitHubClientTest, UpdatesTheOldestOpenOneAndNeverOpensASecond) {
  auto http = Scripted({{"GET /repos/team/manifests/pulls",
                         {200, R"([{"number":9,"title":"new","body":null,"state":"open"},
                  {"number":4,"title":"Auto-release app:v1","body":"old","state":"open"}])"}},
                        {"PATCH /repos/team/manifests/pulls/4", {200, R"({"number":4})"}}});
  auto client = NewPullRequestClient(Target(PrProvider::kGitHub), kToken, http);
  auto out = EnsurePullRequest(*client, Spec());
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->action, EnsureOutcome::Action::kUpdated);
  EXPECT_EQ(out->request.number, 4);
  auto sent = http.requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].method, "PATCH");
  EXPECT_EQ(json::parse(sent[1].body),
            json::parse(R"({"title":"Auto-release app:v2","body":"- app v1 -> v2\n"})"));
}

TEST(GitHubClientTest, UnchangedWhenTitleAndBodyMatch) {
  auto http = Scripted(
      {{"GET /repos/team/manifests/pulls", {200, R"([{"number":4,"title":"Auto-release app:v2",
                                    "body":"- app v1 -> v2\n","state":"open"}])"}}});
  auto client = NewPullRequestClient(Target(PrProvider::kGitHub), kToken, http);
  auto out = EnsurePullRequest(*client, Spec());
  ASSERT_TRUE(out);
  EXPECT_EQ(out->action, EnsureOutcome::Action::kUnchanged);
  EXPECT_EQ(http.requests().size(), 1u);
}

TEST(GitHubClientTest, ACreateRefusedAsDuplicateSettlesOnTheExistingOne) {
  int lists = 0;
  FakeHttpClient http([&lists](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.method == "GET") {
      return FakeHttpClient::Reply(
          200, lists++ == 0 ? "[]" : R"([{"number":5,"title":"x","body":"y","state":"open"}])");
    }
    if (r.method == "POST") {
      return FakeHttpClient::Reply(422, R"({"message":"Validation Failed","errors":[{"resource":
          "PullRequest","code":"custom","message":"A pull request already exists for team:tagflow/images."}]})");
    }
    return FakeHttpClient::Reply(200, R"({"number":5})");
  });
  auto client = NewPullRequestClient(Target(PrProvider::kGitHub), kToken, http);
  auto out = EnsurePullRequest(*client, Spec());
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->action, EnsureOutcome::Action::kUpdated);
  EXPECT_EQ(out->request.number, 5);
}

TEST(EnsurePullRequestTest, AClosedRequestStaysClosedUntilTheBranchIsPushedAgain) {
  auto http =
      Scripted({{"GET /repos/team/manifests/pulls?state=open&head=team%3Atagflow%2Fimages&base=main"
                 "&per_page=100",
                 {200, "[]"}},
                {"GET /repos/team/manifests/pulls?state=all&head=team%3Atagflow%2Fimages&base=main"
                 "&per_page=1&sort=created&direction=desc",
                 {200, R"([{"number":8,"title":"t","state":"closed","merged_at":null}])"}},
                {"POST /repos/team/manifests/pulls", {201, R"({"number":9,"state":"open"})"}},
                {"POST /repos/team/manifests/issues/9/labels", {200, "[]"}}});
  auto client = NewPullRequestClient(Target(PrProvider::kGitHub), kToken, http);
  PullRequestSpec same = Spec();
  same.pushed = false;
  auto declined = EnsurePullRequest(*client, same);
  ASSERT_TRUE(declined) << declined.error().message;
  EXPECT_EQ(declined->action, EnsureOutcome::Action::kLeftClosed);
  EXPECT_EQ(declined->request.number, 8);
  EXPECT_EQ(http.requests().size(), 2u) << "nothing created";
  auto grown = EnsurePullRequest(*client, Spec());  // pushed: a new proposal
  ASSERT_TRUE(grown) << grown.error().message;
  EXPECT_EQ(grown->action, EnsureOutcome::Action::kCreated);
  EXPECT_EQ(grown->request.number, 9);
}

TEST(PrApiTest, ErrorsNameProviderStatusAndMessageButNeverTheToken) {
  FakeHttpClient http([](const HttpRequest&) -> Result<HttpResponse> {
    return FakeHttpClient::Reply(
        401, std::string(R"({"message":"Bad credentials for )") + kToken + R"("})");
  });
  for (PrProvider p : {PrProvider::kGitHub, PrProvider::kGitLab, PrProvider::kGitea}) {
    auto client = NewPullRequestClient(Target(p), kToken, http);
    auto out = EnsurePullRequest(*client, Spec());
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().kind, ErrorKind::kUnauthorized);
    EXPECT_THAT(out.error().message,
                AllOf(HasSubstr(std::string(PrProviderName(p)) + " API"), HasSubstr("HTTP 401"),
                      HasSubstr("Bad credentials"), Not(HasSubstr(kToken))));
  }
  FakeHttpClient lists([](const HttpRequest&) -> Result<HttpResponse> {
    return FakeHttpClient::Reply(409,
                                 R"({"message":["Another open merge request already exists"]})");
  });
  auto gitlab = NewPullRequestClient(Target(PrProvider::kGitLab), kToken, lists);
  auto conflict = gitlab->ListOpen("a", "b");
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().kind, ErrorKind::kConflict);
  EXPECT_THAT(conflict.error().message, HasSubstr("Another open merge request"));
  FakeHttpClient down([](const HttpRequest&) -> Result<HttpResponse> {
    return FakeHttpClient::Reply(503, "<html>maintenance</html>");
  });
  auto gitea = NewPullRequestClient(Target(PrProvider::kGitea), kToken, down);
  EXPECT_EQ(gitea->ListOpen("a", "b").error().kind, ErrorKind::kTransient);
}

TEST(GitLabClientTest, EncodesTheProjectPathAndSendsABearerToken) {
  auto http =
      Scripted({{"GET /projects/group%2Fsub%2Fmanifests/merge_requests",
                 {200, R"([{"iid":3,"title":"old","description":"old","state":"opened",
                   "source_branch":"tagflow/images","target_branch":"main"},
                  {"iid":2,"title":"other","state":"opened","source_branch":"feature",
                   "target_branch":"main"}])"}},
                {"PUT /projects/group%2Fsub%2Fmanifests/merge_requests/3", {200, R"({"iid":3})"}}});
  auto client = NewPullRequestClient(Target(PrProvider::kGitLab, "group/sub"), kToken, http);
  auto out = EnsurePullRequest(*client, Spec());
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->action, EnsureOutcome::Action::kUpdated);
  EXPECT_EQ(out->request.number, 3) << "another branch's MR is not ours";
  auto sent = http.requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_THAT(sent[0].url,
              HasSubstr("state=opened&source_branch=tagflow%2Fimages&target_branch=main"));
  std::map<std::string, std::string> headers(sent[1].headers.begin(), sent[1].headers.end());
  EXPECT_EQ(headers["Authorization"], std::string("Bearer ") + kToken);
  EXPECT_EQ(sent[1].method, "PUT");
  EXPECT_EQ(json::parse(sent[1].body),
            json::parse(R"({"title":"Auto-release app:v2","description":"- app v1 -> v2\n"})"));
}

TEST(GitLabClientTest, CreatesWithCommaSeparatedLabels) {
  auto http = Scripted({{"GET /projects/team%2Fmanifests/merge_requests", {200, "[]"}},
                        {"POST /projects/team%2Fmanifests/merge_requests",
                         {201, R"({"iid":1,"state":"opened","web_url":"https://gl/mr/1"})"}}});
  auto client = NewPullRequestClient(Target(PrProvider::kGitLab), kToken, http);
  auto out = EnsurePullRequest(*client, Spec());
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->action, EnsureOutcome::Action::kCreated);
  EXPECT_EQ(json::parse(http.requests()[1].body)["labels"], "automation,images");
}

TEST(GiteaClientTest, PagesThroughOpenPullsAndMapsLabelNamesToIds) {
  std::string page1 = "[";
  for (int i = 1; i <= 50; ++i) {  // a full page of other pull requests
    page1 += (i > 1 ? "," : "") + std::string(R"({"number":)") + std::to_string(100 + i) +
             R"(,"head":{"ref":"feature","repo_id":1},"base":{"ref":"main","repo_id":1}})";
  }
  page1 += "]";
  auto http = Scripted(
      {{"GET /repos/team/manifests/pulls?state=open&page=1&limit=50", {200, page1}},
       {"GET /repos/team/manifests/pulls?state=open&page=2&limit=50",
        {200,
         R"([{"number":7,"head":{"ref":"tagflow/images","repo_id":2},"base":{"ref":"main","repo_id":1}}])"}},
       {"GET /repos/team/manifests/labels", {200, R"([{"id":7,"name":"automation"}])"}},
       {"POST /repos/team/manifests/pulls", {201, R"({"number":151,"state":"open"})"}}});
  auto client = NewPullRequestClient(Target(PrProvider::kGitea), kToken, http);
  auto out = EnsurePullRequest(*client, Spec());
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->action, EnsureOutcome::Action::kCreated) << "#7 comes from a fork";
  auto sent = http.requests();
  ASSERT_EQ(sent.size(), 4u);
  std::map<std::string, std::string> headers(sent[0].headers.begin(), sent[0].headers.end());
  EXPECT_EQ(headers["Authorization"], std::string("token ") + kToken);
  EXPECT_EQ(json::parse(sent[3].body)["labels"], json::parse("[7]")) << "missing labels skipped";
}

TEST(GiteaClientTest, EditAnswered201IsSuccessAndLatestMayBeAbsent) {
  auto http = Scripted({{"GET /repos/team/manifests/pulls",
                         {200, R"([{"number":3,"title":"old","body":"old","state":"open",
                   "head":{"ref":"tagflow/images"},"base":{"ref":"main"}}])"}},
                        {"PATCH /repos/team/manifests/pulls/3", {201, R"({"number":3})"}}});
  auto client = NewPullRequestClient(Target(PrProvider::kGitea), kToken, http);
  auto out = EnsurePullRequest(*client, Spec());
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->action, EnsureOutcome::Action::kUpdated);
  auto latest = client->Latest("tagflow/images", "main");
  ASSERT_TRUE(latest) << latest.error().message;
  EXPECT_FALSE(latest->has_value());
  EXPECT_EQ(http.requests().back().url,
            "https://api.example/repos/team/manifests/pulls/main/tagflow/images");
}

}  // namespace
}  // namespace tagflow::git
