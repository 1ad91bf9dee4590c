// GitLab REST API v4 (merge requests):
//   GET  /projects/{id}/merge_requests?state=opened&source_branch=&target_branch=
//   POST /projects/{id}/merge_requests        {source_branch, target_branch, title,
//                                              description, labels: "a,b"}    -> 201
//   PUT  /projects/{id}/merge_requests/{iid}  {title, description}            -> 200
// where {id} is the URL-encoded project path ("group%2Fsub%2Frepo"), with
// `Authorization: Bearer <token>` (GitLab takes personal, project, group and
// OAuth tokens so; unlike a PRIVATE-TOKEN header, base/http.h drops it on a
// redirect to another host).
#include <fmt/format.h>

#include <algorithm>

#include "base/json.h"
#include "base/url.h"
#include "git/pull_request.h"

namespace tagflow::git {
namespace {

PullRequest FromJson(const nlohmann::json& j) {
  PullRequest pr;
  const nlohmann::json& iid = JsonMember(j, "iid");
  pr.number = iid.is_number_integer() ? iid.get<int64_t>() : 0;
  pr.title = JsonString(j, "title");
  pr.body = JsonString(j, "description");
  pr.url = JsonString(j, "web_url");
  std::string state = JsonString(j, "state");
  pr.open = state == "opened";
  pr.merged = state == "merged";
  return pr;
}

// Requests of `list` from `head` to `base`: GitLab versions that ignored
// the branch filters are filtered here again.
std::vector<PullRequest> Matching(const nlohmann::json& list, const std::string& head,
                                  const std::string& base) {
  std::vector<PullRequest> out;
  if (!list.is_array()) return out;
  for (const nlohmann::json& j : list) {
    if (JsonString(j, "source_branch") == head && JsonString(j, "target_branch") == base) {
      out.push_back(FromJson(j));
    }
  }
  return out;
}

class GitLabClient final : public PullRequestClient {
 public:
  GitLabClient(const PrTarget& target, std::string token, HttpClient& http)
      : project_path_("/projects/" + UrlEncode(target.owner + "/" + target.repo)),
        api_(PrProvider::kGitLab, target.api_url, token, {{"Authorization", "Bearer " + token}},
             http) {}

  Result<std::vector<PullRequest>> ListOpen(const std::string& head,
                                            const std::string& base) override {
    Result<nlohmann::json> list = api_.Call("GET", Query(head, base, "opened", 100));
    if (!list) return Fail(list.error());
    std::vector<PullRequest> out = Matching(*list, head, base);
    std::ranges::sort(out, {}, &PullRequest::number);
    return out;
  }

  Result<std::optional<PullRequest>> Latest(const std::string& head,
                                            const std::string& base) override {
    Result<nlohmann::json> list =
        api_.Call("GET", Query(head, base, "all", 1) + "&order_by=created_at&sort=desc");
    if (!list) return Fail(list.error());
    std::vector<PullRequest> found = Matching(*list, head, base);
    if (found.empty()) return std::nullopt;
    return found.front();
  }

  Result<PullRequest> Create(const PullRequestSpec& spec) override {
    std::string labels;
    for (const std::string& l : spec.labels) labels += (labels.empty() ? "" : ",") + l;
    nlohmann::json body = {{"source_branch", spec.head},
                           {"target_branch", spec.base},
                           {"title", spec.title},
                           {"description", spec.body}};
    if (!labels.empty()) body["labels"] = labels;
    Result<nlohmann::json> created =
        api_.Call("POST", project_path_ + "/merge_requests", body.dump());
    if (!created) return Fail(created.error());
    return FromJson(*created);
  }

  Result<void> Update(int64_t number, const std::string& title, const std::string& body) override {
    nlohmann::json put = {{"title", title}, {"description", body}};
    Result<nlohmann::json> updated =
        api_.Call("PUT", fmt::format("{}/merge_requests/{}", project_path_, number), put.dump());
    if (!updated) return Fail(updated.error());
    return {};
  }

 private:
  std::string Query(const std::string& head, const std::string& base, std::string_view state,
                    int per_page) const {
    return fmt::format("{}/merge_requests?state={}&source_branch={}&target_branch={}&per_page={}",
                       project_path_, state, UrlEncode(head), UrlEncode(base), per_page);
  }

  std::string project_path_;
  PrApi api_;
};

}  // namespace

std::unique_ptr<PullRequestClient> NewGitLabClient(const PrTarget& target, std::string token,
                                                   HttpClient& http) {
  return std::make_unique<GitLabClient>(target, std::move(token), http);
}

}  // namespace tagflow::git
