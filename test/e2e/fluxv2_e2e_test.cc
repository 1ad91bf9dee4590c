// Flux v2 markers end to end: a repository shaped like a Flux v2 user's
// (ImageRepository + ImagePolicies: semver, alphabetical, numerical with
// filterTags/extract; a marked Deployment and a kustomization with `:tag` and
// `:name` markers), the real `tagflow daemon --once`, a real registry.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test/e2e/e2e_fixture.h"

namespace tagflow::testing {
namespace {

using ::testing::ElementsAre;

class FluxV2E2eTest : public E2eTest {
 protected:
  FluxV2E2eTest() {
    for (const char* tag : {"1.0.0", "1.1.0", "1.2.0", "2.0.0"})
      registry_.PushImage("team/podinfo", tag, {.created = Day(1)});
    // CI builds tagged <branch>-<sha>-<unix time>: the policy orders the
    // extracted time numerically (1000 > 100 > 99), whatever the creation
    // times or the tags' byte order say.
    for (const char* tag : {"main-aaaaaaa-100", "main-ccccccc-1000", "main-bbbbbbb-99",
                            "dev-ddddddd-5000", "main-eeeeeee-x"})
      registry_.PushImage("team/ci", tag, {.created = Day(2)});
  }

  std::string Images() const {
    return "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImageRepository\nmetadata:\n"
           "  name: podinfo\n  namespace: flux-system\nspec:\n  image: " +
           registry_.host() + "/team/podinfo\n  interval: 1m\n---\n" +
           "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImagePolicy\nmetadata:\n"
           "  name: podinfo\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n"
           "    name: podinfo\n  policy:\n    semver:\n      range: '>=1.0.0 <2.0.0'\n---\n"
           "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n"
           "  name: api\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n"
           "    name: api\n  policy:\n    alphabetical:\n      order: asc\n---\n"
           "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n"
           "  name: api\n  namespace: flux-system\nspec:\n  image: " +
           api_ + "\n---\n" +
           "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImageRepository\nmetadata:\n"
           "  name: ci\n  namespace: flux-system\nspec:\n  image: " +
           registry_.host() + "/team/ci\n---\n" +
           "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImagePolicy\nmetadata:\n"
           "  name: build\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n"
           "    name: ci\n  filterTags:\n    pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)'\n"
           "    extract: '$ts'\n  policy:\n    numerical:\n      order: asc\n";
  }
  // The Deployment with the whole reference marked; `podinfo`/`api` tags.
  std::string Deployment(const std::string& podinfo, const std::string& api) const {
    return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\nspec:\n"
           "  template:\n    spec:\n      containers:\n      - name: podinfod\n"
           "        # pinned by Flux v2's policy\n"
           "        image: " +
           registry_.host() + "/team/podinfo:" + podinfo +
           " # {\"$imagepolicy\": \"flux-system:podinfo\"}\n"
           "      - name: api\n        image: \"" +
           api_ + ":" + api + "\"  # {\"$imagepolicy\": \"flux-system:api\"}\n";
  }
  std::string Kustomization(const std::string& tag, const std::string& build) const {
    return "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
           "resources:\n- deployment.yaml\nimages:\n- name: podinfo\n  newName: " +
           registry_.host() + "/team/podinfo\n  newTag: \"" + tag +
           "\" # {\"$imagepolicy\": \"flux-system:podinfo:tag\"}\n\n"
           "# a comment and a blank line above stay\n"
           "- name: ci\n  newName: " +
           registry_.host() + "/team/ci # {\"$imagepolicy\": \"flux-system:build:name\"}\n" +
           "  newTag: " + build + " # {\"$imagepolicy\": \"flux-system:build:tag\"}\n";
  }
};

TEST_F(FluxV2E2eTest, MarkedValuesFollowThePoliciesAndASecondRunChangesNothing) {
  std::string images = Images();
  auto repo = MakeRepo({{"clusters/flux-system/images.yaml", images},
                        {"apps/podinfo/deployment.yaml", Deployment("1.0.0", "master-a")},
                        {"apps/podinfo/kustomization.yaml",
                         Kustomization("1.0.0", "main-aaaaaaa-100")}});
  std::vector<std::string> once = {"--once"};
  RunResult r = Tagflow(DaemonFlags("file://" + repo.string()) + once);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // semver <2.0.0 picks 1.2.0, alphabetical picks master-b (dev-c sorts before it).
  EXPECT_EQ(Show(repo, "apps/podinfo/deployment.yaml"), Deployment("1.2.0", "master-b"));
  EXPECT_EQ(Show(repo, "apps/podinfo/kustomization.yaml"),
            Kustomization("1.2.0", "main-ccccccc-1000"));
  EXPECT_EQ(Show(repo, "clusters/flux-system/images.yaml"), images);
  std::vector<std::string> log = Log(repo);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0], "Auto-release multiple (3) images");

  r = Tagflow(DaemonFlags("file://" + repo.string()) + once);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Log(repo).size(), 2u) << "the second run has nothing to do";
  EXPECT_EQ(Show(repo, "apps/podinfo/deployment.yaml"), Deployment("1.2.0", "master-b"));

  RunResult listed = Tagflow({"list-workloads", "--git-url", "file://" + repo.string()});
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_THAT(listed.output, ::testing::HasSubstr("flux-system:imagepolicy/podinfo"));
}

TEST_F(FluxV2E2eTest, AMarkerWithoutItsPolicyFailsTheCycleButTheRestIsPushed) {
  std::string deployment = Deployment("1.0.0", "master-a");
  deployment.replace(deployment.find("flux-system:api"), 15, "flux-system:gone");
  auto repo = MakeRepo({{"clusters/flux-system/images.yaml", Images()},
                        {"apps/podinfo/deployment.yaml", deployment}});
  RunResult r =
      Tagflow(DaemonFlags("file://" + repo.string()) + std::vector<std::string>{"--once"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("apps/podinfo/deployment.yaml:13"));
  EXPECT_THAT(r.output, ::testing::HasSubstr("flux-system/gone"));
  std::string want = Deployment("1.2.0", "master-a");
  want.replace(want.find("flux-system:api"), 15, "flux-system:gone");
  EXPECT_EQ(Show(repo, "apps/podinfo/deployment.yaml"), want);
  EXPECT_THAT(Log(repo), ElementsAre("Auto-release " + registry_.host() + "/team/podinfo:1.2.0",
                                     "Initial commit"));
}

}  // namespace
}  // namespace tagflow::testing
