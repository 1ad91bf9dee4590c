#include "registry/options.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "registry/service.h"
#include "test/support/process.h"

namespace tagflow::registry {
namespace {

TEST(RegistryOptionsTest, DefaultsAreValid) {
  RegistryOptions o;
  EXPECT_TRUE(Validate(o));
  EXPECT_EQ(o.platform, "linux/amd64");
  EXPECT_EQ(o.rps, 200);
  EXPECT_EQ(o.burst, 125);
}

TEST(RegistryOptionsTest, InvalidValuesNameTheFlag) {
  auto check = [](auto mutate, const char* flag) {
    RegistryOptions o;
    mutate(o);
    auto r = Validate(o);
    ASSERT_FALSE(r) << flag;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
    EXPECT_NE(r.error().message.find(flag), std::string::npos) << r.error().message;
  };
  check([](RegistryOptions& o) { o.rps = -1; }, "--registry-rps");
  check([](RegistryOptions& o) { o.burst = 0; }, "--registry-burst");
  check([](RegistryOptions& o) { o.platform = "amd64"; }, "--registry-platform");
  check([](RegistryOptions& o) { o.timeout = std::chrono::milliseconds(0); }, "--registry-timeout");
  check([](RegistryOptions& o) { o.concurrency = 0; }, "--registry-concurrency");
}

TEST(RegistryOptionsTest, DefaultCacheDirFollowsXdg) {
  const char* old_xdg = std::getenv("XDG_CACHE_HOME");
  std::string saved = old_xdg ? old_xdg : "";
  setenv("XDG_CACHE_HOME", "/x/cache", 1);
  EXPECT_EQ(DefaultCacheDir(), "/x/cache/tagflow");
  unsetenv("XDG_CACHE_HOME");
  if (const char* home = std::getenv("HOME")) {
    EXPECT_EQ(DefaultCacheDir(), std::string(home) + "/.cache/tagflow");
  }
  if (old_xdg) setenv("XDG_CACHE_HOME", saved.c_str(), 1);
}

TEST(RegistryServiceTest, BadDockerConfigIsAnErrorAndBadCacheDirIsNot) {
  testing::TempDir dir;
  FakeClock clock;
  RegistryOptions o;
  o.docker_configs = {(dir.path() / "missing.json").string()};
  auto missing = RegistryService::Create(o, clock);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("--docker-config"), std::string::npos);
  EXPECT_NE(missing.error().message.find("missing.json"), std::string::npos);

  o.docker_configs.clear();
  o.platform = "nonsense";
  EXPECT_FALSE(RegistryService::Create(o, clock));

  o.platform = "linux/arm64";
  testing::WriteFile(dir.path() / "file", "x");
  o.cache_dir = (dir.path() / "file" / "sub").string();  // cannot be a directory
  auto degraded = RegistryService::Create(o, clock);
  ASSERT_TRUE(degraded) << degraded.error().message;
  ASSERT_NE((*degraded)->cache(), nullptr);
  EXPECT_TRUE((*degraded)->cache()->PutImages({ImageRecord{.digest = "sha256:x"}}));
}

}  // namespace
}  // namespace tagflow::registry
