#include "registry/credential_store.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

namespace tagflow::registry {
namespace {

// Answers from a table; counts calls. A pure-logic fake: the real helper
// processes are exercised in credential_helper_test.cc and
// registry_auth_test.cc.
class TableRunner : public CredentialHelperRunner {
 public:
  Result<std::optional<Credentials>> Get(std::string_view name,
                                         std::string_view server_url) override {
    std::lock_guard lock(mu_);
    ++calls_[std::string(name)];
    last_url_ = std::string(server_url);
    auto it = answers_.find(std::string(name));
    if (it == answers_.end()) return Fail(ErrorKind::kInvalidInput, "docker-credential-x missing");
    return it->second;
  }
  void Set(const std::string& name, Result<std::optional<Credentials>> answer) {
    std::lock_guard lock(mu_);
    answers_.insert_or_assign(name, std::move(answer));
  }
  int calls(const std::string& name) {
    std::lock_guard lock(mu_);
    return calls_[name];
  }
  std::string last_url() {
    std::lock_guard lock(mu_);
    return last_url_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, Result<std::optional<Credentials>>> answers_;
  std::map<std::string, int> calls_;
  std::string last_url_;
};

DockerConfigs Configs(const std::string& json) {
  auto config = DockerConfig::Parse(json, "cfg.json");
  EXPECT_TRUE(config) << config.error().message;
  return DockerConfigs({*config});
}

class CredentialStoreTest : public ::testing::Test {
 protected:
  TableRunner runner_;
  FakeClock clock_;
};

TEST_F(CredentialStoreTest, CachesAHelperAnswerUntilTheTtl) {
  CredentialStore store(Configs(R"({"credHelpers": {"r.io": "rot"}})"), runner_, clock_,
                        std::chrono::minutes(10));
  runner_.Set("rot", std::optional<Credentials>(Credentials{"u", "pw-1"}));
  EXPECT_EQ((*store.For("r.io"))->password, "pw-1");
  EXPECT_EQ(runner_.last_url(), "r.io");
  runner_.Set("rot", std::optional<Credentials>(Credentials{"u", "pw-2"}));
  clock_.Advance(std::chrono::minutes(9));
  EXPECT_EQ((*store.For("r.io"))->password, "pw-1");  // cached
  EXPECT_EQ(runner_.calls("rot"), 1);
  clock_.Advance(std::chrono::minutes(1));
  EXPECT_EQ((*store.For("r.io"))->password, "pw-2");  // the TTL passed
  EXPECT_EQ(runner_.calls("rot"), 2);
  EXPECT_EQ(store.helper_runs(), 2u);
}

TEST_F(CredentialStoreTest, InvalidateAfterARefusalAsksAgainOnce) {
  CredentialStore store(Configs(R"({"credHelpers": {"r.io": "rot"}})"), runner_, clock_,
                        std::chrono::minutes(10));
  runner_.Set("rot", std::optional<Credentials>(Credentials{"u", "old"}));
  auto refused = *store.For("r.io");
  runner_.Set("rot", std::optional<Credentials>(Credentials{"u", "new"}));
  EXPECT_TRUE(store.Invalidate("r.io", refused));
  EXPECT_TRUE(store.Invalidate("r.io", refused));  // a second refusal of the same answer
  EXPECT_EQ((*store.For("r.io"))->password, "new");
  // A late refusal of the old answer does not drop the new one.
  EXPECT_TRUE(store.Invalidate("r.io", refused));
  EXPECT_EQ((*store.For("r.io"))->password, "new");
  EXPECT_EQ(runner_.calls("rot"), 2);
}

TEST_F(CredentialStoreTest, StaticCredentialsNeedNoHelperAndAreNotRetried) {
  CredentialStore store(Configs(R"({"auths": {"s.io": {"username": "u", "password": "p"}}})"),
                        runner_, clock_, std::chrono::minutes(10));
  EXPECT_EQ((*store.For("s.io"))->username, "u");
  EXPECT_FALSE(*store.For("other.io"));
  EXPECT_FALSE(store.Invalidate("s.io", Credentials{"u", "p"}));
  EXPECT_EQ(store.helper_runs(), 0u);
}

TEST_F(CredentialStoreTest, AStoreWithoutCredentialsFallsBackToAuths) {
  CredentialStore store(
      Configs(R"({"credsStore": "desk", "auths": {"a.io": {"username": "u", "password": "p"}}})"),
      runner_, clock_, std::chrono::minutes(10));
  runner_.Set("desk", std::optional<Credentials>());
  EXPECT_EQ((*store.For("a.io"))->username, "u");
  EXPECT_FALSE(*store.For("b.io"));  // anonymous
  EXPECT_EQ(runner_.last_url(), "b.io");
  EXPECT_FALSE(*store.For("docker.io"));
  EXPECT_EQ(runner_.last_url(), "https://index.docker.io/v1/");
}

TEST_F(CredentialStoreTest, AFailingHelperNamesHelperHostAndFileAndIsRetriedLater) {
  CredentialStore store(Configs(R"({"credHelpers": {"bad.io": "broken", "good.io": "fine"}})"),
                        runner_, clock_, std::chrono::minutes(10));
  runner_.Set("broken", Fail(ErrorKind::kTransient, "docker-credential-broken timed out"));
  runner_.Set("fine", std::optional<Credentials>(Credentials{"u", "p"}));
  auto bad = store.For("bad.io");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::kTransient);
  for (const char* part : {"bad.io", "docker-credential-broken", "cfg.json", "credHelpers"}) {
    EXPECT_NE(bad.error().message.find(part), std::string::npos) << bad.error().message;
  }
  EXPECT_TRUE(*store.For("good.io"));  // other hosts proceed
  EXPECT_FALSE(store.For("bad.io"));   // the failure is remembered briefly...
  EXPECT_EQ(runner_.calls("broken"), 1);
  clock_.Advance(CredentialStore::kFailureRetry);
  runner_.Set("broken", std::optional<Credentials>(Credentials{"u", "p"}));
  EXPECT_TRUE(store.For("bad.io"));  // ...then asked again
  EXPECT_EQ(runner_.calls("broken"), 2);
}

}  // namespace
}  // namespace tagflow::registry
