#include "manifest/policy.h"

#include <gtest/gtest.h>

namespace tagflow::manifest {
namespace {

using std::chrono::minutes;

TEST(ReleasePolicyTest, NothingSetHoldsNothing) {
  Policies p = Policies::FromAnnotations({{"fluxcd.io/automated", "true"}});
  Result<ReleasePolicy> r = p.Release("app");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, ReleasePolicy{});
  EXPECT_FALSE(r->Gated());
}

TEST(ReleasePolicyTest, PerContainerKeyWinsOverWorkloadWide) {
  Policies p = Policies::FromAnnotations({{"tagflow.io/min-age", "1h"},
                                          {"tagflow.io/min-age.app", "30m"},
                                          {"tagflow.io/digest", "true"},
                                          {"tagflow.io/digest.sidecar", "false"},
                                          {"tagflow.io/verify.app", "cosign"}});
  Result<ReleasePolicy> app = p.Release("app");
  ASSERT_TRUE(app) << app.error().message;
  EXPECT_TRUE(app->track_digest);
  EXPECT_EQ(app->min_age, minutes(30));
  EXPECT_TRUE(app->verify_cosign);
  EXPECT_TRUE(app->Gated());
  Result<ReleasePolicy> sidecar = p.Release("sidecar");
  ASSERT_TRUE(sidecar) << sidecar.error().message;
  EXPECT_FALSE(sidecar->track_digest);
  EXPECT_EQ(sidecar->min_age, minutes(60));
  EXPECT_FALSE(sidecar->verify_cosign);
}

TEST(ReleasePolicyTest, OtherPrefixesDoNotCount) {
  Policies p = Policies::FromAnnotations(
      {{"fluxcd.io/digest", "true"}, {"example.com/min-age", "1h"}, {"tagflow.io/", "true"}});
  Result<ReleasePolicy> r = p.Release("app");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, ReleasePolicy{});
}

TEST(ReleasePolicyTest, BadValuesNameTheAnnotation) {
  struct Case {
    Annotations annotations;
    std::string key;
  };
  for (const Case& c : std::vector<Case>{
           {{{"tagflow.io/digest.app", "yes"}}, "tagflow.io/digest.app"},
           {{{"tagflow.io/min-age", "soon"}}, "tagflow.io/min-age"},
           {{{"tagflow.io/min-age.app", "0"}}, "tagflow.io/min-age.app"},
           {{{"tagflow.io/min-age", "-5m"}}, "tagflow.io/min-age"},
           {{{"tagflow.io/verify", "notary"}}, "tagflow.io/verify"},
       }) {
    Result<ReleasePolicy> r = Policies::FromAnnotations(c.annotations).Release("app");
    ASSERT_FALSE(r) << c.key;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
    EXPECT_NE(r.error().message.find(c.key), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace tagflow::manifest
