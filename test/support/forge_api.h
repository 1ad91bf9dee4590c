// A STAND-IN for the pull-request APIs of GitHub (REST), GitLab (REST v4)
// and Gitea/Forgejo (v1), for tests: there is no network here, and none of
// these forges can run on loopback from Debian packages. It implements only
// the endpoints tagflow uses (git/pr_github.cc, pr_gitlab.cc, pr_gitea.cc),
// as their documentation describes them — paths (GitLab's project id is the
// URL-encoded path, read from the raw request target), auth headers, query
// filters, status codes, JSON field names and error bodies — and keeps the
// requests in memory (one repository, one token). It records every request.
//
//   GitHub  (API base Url()):        GET/POST /repos/{o}/{r}/pulls,
//           PATCH /repos/{o}/{r}/pulls/{n}, POST /repos/{o}/{r}/issues/{n}/labels;
//           Authorization: Bearer|token; 401 {"message":"Bad credentials"};
//           422 "Validation Failed" for a second open PR of the same head/base.
//   GitLab  (Url() + "/api/v4"):     GET/POST /projects/{id}/merge_requests,
//           PUT /projects/{id}/merge_requests/{iid}; PRIVATE-TOKEN or Bearer;
//           401 {"message":"401 Unauthorized"}; 409 for a second open MR.
//   Gitea   (Url() + "/api/v1"):     GET/POST /repos/{o}/{r}/pulls,
//           GET /repos/{o}/{r}/pulls/{base}/{head}, PATCH /repos/{o}/{r}/pulls/{n}
//           (answers 201, as Gitea does), GET /repos/{o}/{r}/labels;
//           Authorization: token|Bearer; 401; 409 for a second open PR.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test/support/http_sink.h"  // RecordedRequest

namespace tagflow::testing {

class ForgeApiServer {
 public:
  enum class Kind { kGitHub, kGitLab, kGitea };

  struct PullRequest {
    int number = 0;
    std::string head;
    std::string base;
    std::string title;
    std::string body;
    std::vector<std::string> labels;
    std::string state = "open";  // "open" or "closed"
    bool merged = false;
  };

  // Serves repository `owner`/`repo` on 127.0.0.1 (a free port), accepting
  // `token` only. Gitea labels "automation" (id 7) and "images" (id 8) exist.
  ForgeApiServer(Kind kind, std::string owner, std::string repo, std::string token);
  ~ForgeApiServer();
  ForgeApiServer(const ForgeApiServer&) = delete;
  ForgeApiServer& operator=(const ForgeApiServer&) = delete;

  // The API base URL tagflow's --git-pr-api-url takes.
  std::string ApiUrl() const;

  std::vector<PullRequest> PullRequests() const;
  std::vector<RecordedRequest> Requests() const;
  // Adds a pull request as a human would (e.g. a duplicate); returns its number.
  int Add(PullRequest pr);
  // Closes request `number`, merged or not.
  void Close(int number, bool merged);

 private:
  void Handle(const httplib::Request& req, httplib::Response& res);
  bool Authorized(const httplib::Request& req) const;
  void GitHub(const std::string& method, const std::string& path, const httplib::Request& req,
              httplib::Response& res);
  void GitLab(const std::string& method, const std::string& path, const httplib::Request& req,
              httplib::Response& res);
  void Gitea(const std::string& method, const std::string& path, const httplib::Request& req,
             httplib::Response& res);
  PullRequest* Find(int number);
  PullRequest* OpenFor(const std::string& head, const std::string& base);

  Kind kind_;
  std::string owner_;
  std::string repo_;
  std::string token_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;

  mutable std::mutex mu_;
  std::vector<PullRequest> pulls_;         // guarded by mu_
  std::vector<RecordedRequest> requests_;  // guarded by mu_
};

}  // namespace tagflow::testing
